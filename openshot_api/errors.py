"""The one error shape of the API: ``{"detail": "...", "<field>": ["message", ...]}``.

Handlers raise ``APIError`` (or a Pyramid HTTP exception); the exception views below turn every
failure, including unexpected ones, into that shape with the right status code.
"""
import logging

from pyramid.httpexceptions import HTTPException
from pyramid.view import exception_view_config, notfound_view_config

log = logging.getLogger(__name__)


class APIError(Exception):
    """An error answered to the client. ``fields`` maps a field name to its messages."""

    def __init__(self, status, detail, fields=None, headers=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.fields = {k: (v if isinstance(v, list) else [v]) for k, v in (fields or {}).items()}
        self.headers = headers or {}


def bad_request(field, message):
    """A 400 naming one field; ``detail`` repeats it so clients that only read detail see it."""
    return APIError(400, f"{field}: {message}", {field: [message]})


def invalid_fields(fields):
    """A 400 for several field errors at once."""
    fields = {k: (v if isinstance(v, list) else [v]) for k, v in fields.items()}
    detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
    return APIError(400, detail, fields)


def not_found(detail="Not found."):
    return APIError(404, detail)


def _respond(request, status, body, headers=None):
    response = request.response
    response.status = status
    response.content_type = "application/json"
    response.json_body = body
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


@exception_view_config(APIError)
def api_error_view(exc, request):
    body = {"detail": exc.detail}
    for key, messages in exc.fields.items():
        if key != "detail":
            body[key] = messages
    return _respond(request, exc.status, body, exc.headers)


@notfound_view_config()
def not_found_view(exc, request):
    return _respond(request, 404, {"detail": "Not found."})


@exception_view_config(HTTPException)
def http_exception_view(exc, request):
    if exc.status_code < 400:
        return exc
    detail = exc.detail or exc.explanation or exc.title
    if exc.status_code == 405:
        detail = f'Method "{request.method}" not allowed.'
    headers = {}
    if "WWW-Authenticate" in exc.headers:
        headers["WWW-Authenticate"] = exc.headers["WWW-Authenticate"]
    if "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    return _respond(request, exc.status_code, {"detail": detail}, headers)


UNAVAILABLE_DETAIL = "The database is unavailable; try again shortly."


def _retry_after(registry):
    from .settings import get_int
    return str(get_int(registry.settings, "openshot_api.db_unavailable_retry_after") or 5)


@exception_view_config(Exception)
def server_error_view(exc, request):
    from .db import database_unavailable
    if database_unavailable(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.path, str(exc).splitlines()[0])
        return _respond(request, 503, {"detail": UNAVAILABLE_DETAIL},
                        {"Retry-After": _retry_after(request.registry)})
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _respond(request, 500, {"detail": "A server error occurred."})


def database_unavailable_tween_factory(handler, registry):
    """Outermost: a database outage can also surface where no exception view runs (the commit,
    or the security policy inside an error view); it is a 503 in the API's shape there too."""
    from pyramid.response import Response

    from .db import database_unavailable

    def tween(request):
        try:
            return handler(request)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("database unavailable on %s %s: %s", request.method, request.path,
                        str(exc).splitlines()[0])
            response = Response(status=503, json_body={"detail": UNAVAILABLE_DETAIL})
            response.headers["Retry-After"] = _retry_after(registry)
            return response
    return tween


def includeme(config):
    config.scan(__name__)
    config.add_tween("openshot_api.errors.database_unavailable_tween_factory", over="pyramid_tm.tm_tween_factory")
