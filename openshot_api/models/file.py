from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import NEVER_REUSE_IDS, Base, Timestamped


class File(Timestamped, Base):
    __tablename__ = "files"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    # Storage key, e.g. "video/files/12/clip.mp4"; the URL is built from it per request.
    media: Mapped[str] = mapped_column(String(1024), default="")
    json: Mapped[dict] = mapped_column(default=dict)

    project = relationship("Project", back_populates="files")
    clips = relationship("Clip", back_populates="file", cascade="all, delete-orphan",
                         passive_deletes=True)
