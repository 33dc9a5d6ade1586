import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, utcnow


class OutboxMessage(Base):
    """A job to send to the broker, written in the same transaction as the change that needs it
    (see ``openshot_api.jobs``); the row is deleted once the broker has confirmed it."""
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    args: Mapped[list] = mapped_column()
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
