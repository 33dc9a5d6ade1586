from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import NEVER_REUSE_IDS, Base, Timestamped


class Effect(Timestamped, Base):
    __tablename__ = "effects"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    type: Mapped[str] = mapped_column(String(100))
    position: Mapped[float] = mapped_column(default=0.0)
    start: Mapped[float] = mapped_column(default=0.0)
    end: Mapped[float] = mapped_column(default=0.0)
    layer: Mapped[int] = mapped_column(default=1)
    json: Mapped[dict] = mapped_column(default=dict)

    project = relationship("Project", back_populates="effects")
