"""Still images of a project frame or a file frame (``/projects/{id}/thumbnail/``,
``/files/{id}/thumbnail/``), rendered by the renderer plugin."""
import colander
from cornice import Service
from pyramid.response import Response

from .. import timeline
from ..errors import bad_request, invalid_fields
from ..interfaces import BackendError
from ..models import File, Project
from ..readers import readable_info
from ..services import get_services
from ..settings import get_int
from .base import Integer, get_owned, params_of, validate

IMAGE_TYPES = {"BMP": "image/bmp", "JPG": "image/jpeg", "JPEG": "image/jpeg", "PNG": "image/png",
               "PPM": "image/x-portable-pixmap", "XBM": "image/x-xbitmap", "XPM": "image/x-xpixmap"}


class ThumbnailSchema(colander.MappingSchema):
    frame_number = colander.SchemaNode(Integer(), missing=1, validator=colander.Range(min=1))
    width = colander.SchemaNode(Integer(), missing=1920, validator=colander.Range(1, 8192))
    height = colander.SchemaNode(Integer(), missing=1080, validator=colander.Range(1, 8192))
    image_format = colander.SchemaNode(colander.String(), missing="JPG",
                                       preparer=lambda v: v.upper() if isinstance(v, str) else v,
                                       validator=colander.OneOf(sorted(IMAGE_TYPES)))
    image_quality = colander.SchemaNode(Integer(), missing=100, validator=colander.Range(0, 100))


def _image(request, project_dict, params):
    """The encoded frame; the renderer call waits for a sync render slot (services.py)."""
    most = get_int(request.registry.settings, "openshot_api.max_thumbnail_pixels")
    if params["width"] * params["height"] > most:
        message = f"width x height must be at most {most} pixels."
        raise invalid_fields({"width": message, "height": message})
    try:
        data = get_services(request).renderer.thumbnail(
            project_dict, params["frame_number"], params["width"], params["height"],
            params["image_format"], params["image_quality"])
    except BackendError as exc:
        raise bad_request("frame_number", f"Could not render this frame: {exc}")
    return Response(body=data, content_type=IMAGE_TYPES[params["image_format"]])


def local_project_dict(request, project):
    storage = get_services(request).storage
    return timeline.build(project, path_for=lambda f: storage.local_path(f.media))


def _positive(value, default, kind):
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if 0 < number <= 10 ** 9 and not isinstance(value, bool) else default


def file_project_dict(request, file):
    """A timeline holding just this file, at its own size and frame rate."""
    info = readable_info(file.json)
    storage = get_services(request).storage
    reader = {**info, "path": storage.local_path(file.media)}
    clip = get_services(request).renderer.clip_defaults(reader)
    # The probe's numbers; json stored before file json was checked may hold anything.
    duration = _positive(info.get("duration"), 10.0, float)
    if info.get("has_single_image") or info.get("media_type") == "image":
        duration = 10.0
    fps = info.get("fps") or {"num": 30, "den": 1}
    clip.update({"id": "1", "file_id": str(file.id), "layer": 1, "position": 0.0, "start": 0.0,
                 "end": duration, "reader": reader})
    width, height = _positive(info.get("width"), 1280, int), _positive(info.get("height"), 720, int)
    return {"id": "F", "fps": fps, "width": width, "height": height, "sample_rate": info.get("sample_rate") or 44100,
            "channels": info.get("channels") or 2, "channel_layout": info.get("channel_layout") or 3,
            "duration": duration, "files": [{**reader, "id": str(file.id)}], "clips": [clip], "effects": [],
            "layers": [{"id": "L1", "number": 1, "y": 0, "label": "", "lock": False}]}


project_thumbnail = Service(name="project_thumbnail", path="/projects/{id}/thumbnail/",
                            description="An image of one frame of the project")
file_thumbnail = Service(name="file_thumbnail", path="/files/{id}/thumbnail/",
                         description="An image of one frame of the file")


@project_thumbnail.post()
@project_thumbnail.get()
def project_thumbnail_view(request):
    project = get_owned(request, Project, request.matchdict["id"])
    body = params_of(request)
    params = validate(ThumbnailSchema(), body, "create")
    last = max(timeline.length_in_frames(project), 1)
    if params["frame_number"] > last:
        raise bad_request("frame_number", f"Frame {params['frame_number']} is after the project's last frame ({last}).")
    return _image(request, local_project_dict(request, project), params)


@file_thumbnail.post()
@file_thumbnail.get()
def file_thumbnail_view(request):
    file = get_owned(request, File, request.matchdict["id"])
    if request.method == "GET" and not request.GET:
        # The spec's fast default: JPEG, frame 60, 720p.
        params = {"frame_number": 60, "width": 1280, "height": 720, "image_format": "JPG", "image_quality": 90}
    else:
        body = params_of(request)
        params = validate(ThumbnailSchema(), body, "create")
    info = file.json or {}
    if not info.get("has_single_image"):
        try:
            frames = int(info.get("video_length") or 0)
        except (TypeError, ValueError):
            frames = 0
        if frames and params["frame_number"] > frames:
            if request.method == "GET" and not request.GET:
                params["frame_number"] = frames
            else:
                raise bad_request("frame_number", f"The file has {frames} frames.")
    return _image(request, file_project_dict(request, file), params)


def includeme(config):
    config.add_cornice_service(project_thumbnail)
    config.add_cornice_service(file_thumbnail)
