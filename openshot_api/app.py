"""Builds the WSGI application. The include order matters and is commented where it does."""
import logging
import os
import secrets

from pyramid.config import Configurator
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.session import SignedCookieSessionFactory

from .broker import EmbeddedWorker, make_broker, use_broker
from .middleware import wrap
from .services import Services
from .settings import get_bool, get_int, read_settings

log = logging.getLogger(__name__)


def session_secret(settings):
    """The ini's secret, or one generated once and kept beside the data of this instance."""
    secret = settings.get("openshot_api.session_secret")
    if secret:
        return secret
    var = settings.get("openshot_api.var_dir") or "var"
    os.makedirs(var, exist_ok=True)
    path = os.path.join(var, "session_secret")
    if not os.path.exists(path):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(secrets.token_hex(32))
    with open(path) as src:
        return src.read().strip()


def make_app(global_config, settings):
    settings = read_settings(settings)
    config = Configurator(settings=settings)
    config.include("cornice")
    # Committed now so the error views of errors.py and auth.py replace Cornice's own.
    config.commit()
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".html")
    config.set_session_factory(SignedCookieSessionFactory(
        session_secret(settings), cookie_name="sessionid", httponly=True, samesite="Lax",
        secure=get_bool(settings, "openshot_api.cookie_secure"), timeout=14 * 24 * 3600,
        reissue_time=3600))
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    # db before auth: the security policy looks users up through request.dbsession.
    config.include(".db")
    from .jobs import install
    install(config.registry["dbsession_factory"])  # jobs are sent after the request commits
    config.include(".errors")
    config.include(".auth")
    # Every view needs a user unless it says otherwise (login, root, static assets).
    config.set_default_permission("api")

    services = Services(settings)
    services.pm.hook.openshot_api_process_setup(settings=settings)
    # Fail at start-up, naming the setting, rather than on the first request.
    services.storage, services.renderer, services.title_renderer, services.transcriber
    config.registry["services"] = services

    config.include(".resources.projects")
    config.include(".resources.files")
    config.include(".resources.clips")
    config.include(".resources.effects")
    config.include(".resources.exports")
    config.include(".resources.thumbnails")
    config.include(".resources.project_actions")
    config.include(".resources.file_actions")
    config.include(".resources.interchange")
    config.include(".resources.clip_actions")
    config.include(".resources.project_editing")
    config.include(".resources.transcribe")
    config.include(".resources.info")
    config.include(".views")
    config.include(".health")
    config.include(".metrics")  # GET /metrics and the request tween (openshot_api.metrics)
    # After views: the demo adds a browser-only view to the root route.
    config.include(".openapi")
    config.include(".demo")
    config.include(".admin")
    services.pm.hook.openshot_api_includeme(config=config)

    from .worker import WorkerContext, set_context, start_job_keeper
    broker = use_broker(make_broker(settings))
    context = WorkerContext(settings, config.registry["dbsession_factory"], services)
    set_context(context)
    embedded = settings.get("openshot_api.broker", "embedded") == "embedded"
    recover_after = None
    if embedded and get_bool({**settings}, "openshot_api.embedded_worker"):
        from .tasks import requeue_pending
        worker = EmbeddedWorker(broker, threads=get_int(settings, "openshot_api.embedded_worker_threads"))
        config.registry["embedded_worker"] = worker.start()
        # The in-memory queue died with the previous process: send pending jobs again, and soon
        # take back the renders it was doing.
        requeue_pending(context)
        recover_after = 10.0
    # Every process relays the outbox and keeps webhooks and exports moving.
    config.registry["job_keeper"] = start_job_keeper(context, recover_after=recover_after)

    app = config.make_wsgi_app()
    return wrap(app, settings)
