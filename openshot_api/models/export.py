import datetime
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import NEVER_REUSE_IDS, Base, Timestamped

STATUSES = ("pending", "in-progress", "completed", "failed", "cancel")


class Export(Timestamped, Base):
    __tablename__ = "exports"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    # Storage key of the rendered output ("" until completed).
    output: Mapped[str] = mapped_column(String(1024), default="")
    export_type: Mapped[str] = mapped_column(String(32), default="video")
    video_format: Mapped[str] = mapped_column(String(64), default="mp4")
    video_codec: Mapped[str] = mapped_column(String(64), default="libx264")
    # Bits per second, or a quality form such as "crf 23"; kept as given.
    video_bitrate: Mapped[str] = mapped_column(String(64), default="8000000")
    audio_codec: Mapped[str] = mapped_column(String(64), default="ac3")
    audio_bitrate: Mapped[str] = mapped_column(String(64), default="1920000")
    start_frame: Mapped[int] = mapped_column(default=1)
    end_frame: Mapped[Optional[int]] = mapped_column(nullable=True)
    webhook: Mapped[str] = mapped_column(String(2048), default="")
    json: Mapped[dict] = mapped_column(default=dict)
    progress: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(32), default="pending", index=True)
    # Which render attempt owns the export; a worker whose attempt is stale stops writing.
    attempt: Mapped[int] = mapped_column(default=0)
    # The service's address as the client saw it, for the links in webhook payloads.
    base_url: Mapped[str] = mapped_column(String(1024), default="")
    # Webhook delivery: "" (none due), "due", "delivered" or "failed"; attempts made so far and
    # when the next may start. The sweeper sends due deliveries whatever the broker did.
    webhook_state: Mapped[str] = mapped_column(String(16), default="", index=True)
    webhook_attempts: Mapped[int] = mapped_column(default=0)
    webhook_next_at: Mapped[Optional[datetime.datetime]] = mapped_column(DateTime(timezone=True), nullable=True)

    project = relationship("Project", back_populates="exports")
