"""/exports/: renders of a project, queued for the workers, with cancel, retry and download."""
import re
from fractions import Fraction

import colander
from cornice import Service

from .. import timeline
from ..errors import APIError, bad_request
from ..models import Export
from ..services import get_services
from ..settings import get_int
from .base import (
    Integer,
    JSONObject,
    ProjectResource,
    Scalar,
    body_of,
    created,
    get_owned,
    iso,
    keep_project,
    refuse_get_from_browsers,
    set_json,
    validate,
)
from .projects import CHANNEL_LAYOUTS, check_pixels

EXPORT_TYPES = ("video", "audio", "image", "image sequence", "waveform")
EXPORT_ACTIONS = ("download", "retry", "cancel", "storage")
FINISHED = ("completed", "failed")
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000000, "mb": 1000000, "g": 10 ** 9, "gb": 10 ** 9}
_QUALITY = {"crf": 63, "cqp": 63, "qp": 255}


def parse_bitrate(value, field, quality=True):
    """Bits per second from ``8000000``, ``"8.0 Mb/sec"``, ``"192 kb/s"``, ``"128k"``; or, for
    video, a quality setting ``"crf 23"`` / ``"crf:23"`` / ``"23 crf"`` / ``{"crf": 23}``, kept
    as ``"crf 23"``. Returns the canonical string."""
    if isinstance(value, bool):
        raise bad_request(field, "Expected bits per second or a quality such as 'crf 23'.")
    if isinstance(value, dict) and quality and len(value) == 1:
        (mode, number), = value.items()
        value = f"{mode} {number}"
    if isinstance(value, (int, float)):
        if value <= 0:
            raise bad_request(field, "Must be greater than 0.")
        return str(int(value))
    text = str(value).strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmg]?b?)(?:it)?(?:ps|/s|/sec|\s*per\s*second)?", text)
    if match:
        bits = float(match.group(1)) * _UNITS[match.group(2)]
        if bits <= 0:
            raise bad_request(field, "Must be greater than 0.")
        return str(int(bits))
    if quality:
        match = re.fullmatch(r"(crf|cqp|qp)\s*[:= ]?\s*(\d+)|(\d+)\s*(crf|cqp|qp)", text)
        if match:
            mode = match.group(1) or match.group(4)
            number = int(match.group(2) or match.group(3))
            if not 0 <= number <= _QUALITY[mode]:
                raise bad_request(field, f"{mode} must be between 0 and {_QUALITY[mode]}.")
            return f"{mode} {number}"
    raise bad_request(field, f"{value!r} is not a bitrate (bits per second like 8000000 or "
                             f"'8 Mb/sec'{', or crf/cqp/qp like crf 23' if quality else ''}).")


def bitrate_out(value):
    return int(value) if str(value).isascii() and str(value).isdigit() else value


class ExportSchema(colander.MappingSchema):
    export_type = colander.SchemaNode(colander.String(), missing="video",
                                      validator=colander.OneOf(EXPORT_TYPES))
    video_format = colander.SchemaNode(colander.String(), missing="mp4", validator=colander.Length(1, 64))
    video_codec = colander.SchemaNode(colander.String(allow_empty=True), missing="libx264",
                                      validator=colander.Length(0, 64))
    video_bitrate = colander.SchemaNode(Scalar(), missing="8000000")
    audio_codec = colander.SchemaNode(colander.String(allow_empty=True), missing="ac3",
                                      validator=colander.Length(0, 64))
    audio_bitrate = colander.SchemaNode(Scalar(), missing="1920000")
    start_frame = colander.SchemaNode(Integer(), missing=1, validator=colander.Range(min=1))
    end_frame = colander.SchemaNode(Integer(), missing=None)
    webhook = colander.SchemaNode(colander.String(allow_empty=True), missing="",
                                  validator=colander.Length(max=2048))
    json = colander.SchemaNode(JSONObject(), missing={})


