"""WSGI wrappers applied around the Pyramid app."""
from .settings import get_bool

# Paths that name files, not API resources; they never get a slash appended.
_FILE_PREFIXES = ("/media/", "/static/")


class TrailingSlash:
    """Every API route answers with and without its trailing slash, for every method: the path
    is completed before routing instead of redirecting (a redirect would lose a POST body)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        last = path.rsplit("/", 1)[-1]
        if not path.endswith("/") and "." not in last and not path.startswith(_FILE_PREFIXES):
            environ["PATH_INFO"] = path + "/"
        return self.app(environ, start_response)


class ProxyHeaders:
    """Trust X-Forwarded-Proto/Host/Prefix from the front proxy, so links point at it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip()
        host = environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()
        prefix = environ.get("HTTP_X_FORWARDED_PREFIX", "").strip().rstrip("/")
        if proto in ("http", "https"):
            environ["wsgi.url_scheme"] = proto
        if host:
            environ["HTTP_HOST"] = host
        if prefix:
            environ["SCRIPT_NAME"] = prefix
        return self.app(environ, start_response)


def wrap(app, settings):
    registry = getattr(app, "registry", None)
    app = TrailingSlash(app)
    if get_bool(settings, "openshot_api.trusted_proxy"):
        app = ProxyHeaders(app)
    app.registry = registry  # the Pyramid registry stays reachable from the outermost app
    return app
