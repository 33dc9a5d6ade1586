import datetime
import secrets

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import NEVER_REUSE_IDS, Base, utcnow


def new_token_key():
    return secrets.token_hex(20)


class User(Base):
    __tablename__ = "users"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    date_joined: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Copied into the session at login and compared on every request: raising it (logout, a new
    # password, an admin's "End sessions") ends every session of the user, copied cookies too,
    # although the cookie itself is signed and stateless.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    token: Mapped["Token"] = relationship(back_populates="user", uselist=False,
                                          cascade="all, delete-orphan")


class Token(Base):
    __tablename__ = "tokens"

    key: Mapped[str] = mapped_column(String(40), primary_key=True, default=new_token_key)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="token")
