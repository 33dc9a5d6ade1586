"""Project edits: ``title`` (an SVG title file from a template) and ``merge`` (another project's
clips and effects, moved by offsets or by the spec's advanced instructions)."""
import io
import posixpath
import re

import colander
from cornice import Service

from ..errors import bad_request
from ..interfaces import BackendError
from ..media import probe, store_new
from ..models import Project
from ..services import get_services
from .base import (
    LAYERS,
    MAX_SECONDS,
    SECONDS,
    Flag,
    Integer,
    JSONValue,
    Number,
    body_of,
    created,
    get_owned,
    resolve_reference,
    validate,
)
from .files import add_file, copy_file, serialize_file
from .project_actions import copy_clip, copy_effect
from .projects import serialize_project

project_title = Service(name="project_title", path="/projects/{id}/title/",
                        description="Create an SVG title file from a template")
project_merge = Service(name="project_merge", path="/projects/{id}/merge/",
                        description="Merge another project's clips and effects into this one")


class TitleSchema(colander.MappingSchema):
    template = colander.SchemaNode(colander.String(), missing="Center-Text.svg")
    text = colander.SchemaNode(colander.String(allow_empty=True), missing="")
    font_size = colander.SchemaNode(Number(), missing=None)
    font_name = colander.SchemaNode(colander.String(), missing=None)
    fill_color = colander.SchemaNode(colander.String(), missing=None)
    fill_opacity = colander.SchemaNode(Number(), missing=None)
    stroke_color = colander.SchemaNode(colander.String(), missing=None)
    stroke_size = colander.SchemaNode(Number(), missing=None)
    stroke_opacity = colander.SchemaNode(Number(), missing=None)
    drop_shadow = colander.SchemaNode(Flag(), missing=None)
    background_color = colander.SchemaNode(colander.String(), missing=None)
    background_opacity = colander.SchemaNode(Number(), missing=None)


@project_title.get()
def project_title_get(request):
    get_owned(request, Project, request.matchdict["id"])
    return {"templates": get_services(request).title_renderer.templates()}


@project_title.post()
def project_title_post(request):
    project = get_owned(request, Project, request.matchdict["id"])
    body = body_of(request)
    data = validate(TitleSchema(), body, "create")
    params = {k: v for k, v in data.items() if v is not None and k != "template"}
    # Extra template fields (subtitle, bar colours...) pass through to the renderer untouched.
    for key in ("subtitle", "bar_color", "bar_opacity"):
        if key in body and key not in params:
            params[key] = body[key]
    services = get_services(request)
    try:
        svg = services.title_renderer.render(data["template"], params)
    except KeyError:
        raise bad_request("template", f"Unknown template {data['template']!r}; choose one of: "
                                      f"{', '.join(services.title_renderer.templates())}.")
    except ValueError as exc:
        message = str(exc)
        first_word = message.split(" ", 1)[0].strip(":'\"")
        field = first_word if first_word in [node.name for node in TitleSchema().children] else "text"
        raise bad_request(field, message)
    except BackendError as exc:
        raise bad_request("template", str(exc))
    slug = re.sub(r"[^A-Za-z0-9]+", "-", data["text"])[:40].strip("-") or "Title"
    # Through the same gate as uploads: sanitised, and never typed as SVG on a bucket.
    key = store_new(services.storage, project.id, io.BytesIO(svg), f"{slug}.svg", "template")
    info = probe(services, key)
    info["name"] = posixpath.basename(key)
    info["title"] = {"template": data["template"], **params}
    return created(request, add_file(request, project, key, info), serialize_file)


class MergeSchema(colander.MappingSchema):
    position = colander.SchemaNode(Number(), missing=0.0, validator=colander.Range(-MAX_SECONDS, MAX_SECONDS))
    layer = colander.SchemaNode(Integer(), missing=0, validator=colander.Range(-LAYERS.max, LAYERS.max))
    json = colander.SchemaNode(JSONValue(), missing=None)


INSTRUCTION_ATTRIBUTES = ("position", "start", "end", "end-position", "layer", "first:position",
                          "first:end-position", "last:position", "last:end-position")


def _end_position(item):
    return item.position + (item.end - item.start)


def _attribute(items, attribute):
    """The value of ``attribute`` over ``items`` (first:/last: pick the earliest/latest item)."""
    if not items:
        return None
    mode, _, name = attribute.rpartition(":")
    getter = {"position": lambda i: i.position, "start": lambda i: i.start, "end": lambda i: i.end,
              "end-position": _end_position, "layer": lambda i: i.layer}[name]
    if mode == "first":
        return getter(min(items, key=lambda i: (i.position, i.id or 0)))
    if mode == "last":
        return getter(max(items, key=lambda i: (_end_position(i), i.id or 0)))
    if len(items) == 1:
        return getter(items[0])
    # A group without first:/last: is measured by its earliest start or latest end.
    return getter(max(items, key=_end_position)) if name == "end-position" else min(getter(i) for i in items)


def _matches(item, ident):
    ident = str(ident)
    return str(item.id) == ident or str((item.json or {}).get("original_merge_id")) == ident


def _select(kind, ident, clips, effects):
    if kind == "all" or (kind in ("", None) and ident in ("", None, "all", "empty")):
        return clips + effects
    if kind == "clip":
        return [c for c in clips if _matches(c, ident)]
    if kind == "effect":
        return [e for e in effects if _matches(e, ident)]
    if kind == "layer":
        return [i for i in clips + effects if str(i.layer) == str(ident)]
    raise ValueError(f"unknown type {kind!r}; use clip, effect, layer or all")


