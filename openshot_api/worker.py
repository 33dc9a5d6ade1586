"""What actors need outside a web request, and the set-up used by ``openshot-api worker``.

``dramatiq openshot_api.worker:setup`` (run for you by ``openshot-api worker CONFIG``) reads the ini
named by ``OPENSHOT_API_CONFIG``, builds the broker and the services, and starts the job keeper
that relays the outbox, delivers due webhooks and retries or fails exports whose worker died.
"""
import logging
import os
import signal
import threading
import time
from urllib.parse import quote

log = logging.getLogger(__name__)

_context = None
_context_lock = threading.Lock()

# Set when this process was asked to stop (SIGTERM): renders finish within the grace period or
# are handed back to the queue.
_shutdown = {"since": None}


def request_shutdown():
    if _shutdown["since"] is None:
        _shutdown["since"] = time.monotonic()


def shutdown_for():
    """Seconds since this process was asked to stop, or None while it runs normally."""
    since = _shutdown["since"]
    return None if since is None else time.monotonic() - since


class UrlBuilder:
    """Just enough of a Pyramid request to serialize objects with absolute links outside one."""

    ROUTES = {"project": "/projects/{id}/", "file": "/files/{id}/", "clip": "/clips/{id}/",
              "effect": "/effects/{id}/", "export": "/exports/{id}/"}

    def __init__(self, base_url, registry):
        self.application_url = base_url.rstrip("/")
        self.registry = registry

    def route_url(self, name, **kw):
        return self.application_url + self.ROUTES[name].format(**{k: quote(str(v)) for k, v in kw.items()})


class WorkerContext:
    """Settings, a session factory and the services, shared by the actors of one process."""

    def __init__(self, settings, session_factory, services):
        self.settings = settings
        self.session_factory = session_factory
        self.services = services
        self.registry = {"services": services}

    def url_builder(self, base_url):
        return UrlBuilder(base_url or self.settings.get("openshot_api.public_url") or "http://localhost", self.registry)


def set_context(context):
    global _context
    with _context_lock:
        _context = context


def current():
    if _context is None:
        raise RuntimeError("the worker context is not set up (openshot_api.worker.setup)")
    return _context


def build_context(settings):
    from .db import make_engine, make_session_factory
    from .jobs import install
    from .services import Services
    session_factory = make_session_factory(make_engine(settings))
    install(session_factory)
    return WorkerContext(settings, session_factory, Services(settings))


class JobKeeper(threading.Thread):
    """Runs in every server and worker process. Each ``interval`` seconds: send what the outbox
    still holds, and queue the webhook deliveries that are due; every ``sweep_every`` seconds:
    retry or fail exports whose worker stopped (no heartbeat) or that waited too long. Several
    keepers may run at once: every change they make is conditional.

    ``recover_after``: once, that many seconds after start, treat in-progress exports without a
    heartbeat for that long as orphans (the embedded worker's process was restarted, so nothing
    else can be rendering them)."""

    def __init__(self, context, interval=1.0, sweep_every=5.0, recover_after=None):
        super().__init__(name="job-keeper", daemon=True)
        self.context = context
        self.interval = interval
        self.sweep_every = sweep_every
        self.recover_after = recover_after
        self.stopped = threading.Event()

    def run(self):
        from . import tasks
        from .jobs import relay, warn_throttled
        started = last_sweep = time.monotonic()
        while not self.stopped.wait(self.interval):
            try:
                relay(self.context.session_factory, min_age=2.0)
            except Exception as exc:
                warn_throttled(f"the outbox relay could not send: {type(exc).__name__}: {exc}")
            try:
                tasks.queue_due_webhooks(self.context)
                now = time.monotonic()
                if self.recover_after is not None and now - started >= self.recover_after:
                    tasks.sweep_exports(self.context, heartbeat_seconds=self.recover_after)
                    self.recover_after = None
                if now - last_sweep >= self.sweep_every:
                    last_sweep = now
                    tasks.sweep_exports(self.context)
            except Exception as exc:
                warn_throttled(f"the export sweep failed: {type(exc).__name__}: {exc}")

    def stop(self):
        self.stopped.set()


def start_job_keeper(context, **kw):
    from .settings import get_int
    interval = float(get_int(context.settings, "openshot_api.outbox_interval") or 1)
    keeper = JobKeeper(context, interval=interval, **kw)
    keeper.start()
    return keeper


def _stop_gracefully():
    """Dramatiq's worker process stops on its first SIGTERM and exits at once on the second; a
    stop of the whole process group sends two (one from the init system, one forwarded by
    Dramatiq's main process). Only the first counts, so renders get their grace period."""
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame):
        first = shutdown_for() is None
        request_shutdown()
        if first:
            log.info("stopping: renders get their grace period, then are handed back")
            if callable(previous):
                previous(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)


def setup():
    """Entry point for the Dramatiq CLI: configure the broker, actors and context from the ini."""
    from pyramid.paster import get_appsettings, setup_logging

    from .broker import make_broker, use_broker
    from .settings import read_settings

    config_uri = os.environ.get("OPENSHOT_API_CONFIG")
    if not config_uri:
        raise RuntimeError("OPENSHOT_API_CONFIG must name the ini file")
    setup_logging(config_uri)
    settings = read_settings(get_appsettings(config_uri, name="main"))
    broker = use_broker(make_broker(settings))
    context = build_context(settings)
    context.services.pm.hook.openshot_api_process_setup(settings=settings)
    set_context(context)
    start_job_keeper(context)
    if threading.current_thread() is threading.main_thread():
        _stop_gracefully()
    return broker
