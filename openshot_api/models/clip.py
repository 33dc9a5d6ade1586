from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import NEVER_REUSE_IDS, Base, Timestamped


class Clip(Timestamped, Base):
    __tablename__ = "clips"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    position: Mapped[float] = mapped_column(default=0.0)
    start: Mapped[float] = mapped_column(default=0.0)
    end: Mapped[float] = mapped_column(default=0.0)
    layer: Mapped[int] = mapped_column(default=1)
    json: Mapped[dict] = mapped_column(default=dict)

    project = relationship("Project", back_populates="clips")
    file = relationship("File", back_populates="clips")