def check_overrides(overrides):
    """The project settings a client may override per export, checked by type and range."""
    def positive_int(key, upper):
        value = overrides.get(key)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
            raise bad_request("json", f"{key} must be an integer between 1 and {upper}.")
    positive_int("width", 8192)
    positive_int("height", 8192)
    positive_int("sample_rate", 192000)
    positive_int("channels", 8)
    for key in ("width", "height"):
        if (overrides.get(key) or 0) % 2:
            raise bad_request("json", f"{key} must be an even number.")
    # null overrides nothing (timeline.export_settings keeps the project's setting).
    if overrides.get("channel_layout") is not None and overrides["channel_layout"] not in CHANNEL_LAYOUTS:
        raise bad_request("json", f"channel_layout {overrides['channel_layout']!r} is not a known layout.")
    if overrides.get("fps") is not None:
        fps = overrides["fps"]
        ok = isinstance(fps, dict) and all(isinstance(fps.get(k), int) and not isinstance(fps.get(k), bool)
                                           and fps.get(k) > 0 for k in ("num", "den"))
        if not ok:
            raise bad_request("json", 'fps must be {"num": <int>, "den": <int>} with positive values.')
    for key in ("wave_color", "wave_background_color"):
        value = overrides.get(key)
        if value is not None and not (isinstance(value, dict) or
                                      (isinstance(value, str) and re.fullmatch(r"#?[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", value))):
            raise bad_request("json", f"{key} must be a colour like #00ff00.")
    for key in ("interlaced", "top_field_first"):
        value = overrides.get(key)
        if value is None or isinstance(value, bool) or value in (0, 1) \
                or (isinstance(value, str) and value.strip().lower() in (timeline.FALSE_WORDS + timeline.TRUE_WORDS) and value.strip()):
            continue
        raise bad_request("json", f"{key} must be true or false.")


def check_length(settings, frames, fps):
    """A render's length within ``openshot_api.max_export_frames`` and, at its frame rate,
    ``openshot_api.max_export_seconds``: one export must not hold a worker for days."""
    max_frames = get_int(settings, "openshot_api.max_export_frames")
    if frames > max_frames:
        raise bad_request("end_frame", f"The export spans {frames} frames; at most {max_frames} are allowed.")
    max_seconds = get_int(settings, "openshot_api.max_export_seconds")
    if frames / fps > max_seconds:
        raise bad_request("end_frame", f"The export lasts {float(frames / fps):.1f} seconds at "
                                       f"{fps.numerator}/{fps.denominator} fps; at most {max_seconds} are allowed.")


def validate_export(request, export, project):
    """Everything that would make the render fail or pass the limits, as a 400 now: an empty
    project, a frame range outside it, too long or too large a render, an unknown codec or format."""
    if export.webhook:
        from ..fetch import check_url_host
        from ..interfaces import BackendError
        from ..settings import get_bool
        if not re.match(r"^https?://[^\s/]+", export.webhook):
            raise bad_request("webhook", "Enter a valid http(s) URL.")
        try:
            check_url_host(export.webhook, get_bool(request.registry.settings, "openshot_api.allow_private_urls"))
        except BackendError as exc:
            raise bad_request("webhook", str(exc))
    check_overrides(export.json or {})
    settings = timeline.export_settings(export, project)
    resized = {"width", "height"} & set(export.json or {})
    check_pixels(request.registry.settings, settings["width"], settings["height"], "json" if resized else "project")
    fps = Fraction(settings["fps"]["num"], settings["fps"]["den"])
    last = timeline.length_in_frames(project, fps)
    if last < 1:
        raise bad_request("project", "The project has no clips or effects, so there is nothing to export.")
    if export.end_frame in (None, 0, -1):
        export.end_frame = last
    elif export.end_frame < 0:
        raise bad_request("end_frame", "Must be a frame number, or blank/0/-1 for the project's end.")
    # Frames after the project's end are accepted, as by the hosted API: libopenshot renders
    # them black and silent (the longest export is still bounded by check_length).
    if export.end_frame < export.start_frame:
        raise bad_request("end_frame", f"end_frame ({export.end_frame}) is before start_frame ({export.start_frame}).")
    check_length(request.registry.settings, export.end_frame - export.start_frame + 1, fps)
    from .project_actions import project_problems
    problems = project_problems(request, project)
    if problems:
        raise APIError(400, "The project cannot be rendered: " + " ".join(p["detail"] for p in problems),
                       {"problems": problems})
    settings.update(start_frame=export.start_frame, end_frame=export.end_frame)
    problem = get_services(request).renderer.check_export(settings)
    if problem:
        named = [f for f in ("video_codec", "audio_codec", "video_format", "video_bitrate",
                             "audio_bitrate", "export_type", "start_frame", "end_frame") if f in problem]
        raise bad_request(named[0] if named else "json", problem)
    if any(k in (export.json or {}) for k in ("bucket", "container")):
        upload = dict(export.json)
        if not isinstance(upload.get("url"), str) or not upload["url"].strip():
            raise bad_request("json", "url (the path to upload the output to) is required with bucket/container.")
        if get_services(request).cloud_transfer_for(upload) is None:
            raise bad_request("json", "No cloud storage plugin is configured for this upload.")


