"""Engine and sessions: one SQLAlchemy session per request, joined to the request's transaction
(pyramid_tm + zope.sqlalchemy), and the same for actors outside requests."""
import logging
import os
import time

import transaction
import zope.sqlalchemy
from sqlalchemy import create_engine, event, exc
from sqlalchemy.orm import sessionmaker

log = logging.getLogger(__name__)


def make_engine(settings):
    url = settings["sqlalchemy.url"]
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(os.path.abspath(url[len("sqlite:///"):])), exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets the in-process worker write progress while requests read.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
        return engine
    # A bounded connect: while the database is down, requests fail fast with a 503, not hang.
    connect_args = {"connect_timeout": 10} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args)


def make_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory, transaction_manager):
    """A session whose commit/rollback follows ``transaction_manager``."""
    session = session_factory()
    zope.sqlalchemy.register(session, transaction_manager=transaction_manager)
    return session


class job_session:
    """``with job_session(factory) as session:`` — a session in its own transaction for actors.
    Commits on success, aborts on error."""

    def __init__(self, session_factory):
        self.session_factory = session_factory
        self.tm = transaction.TransactionManager(explicit=True)

    def __enter__(self):
        self.tm.begin()
        self.session = get_tm_session(self.session_factory, self.tm)
        return self.session

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.tm.commit()
            else:
                self.tm.abort()
        finally:
            self.session.close()
        return False


def database_unavailable(error):
    """True when ``error`` says the database can't be reached (down, restarting, connection
    lost, pool exhausted, SQLite locked), rather than that a statement was wrong."""
    if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)):
        return True
    return isinstance(error, exc.DBAPIError) and bool(error.connection_invalidated)


def retry_unavailable(action, patience, what="database work"):
    """Run ``action()`` (which opens its own transaction) until it succeeds, waiting out a
    database outage for up to ``patience`` seconds; other errors are raised at once."""
    deadline = time.monotonic() + patience
    delay = 0.5
    while True:
        try:
            return action()
        except Exception as error:
            if not database_unavailable(error) or time.monotonic() + delay > deadline:
                raise
            log.warning("%s waits for the database: %s", what, str(error).splitlines()[0])
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    # pyramid_tm would look the user up at every commit only to annotate the transaction: a
    # query per request, and a failure of views that need no user (health checks) when the
    # database is down.
    settings["tm.annotate_user"] = "false"
    config.include("pyramid_tm")
    engine = make_engine(settings)
    session_factory = make_session_factory(engine)
    config.registry["db_engine"] = engine
    config.registry["dbsession_factory"] = session_factory

    def dbsession(request):
        return get_tm_session(session_factory, request.tm)

    config.add_request_method(dbsession, reify=True)


def after_commit(request_or_tm, action):
    """Run ``action()`` only once the current transaction has committed (queue a job, delete
    stored media): a rolled-back request leaves no trace outside the database."""
    tm = getattr(request_or_tm, "tm", request_or_tm)

    def hook(succeeded):
        if succeeded:
            action()
    tm.get().addAfterCommitHook(hook)
