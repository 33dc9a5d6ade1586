"""What actors need outside a web request, and the set-up used by ``openshot-api worker``.

``dramatiq openshot_api.worker:setup`` (run for you by ``openshot-api worker CONFIG``) reads the ini
named by ``OPENSHOT_API_CONFIG``, builds the broker and the services, and starts the sweeper that
retries or fails exports whose worker died.
"""
import logging
import os
import threading
from urllib.parse import quote

log = logging.getLogger(__name__)

_context = None
_context_lock = threading.Lock()


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
    from .services import Services
    return WorkerContext(settings, make_session_factory(make_engine(settings)), Services(settings))


class Sweeper(threading.Thread):
    """Every few seconds, find exports whose worker stopped (no heartbeat) or that waited too long,
    and retry them once or fail them. Several sweepers may run; each change is conditional."""

    def __init__(self, context, interval=5.0):
        super().__init__(name="export-sweeper", daemon=True)
        self.context = context
        self.interval = interval
        self.stopped = threading.Event()

    def run(self):
        from .tasks import sweep_exports
        while not self.stopped.wait(self.interval):
            try:
                sweep_exports(self.context)
            except Exception:
                log.exception("export sweep failed")

    def stop(self):
        self.stopped.set()


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
    Sweeper(context).start()
    return broker
