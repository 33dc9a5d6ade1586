"""Failed-authentication counters, shared by every web process through the database."""
from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base


class AuthThrottle(Base):
    """One row per throttled key (a username or a client address): how many logins failed since
    ``window_start``. A row whose window has passed counts as empty; the next failure restarts it
    and pruning deletes it, so the table stays as small as the keys failing right now."""

    __tablename__ = "auth_throttle"

    # A SHA-256 of the kind and value: a username field may hold anything (even a password typed
    # in the wrong box), which is neither stored nor allowed to grow the row.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Epoch seconds: compared with arithmetic the same way on SQLite and PostgreSQL.
    window_start: Mapped[float] = mapped_column(Float, index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
