"""Health and version endpoints for load balancers and container runtimes (as Kinto has them):
``GET /__heartbeat__`` checks each backend, ``GET /__lbheartbeat__`` only that the process
answers, ``GET /__version__`` says what is running. None needs credentials or names a secret."""
import importlib.metadata
import logging
import threading

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import text

log = logging.getLogger(__name__)

# A check that has not answered in this many seconds counts as failed: a load balancer must get
# an answer quickly even when a backend hangs.
CHECK_SECONDS = 5.0


def _database(request):
    with request.registry["db_engine"].connect() as connection:
        connection.execute(text("SELECT 1"))
    return True


def _broker(request):
    settings = request.registry.settings
    if (settings.get("openshot_api.broker") or "embedded").strip() != "rabbitmq":
        return True  # the embedded broker lives in this process
    import pika
    parameters = pika.URLParameters(settings["openshot_api.broker_url"])
    parameters.socket_timeout = parameters.blocked_connection_timeout = CHECK_SECONDS
    parameters.connection_attempts = 1
    connection = pika.BlockingConnection(parameters)
    try:
        return connection.is_open
    finally:
        connection.close()


def _storage(request):
    return bool(request.registry["services"].storage.heartbeat())


CHECKS = {"database": _database, "broker": _broker, "storage": _storage}


def _run(check, request):
    """``check(request)`` in a thread of its own, False on an error or past CHECK_SECONDS."""
    outcome = {"ok": False}

    def target():
        try:
            outcome["ok"] = bool(check(request))
        except Exception as exc:
            log.warning("heartbeat check %s failed: %s", check.__name__, str(exc).splitlines()[0] if str(exc) else exc)
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(CHECK_SECONDS)
    return outcome["ok"]


@view_config(route_name="heartbeat", renderer="json", permission=NO_PERMISSION_REQUIRED, request_method="GET")
def heartbeat_view(request):
    states = {name: _run(check, request) for name, check in CHECKS.items()}
    request.response.status = 200 if all(states.values()) else 503
    request.response.cache_control = "no-cache"
    return states


@view_config(route_name="lbheartbeat", renderer="json", permission=NO_PERMISSION_REQUIRED, request_method="GET")
def lbheartbeat_view(request):
    request.response.cache_control = "no-cache"
    return {}


@view_config(route_name="version", renderer="json", permission=NO_PERMISSION_REQUIRED, request_method="GET")
def version_view(request):
    try:
        version = importlib.metadata.version("openshot-api")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return {"name": "openshot-api", "version": version}


def includeme(config):
    config.add_route("heartbeat", "/__heartbeat__/")
    config.add_route("lbheartbeat", "/__lbheartbeat__/")
    config.add_route("version", "/__version__/")
    config.scan(__name__)
