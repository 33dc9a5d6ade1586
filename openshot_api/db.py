"""Engine and sessions: one SQLAlchemy session per request, joined to the request's transaction
(pyramid_tm + zope.sqlalchemy), and the same for actors outside requests."""
import os

import transaction
import zope.sqlalchemy
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker


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
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
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
