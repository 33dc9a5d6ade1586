"""/clips/: a file placed on a layer of the timeline, with its keyframes in ``json``."""
import colander

from .. import keyframes
from ..errors import APIError, bad_request, invalid_fields
from ..models import Clip, File
from ..readers import readable_info
from ..services import get_services
from .base import (
    LAYERS,
    SECONDS,
    Integer,
    JSONObject,
    Number,
    ProjectResource,
    body_of,
    created,
    get_owned,
    iso,
    keep_project,
    resolve_reference,
    set_json,
    update_fields,
    validate,
)
from .readers import clean_readers

CLIP_ACTIONS = ("presets", "keyframes", "reset", "captions")
# Image files have no length of their own; a new clip of one lasts this long unless told.
DEFAULT_IMAGE_SECONDS = 10.0
# Fields a clip's (and an effect's) libopenshot json repeats. The render reads the json, so the
# two are kept equal on every write: a field sent wins, else its twin in the sent json.
SYNCED = ("position", "start", "end", "layer")


class ClipSchema(colander.MappingSchema):
    position = colander.SchemaNode(Number(), missing=0.0, validator=SECONDS)
    start = colander.SchemaNode(Number(), missing=0.0, validator=SECONDS)
    end = colander.SchemaNode(Number(), missing=None, validator=SECONDS)
    layer = colander.SchemaNode(Integer(), missing=1, validator=LAYERS)
    json = colander.SchemaNode(JSONObject(), missing={})


def serialize_clip(request, clip):
    url = request.route_url("clip", id=clip.id)
    return {
        "url": url,
        "file": request.route_url("file", id=clip.file_id),
        "id": clip.id,
        "position": clip.position,
        "start": clip.start,
        "end": clip.end,
        "layer": clip.layer,
        "actions": [f"{url}{action}/" for action in CLIP_ACTIONS],
        "project": request.route_url("project", id=clip.project_id),
        "json": clip.json or {},
        "date_created": iso(clip.date_created),
        "date_updated": iso(clip.date_updated),
    }


def file_length(file):
    info = file.json or {}
    if info.get("has_single_image") or info.get("media_type") == "image":
        return None
    try:
        return float(info.get("duration") or 0) or None
    except (TypeError, ValueError, OverflowError):
        return None


def default_clip_json(request, file):
    """libopenshot's defaults for a clip of this file (keyframes, reader ...)."""
    reader = {k: v for k, v in readable_info(file.json).items() if k not in ("name", "url", "bucket", "container")}
    defaults = get_services(request).renderer.clip_defaults(reader)
    defaults.setdefault("title", (file.json or {}).get("name", ""))
    return defaults


def check_libopenshot_json(user_json, defaults, field="json", where="json"):
    """A 400 naming ``field`` when a key of the client's clip or effect json holds what
    libopenshot cannot read where its own json (``defaults``) has that key: a render of it
    would fail (see keyframes.json_problem). The clip's own reader comes from its file."""
    for key, value in (user_json or {}).items():
        if key != "reader" and key in defaults:
            problem = keyframes.json_problem(value, defaults[key], f"{where}.{key}")
            if problem:
                raise bad_request(field, problem + ".")


def check_range(start, end):
    # Still a 400: libopenshot cannot render a clip or effect of zero or negative length.
    # (A clip's end of 0 has become its file's end before this runs.)
    if end is not None and start >= end:
        raise invalid_fields({"end": [f"end ({end}) must be greater than start ({start})."]})


def fields_sent(body):
    """The synced fields the body sets itself; these win over their twins in its json."""
    return {key for key in SYNCED if body.get(key) not in (None, "")}


def sent_fields(body, data):
    """The synced fields a clip's body really sets. An end of 0 is not one: clients such as the
    Go SDK send zero values for fields they leave unset, and 0 means "to the end of the file"."""
    sent = fields_sent(body)
    return sent - {"end"} if not data.get("end") else sent


def json_twins(schema, user_json, sent):
    """The fields set only through their twins in the sent json (``json.end`` ...), validated
    like the fields themselves."""
    given = {key: user_json[key] for key in SYNCED if key in (user_json or {}) and key not in sent}
    try:
        return validate(schema, given, "update")
    except APIError as exc:
        raise invalid_fields({"json": [f"{key}: {msg}" for key, msgs in exc.fields.items() for msg in msgs]})


def stamp_fields(obj):
    """Copy the object's fields into its json, so both say the same."""
    set_json(obj, {**(obj.json or {}), **{key: getattr(obj, key) for key in SYNCED}})


def create_clip(request, project, body):
    data = validate(ClipSchema(), body, "create")
    if body.get("file") in (None, ""):
        raise invalid_fields({"file": ["This field is required."]})
    file = resolve_reference(request, body["file"], File, "file")
    if file.project_id != project.id:
        raise bad_request("file", "The file belongs to another project; copy it into this project first.")
    data.update(json_twins(ClipSchema(), data["json"], sent_fields(body, data)))
    if not data["end"]:  # missing, null or 0
        data["end"] = file_length(file) or DEFAULT_IMAGE_SECONDS
    check_range(data["start"], data["end"])
    clip_json = default_clip_json(request, file)
    check_libopenshot_json(data["json"], clip_json)
    clip_json.update(clean_readers(request, project, data.pop("json"), skip_top_reader=True))
    clip_json["reader"] = default_clip_json(request, file).get("reader", {})  # from its file only
    clip = Clip(project_id=project.id, file_id=file.id, json=clip_json, **data)
    stamp_fields(clip)
    return created(request, clip, serialize_clip)


def _clip_update(request, mode):
    clip = get_owned(request, Clip, request.matchdict["id"])
    body = body_of(request)
    data = validate(ClipSchema(), body, mode)
    if mode == "replace" and body.get("file") in (None, ""):
        raise invalid_fields({"file": ["This field is required."]})
    keep_project(request, body, clip, "A clip")
    if "end" in body and body["end"] in (None, ""):
        data["end"] = 0.0  # a blank end, like 0, is the file's end
    data.update(json_twins(ClipSchema(), data.get("json"), sent_fields(body, data)))
    if data.get("json") is not None:
        user_json = {k: v for k, v in data["json"].items() if k != "reader"}  # from its file only
        check_libopenshot_json(user_json, default_clip_json(request, clip.file))
        data["json"] = clean_readers(request, clip.project, user_json, skip_top_reader=True)
    file = clip.file
    if body.get("file") not in (None, ""):
        file = resolve_reference(request, body["file"], File, "file")
        if file.project_id != clip.project_id:
            raise bad_request("file", "The file belongs to another project.")
        if file.id != clip.file_id:
            clip.file_id = file.id
            fresh = default_clip_json(request, file)
            set_json(clip, {**(clip.json or {}), "reader": fresh.get("reader", {})})
    if "end" in data and not data["end"]:  # 0 or null: the file's end
        data["end"] = file_length(file) or DEFAULT_IMAGE_SECONDS
    check_range(data.get("start", clip.start), data.get("end", clip.end))
    update_fields(clip, data)
    stamp_fields(clip)
    request.dbsession.flush()
    return serialize_clip(request, clip)


resource = ProjectResource("clip", "clips", Clip, serialize_clip, create_clip, _clip_update,
                           description="Clips: files placed on the layers of a timeline")
includeme = resource.includeme
