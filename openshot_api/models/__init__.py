"""SQLAlchemy models, one module per resource; import them all here so metadata is complete."""
from .clip import Clip  # noqa: F401
from .effect import Effect  # noqa: F401
from .export import Export  # noqa: F401
from .file import File  # noqa: F401
from .meta import Base, utcnow  # noqa: F401
from .outbox import OutboxMessage  # noqa: F401
from .project import Project  # noqa: F401
from .throttle import AuthThrottle  # noqa: F401
from .user import Token, User  # noqa: F401