def serialize_export(request, export):
    from ..media import media_url
    url = request.route_url("export", id=export.id)
    return {
        "url": url,
        "id": export.id,
        "output": media_url(request, export.output) if export.output else None,
        "export_type": export.export_type,
        "video_format": export.video_format,
        "video_codec": export.video_codec,
        "video_bitrate": bitrate_out(export.video_bitrate),
        "audio_codec": export.audio_codec,
        "audio_bitrate": bitrate_out(export.audio_bitrate),
        "start_frame": export.start_frame,
        "end_frame": export.end_frame,
        "actions": [f"{url}{action}/" for action in EXPORT_ACTIONS],
        "project": request.route_url("project", id=export.project_id),
        "webhook": export.webhook,
        "json": export.json or {},
        "progress": float(export.progress or 0.0),
        "status": export.status,
        "date_created": iso(export.date_created),
        "date_updated": iso(export.date_updated),
    }


def queue_render(request, export):
    """Queue the render job for the export's current attempt, in the request's transaction."""
    from ..jobs import enqueue
    from ..tasks import render_export
    export.base_url = request.application_url
    enqueue(request.dbsession, render_export, export.id, export.attempt)


def _apply(data, export):
    if "video_bitrate" in data:
        data["video_bitrate"] = parse_bitrate(data["video_bitrate"], "video_bitrate")
    if "audio_bitrate" in data:
        data["audio_bitrate"] = parse_bitrate(data["audio_bitrate"], "audio_bitrate", quality=False)
    user_json = data.pop("json", None)
    for key, value in data.items():
        setattr(export, key, value)
    if user_json is not None:
        set_json(export, user_json)


def create_export(request, project, body):
    data = validate(ExportSchema(), body, "create")
    export = Export(project_id=project.id, status="pending", progress=0.0)
    _apply(data, export)
    validate_export(request, export, project)
    request.dbsession.add(export)
    request.dbsession.flush()
    queue_render(request, export)
    return created(request, export, serialize_export)


export_retry = Service(name="export_retry", path="/exports/{id}/retry/", description="Render again")
export_cancel = Service(name="export_cancel", path="/exports/{id}/cancel/", description="Stop a render")
export_download = Service(name="export_download", path="/exports/{id}/download/",
                          description="The rendered output, for its owner")


def _export_update(request, mode):
    export = get_owned(request, Export, request.matchdict["id"])
    body = body_of(request)
    data = validate(ExportSchema(), body, mode)
    keep_project(request, body, export, "An export")
    if export.status in ("pending", "in-progress", "cancel") and set(data) - {"webhook", "json"}:
        raise APIError(400, "This export is being rendered; cancel it before changing how it renders.")
    _apply(data, export)
    validate_export(request, export, export.project)
    request.dbsession.flush()
    return serialize_export(request, export)


resource = ProjectResource("export", "exports", Export, serialize_export, create_export, _export_update,
                           stored=lambda export: [export.output],
                           description="Exports: renders of a project by the workers")


def retry(export):
    """Put ``export`` back in the queue as a new attempt (the old attempt's worker, if any, stops
    writing to it)."""
    data = dict(export.json or {})
    data["retries"] = int(data.get("retries", 0)) + 1
    data.pop("error", None)
    export.json = data
    export.status = "pending"
    export.progress = 0.0
    export.attempt = (export.attempt or 0) + 1


@export_retry.post()
@export_retry.get()
def export_retry_post(request):
    refuse_get_from_browsers(request)
    export = get_owned(request, Export, request.matchdict["id"])
    if export.status in ("pending", "in-progress", "cancel"):
        raise APIError(400, f"The export is {export.status}; only a completed or failed export can be retried.")
    validate_export(request, export, export.project)
    retry(export)
    request.dbsession.flush()
    queue_render(request, export)
    return serialize_export(request, export)


@export_cancel.post()
@export_cancel.get()
def export_cancel_post(request):
    refuse_get_from_browsers(request)
    from ..tasks import schedule_webhook
    export = get_owned(request, Export, request.matchdict["id"])
    if export.status in FINISHED:
        raise APIError(400, f"The export is already {export.status}; only a pending or in-progress "
                            "export can be cancelled.")
    if export.status == "pending":
        # No worker holds it yet: fail it now and make any queued job for it stale.
        export.status = "failed"
        export.attempt = (export.attempt or 0) + 1
        set_json(export, {**(export.json or {}), "error": "Export cancelled."})
        schedule_webhook(request.dbsession, export)
    else:
        # The rendering worker sees this within a fraction of a second, stops and fails it.
        export.status = "cancel"
    request.dbsession.flush()
    return serialize_export(request, export)


@export_download.get()
def export_download_get(request):
    from .files import stream_stored
    export = get_owned(request, Export, request.matchdict["id"])
    if export.status != "completed" or not export.output:
        raise APIError(404, f"The export has no output yet (status: {export.status}).")
    return stream_stored(request, export.output, export.output.rsplit("/", 1)[-1])


def includeme(config):
    resource.includeme(config)
    for service in (export_retry, export_cancel, export_download):
        config.add_cornice_service(service)
