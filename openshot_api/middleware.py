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


class SecurityHeaders:
    """Headers every answer gets unless it set its own: no MIME sniffing, no referrer to other
    sites, and for HTML pages (login, admin, demo) no framing by other sites, so their one-click
    forms cannot be clickjacked; HSTS when cookies are HTTPS-only."""

    def __init__(self, app, hsts=False):
        self.app = app
        self.hsts = hsts
        self.registry = getattr(app, "registry", None)  # code that reaches through to Pyramid

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            names = {name.lower() for name, _ in headers}
            extra = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")]
            html = any(n.lower() == "content-type" and v.lower().startswith("text/html") for n, v in headers)
            if html:
                extra += [("X-Frame-Options", "DENY"), ("Content-Security-Policy", "frame-ancestors 'none'")]
            if self.hsts:
                extra.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
            headers = list(headers) + [(n, v) for n, v in extra if n.lower() not in names]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
        return self.app(environ, start)


def wrap(app, settings):
    registry = getattr(app, "registry", None)
    app = SecurityHeaders(app, hsts=get_bool(settings, "openshot_api.cookie_secure"))
    app = TrailingSlash(app)
    if get_bool(settings, "openshot_api.trusted_proxy"):
        app = ProxyHeaders(app)
    app.registry = registry  # the Pyramid registry stays reachable from the outermost app
    return app