def _apply(items, attribute, value):
    """Move ``items`` so that ``attribute`` becomes ``value``; a group moves together."""
    name = attribute.rpartition(":")[2]
    if name == "layer":
        delta = int(round(value)) - _attribute(items, attribute)
        for item in items:
            item.layer = max(0, item.layer + delta)
    elif name in ("position", "end-position"):
        delta = value - _attribute(items, attribute)
        for item in items:
            item.position = max(0.0, item.position + delta)
    else:  # start or end: a trim of each item
        for item in items:
            if name == "start" and value < item.end:
                item.start = max(0.0, value)
            elif name == "end" and value > item.start:
                item.end = value


def apply_instructions(instructions, merged_clips, merged_effects, parent_clips, parent_effects):
    """The spec's advanced merge: set each selected merged item's attribute from a target in the
    parent project plus an offset. Raises ValueError naming the instruction."""
    if isinstance(instructions, dict):
        instructions = [instructions]
    if not isinstance(instructions, list):
        raise ValueError("json must be a list of merge instructions")
    for index, step in enumerate(instructions):
        if not isinstance(step, dict):
            raise ValueError(f"instruction {index} must be an object")
        where = f"instruction {index}"
        source_attr = step.get("source_attribute", "position")
        target_attr = step.get("target_attribute", "position")
        for attr in (source_attr, target_attr):
            if attr not in INSTRUCTION_ATTRIBUTES:
                raise ValueError(f"{where}: attribute {attr!r} must be one of {', '.join(INSTRUCTION_ATTRIBUTES)}")
        offset = step.get("offset") or 0
        try:
            offset = float(offset) if not isinstance(offset, bool) else None
        except (TypeError, ValueError, OverflowError):
            offset = None
        if offset is None or not -MAX_SECONDS <= offset <= MAX_SECONDS:  # also refuses "nan", "inf"
            raise ValueError(f"{where}: offset must be a number of seconds between {-MAX_SECONDS} and {MAX_SECONDS}")
        sources = _select(step.get("source_type", "all"), step.get("source", "all"), merged_clips, merged_effects)
        target_type = step.get("target_type", "clip")
        if target_type not in ("clip", "effect", "layer"):
            raise ValueError(f"{where}: target_type must be clip, effect or layer")
        targets = _select(target_type, step.get("target"), parent_clips, parent_effects)
        if not targets:
            raise ValueError(f"{where}: target {target_type} {step.get('target')!r} is not in this project")
        if not sources:
            raise ValueError(f"{where}: source {step.get('source_type')} {step.get('source')!r} matches nothing merged")
        _apply(sources, source_attr, _attribute(targets, target_attr) + offset)
        problem = _out_of_range(sources)
        if problem:
            raise ValueError(f"{where}: {problem}")


def _out_of_range(items):
    """Why an item moved or trimmed by a merge could not be stored as POST /clips/ stores it
    (times within what libopenshot renders, a layer in range), or None."""
    for item in items:
        for name in ("position", "start", "end"):
            if not SECONDS.min <= getattr(item, name) <= SECONDS.max:
                return f"{name} of a merged item would become {getattr(item, name)}, outside 0..{SECONDS.max}"
        if not LAYERS.min <= item.layer <= LAYERS.max:
            return f"layer of a merged item would become {item.layer}, outside {LAYERS.min}..{LAYERS.max}"
    return None


@project_merge.post()
def project_merge_post(request):
    target = get_owned(request, Project, request.matchdict["id"])
    body = body_of(request)
    data = validate(MergeSchema(), body, "create")
    if body.get("project") in (None, ""):
        raise bad_request("project", "This field is required.")
    source = resolve_reference(request, body["project"], Project, "project")
    if source.id == target.id:
        raise bad_request("project", "A project cannot be merged into itself.")
    session = request.dbsession
    parent_clips, parent_effects = list(target.clips), list(target.effects)
    file_map = {file.id: copy_file(request, file, target, (file.json or {}).get("name")) for file in source.files}
    merged_clips, merged_effects = [], []
    for clip in source.clips:
        new = copy_clip(clip, target.id, file_map, position=clip.position + data["position"],
                        layer=max(0, clip.layer + data["layer"]))
        new.json = {**new.json, "original_merge_id": (clip.json or {}).get("original_merge_id", clip.id)}
        session.add(new)
        merged_clips.append(new)
    for effect in source.effects:
        new = copy_effect(effect, target.id, file_map, position=effect.position + data["position"],
                          layer=max(0, effect.layer + data["layer"]))
        new.json = {"original_merge_id": effect.id, **new.json}
        session.add(new)
        merged_effects.append(new)
    if any(i.position < 0 for i in merged_clips + merged_effects):
        raise bad_request("position", "The offset would move merged items before the start of the timeline.")
    problem = _out_of_range(merged_clips + merged_effects)
    if problem:
        raise bad_request("layer" if problem.startswith("layer") else "position", problem)
    if data["json"] not in (None, [], {}):
        try:
            apply_instructions(data["json"], merged_clips, merged_effects, parent_clips, parent_effects)
        except ValueError as exc:
            raise bad_request("json", str(exc))
    session.flush()
    session.refresh(target)
    return serialize_project(request, target)


def includeme(config):
    config.add_cornice_service(project_title)
    config.add_cornice_service(project_merge)
