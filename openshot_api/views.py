"""The API root and the media files served by the app (local storage)."""
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from .errors import APIError, not_found
from .media import MEDIA_HEADERS, check_media_path
from .resources.base import may_read_key
from .resources.files import stream_stored
from .services import get_services

ROOT_LINKS = ("projects", "files", "clips", "effects", "exports", "info")


@view_config(route_name="root", renderer="json", permission=NO_PERMISSION_REQUIRED)
def root_view(request):
    return {name: request.route_url(name) for name in ROOT_LINKS}


@view_config(route_name="media", permission=NO_PERMISSION_REQUIRED)
def media_view(request):
    """Media under /media/ (uploads and renders), as the spec's Apache alias would serve them.
    File names carry random parts where guessing matters (export outputs). Typed as
    ``stream_stored`` does; every answer, errors too, carries the media headers."""
    request.add_response_callback(lambda request, response: response.headers.update(MEDIA_HEADERS))
    key = "/".join(request.matchdict["subpath"])
    try:
        key = check_media_path(key)
    except APIError:
        raise not_found()
    # Media URLs work without credentials (as the spec's media folder does; the random folders
    # in keys make them unguessable), but a signed-in user never sees another user's media.
    if getattr(request, "auth_error", None) is not None or (
            request.identity is not None and not may_read_key(request, key)):
        raise not_found()
    if not get_services(request).storage.exists(key):
        raise not_found()
    return stream_stored(request, key)


def includeme(config):
    config.add_route("root", "/")
    config.add_route("media", "/media/*subpath")
    config.scan(__name__)
