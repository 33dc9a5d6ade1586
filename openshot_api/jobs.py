"""The one way the core asks for background work: a transactional outbox.

``enqueue(session, actor, *args)`` writes the job as a row in the caller's transaction, so it
exists exactly when the change that needs it was committed. Right after the commit the rows of
that transaction are sent to the broker (with publisher confirms on RabbitMQ) and deleted; when
that fails (the broker is down, the process dies) they stay, and the relay of any server or worker
process (``worker.JobKeeper``) sends them later. Jobs are therefore sent at least once, and the
actors are written so that a duplicate does nothing.
"""
import datetime
import logging
import time

from sqlalchemy import event, select

from .db import job_session
from .models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

_PENDING = "openshot_api.outbox"


def enqueue(session, actor, *args):
    """Queue ``actor(*args)`` as part of ``session``'s transaction."""
    row = OutboxMessage(actor=actor.actor_name, args=list(args))
    session.add(row)
    session.info.setdefault(_PENDING, []).append(row)
    return row


def install(session_factory):
    """Make every session of ``session_factory`` send its jobs as soon as it has committed."""
    if getattr(session_factory, "_outbox_installed", False):
        return
    session_factory._outbox_installed = True

    @event.listens_for(session_factory, "after_commit")
    def _send_committed(session):
        rows = session.info.pop(_PENDING, None)
        if not rows:
            return
        ids = [row.id for row in rows if row.id is not None]
        try:
            relay(session_factory, ids=ids)
        except Exception as exc:  # the relay sends them once the broker is back
            warn_throttled(f"{len(ids)} job(s) kept in the outbox: {type(exc).__name__}: {exc}")

    @event.listens_for(session_factory, "after_rollback")
    def _forget(session):
        session.info.pop(_PENDING, None)


def _actors():
    from . import tasks  # the actors are declared there; imported late, as it needs the models
    return {actor.actor_name: actor for actor in tasks.ACTORS}


def relay(session_factory, ids=None, min_age=0.0, limit=200):
    """Send outbox rows to the broker, oldest first, deleting each once the broker took it.
    ``ids`` limits it to those rows; ``min_age`` (seconds) leaves out rows younger than that,
    which their own transaction's after-commit send is still handling. Returns how many were
    sent; a broker error is raised after the rows already sent are deleted."""
    actors = _actors()
    sent, error = 0, None
    with job_session(session_factory) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id).limit(limit)
        if ids is not None:
            query = query.where(OutboxMessage.id.in_(ids))
        if min_age:
            query = query.where(OutboxMessage.created <= utcnow() - datetime.timedelta(seconds=min_age))
        if session.get_bind().dialect.name == "postgresql":
            # Several relays run at once; each row is sent by whichever locked it first.
            query = query.with_for_update(skip_locked=True)
        for row in session.scalars(query).all():
            actor = actors.get(row.actor)
            if actor is None:
                log.error("outbox row %s names no known actor (%r); dropped", row.id, row.actor)
                session.delete(row)
                continue
            try:
                actor.send(*row.args)
            except Exception as exc:
                error = exc
                break
            session.delete(row)
            sent += 1
    if error is not None:
        raise error
    return sent


def pending_count(session_factory):
    """How many jobs wait in the outbox (for health checks and tests)."""
    from sqlalchemy import func
    with job_session(session_factory) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage))


_last_warning = [0.0]


def warn_throttled(message, every=30.0):
    """One warning per ``every`` seconds: a broker outage would otherwise log each second."""
    now = time.monotonic()
    if now - _last_warning[0] >= every:
        _last_warning[0] = now
        log.warning(message)
