from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import NEVER_REUSE_IDS, Base, Timestamped


class Project(Timestamped, Base):
    __tablename__ = "projects"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    width: Mapped[int] = mapped_column(default=1920)
    height: Mapped[int] = mapped_column(default=1080)
    fps_num: Mapped[int] = mapped_column(default=30)
    fps_den: Mapped[int] = mapped_column(default=1)
    sample_rate: Mapped[int] = mapped_column(default=44100)
    channels: Mapped[int] = mapped_column(default=2)
    channel_layout: Mapped[int] = mapped_column(default=3)
    json: Mapped[dict] = mapped_column(default=dict)

    files = relationship("File", back_populates="project", order_by="File.id",
                         cascade="all, delete-orphan", passive_deletes=True)
    clips = relationship("Clip", back_populates="project", order_by="Clip.id",
                         cascade="all, delete-orphan", passive_deletes=True)
    effects = relationship("Effect", back_populates="project", order_by="Effect.id",
                           cascade="all, delete-orphan", passive_deletes=True)
    exports = relationship("Export", back_populates="project", order_by="Export.id",
                           cascade="all, delete-orphan", passive_deletes=True)

    @property
    def fps(self):
        return self.fps_num / self.fps_den
