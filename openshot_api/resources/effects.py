"""/effects/: libopenshot effects on a layer of the timeline."""
import colander

from ..errors import bad_request
from ..models import Effect
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
    set_json,
    update_fields,
    validate,
)
from .clips import check_libopenshot_json, check_range, fields_sent, json_twins, stamp_fields
from .readers import clean_readers


class EffectSchema(colander.MappingSchema):
    title = colander.SchemaNode(colander.String(allow_empty=True), missing="",
                                validator=colander.Length(max=255))
    type = colander.SchemaNode(colander.String(), validator=colander.Length(1, 100))
    position = colander.SchemaNode(Number(), missing=0.0, validator=SECONDS)
    start = colander.SchemaNode(Number(), missing=0.0, validator=SECONDS)
    end = colander.SchemaNode(Number(), missing=10.0, validator=SECONDS)
    layer = colander.SchemaNode(Integer(), missing=1, validator=LAYERS)
    json = colander.SchemaNode(JSONObject(), missing={})


def serialize_effect(request, effect):
    return {
        "url": request.route_url("effect", id=effect.id),
        "id": effect.id,
        "title": effect.title,
        "type": effect.type,
        "position": effect.position,
        "start": effect.start,
        "end": effect.end,
        "layer": effect.layer,
        "project": request.route_url("project", id=effect.project_id),
        "json": effect.json or {},
        "date_created": iso(effect.date_created),
        "date_updated": iso(effect.date_updated),
    }


def effect_defaults(request, effect_type):
    """libopenshot's json for a new effect of ``effect_type``; unknown types are a 400 that lists
    the known ones."""
    renderer = get_services(request).renderer
    known = {info["class_name"]: info for info in renderer.effect_types()}
    if effect_type not in known:
        lowered = {name.lower(): name for name in known}
        if effect_type.lower() not in lowered:
            raise bad_request("type", f"Unknown effect type {effect_type!r}; choose one of: "
                                      f"{', '.join(sorted(known))}.")
        effect_type = lowered[effect_type.lower()]
    return effect_type, renderer.effect_defaults(effect_type)


def create_effect(request, project, body):
    data = validate(EffectSchema(), body, "create")
    data.update(json_twins(EffectSchema(), data["json"], fields_sent(body)))
    check_range(data["start"], data["end"])
    data["type"], defaults = effect_defaults(request, data["type"])
    check_libopenshot_json(data["json"], defaults)
    defaults.update(clean_readers(request, project, data.pop("json")))
    data["title"] = data["title"] or data["type"]
    effect = Effect(project_id=project.id, json=defaults, **data)
    stamp_fields(effect)
    return created(request, effect, serialize_effect)


def _effect_update(request, mode):
    effect = get_owned(request, Effect, request.matchdict["id"])
    body = body_of(request)
    data = validate(EffectSchema(), body, mode)
    keep_project(request, body, effect, "An effect")
    data.update(json_twins(EffectSchema(), data.get("json"), fields_sent(body)))
    if data.get("json") is not None:
        clean_readers(request, effect.project, data["json"])
    check_range(data.get("start", effect.start), data.get("end", effect.end))
    if "type" in data:
        data["type"], defaults = effect_defaults(request, data["type"])
        if data["type"] != effect.type:
            set_json(effect, defaults)
    if data.get("json") is not None:
        try:
            defaults = get_services(request).renderer.effect_defaults(data.get("type", effect.type))
        except KeyError:  # a type libopenshot does not know (stored before types were checked)
            defaults = {}
        check_libopenshot_json(data["json"], defaults)
    update_fields(effect, data)
    stamp_fields(effect)
    request.dbsession.flush()
    return serialize_effect(request, effect)


resource = ProjectResource("effect", "effects", Effect, serialize_effect, create_effect, _effect_update,
                           description="Effects: libopenshot effects on the layers of a timeline")
includeme = resource.includeme
