"""Project actions beyond CRUD: ``json``, ``validate``, ``copy``, ``storage``, ``files/find``."""
import copy as copy_module
import posixpath

import colander
from cornice import Service
from sqlalchemy import select

from .. import timeline
from ..errors import APIError, bad_request
from ..media import files_prefix, output_prefix
from ..models import Clip, Effect, Project
from ..readers import remap_files
from ..services import get_services
from .base import MAX_SECONDS, JSONBody, Number, body_of, created, get_owned, params_of, validate
from .files import copy_file, serialize_file
from .projects import serialize_project

project_json = Service(name="project_json", path="/projects/{id}/json/",
                       description="The project as an OpenShot Video Editor project file")
project_validate = Service(name="project_validate", path="/projects/{id}/validate/",
                           description="Every problem that would stop a render, and warnings")
project_copy = Service(name="project_copy", path="/projects/{id}/copy/",
                       description="A deep copy with its own files, clips and effects")
project_storage = Service(name="project_storage", path="/projects/{id}/storage/",
                          description="Bytes stored for the project's files and exports")
project_files_find = Service(name="project_files_find", path="/projects/{id}/files/find/",
                             description="Files used by clips in a time range")


@project_json.get()
def project_json_get(request):
    return timeline.build(get_owned(request, Project, request.matchdict["id"]))


def project_problems(request, project):
    """Every reason the project cannot be rendered as it is, one dict per problem."""
    services = get_services(request)
    problems = []
    if not project.clips and not project.effects:
        problems.append({"object": request.route_url("project", id=project.id), "field": "clips",
                         "detail": "The timeline is empty: add a clip before exporting."})
    for file in project.files:
        if not file.media or not services.storage.exists(file.media):
            problems.append({"object": request.route_url("file", id=file.id), "field": "media",
                             "detail": f"The media of file {file.id} is missing from storage."})
    for item, route in [(c, "clip") for c in project.clips] + [(e, "effect") for e in project.effects]:
        for name in ("position", "start", "end"):  # stored before times were bounded
            if not 0 <= getattr(item, name) <= MAX_SECONDS:
                problems.append({"object": request.route_url(route, id=item.id), "field": name,
                                 "detail": f"The {route} {item.id} has {name} {getattr(item, name)}, outside "
                                           f"the 0..{MAX_SECONDS} seconds libopenshot can render."})
    for clip in project.clips:
        url = request.route_url("clip", id=clip.id)
        if clip.start >= clip.end:
            problems.append({"object": url, "field": "start",
                             "detail": f"Clip {clip.id} starts at or after its end."})
    known = {info["class_name"] for info in services.renderer.effect_types()}
    for effect in project.effects:
        if effect.type not in known:
            problems.append({"object": request.route_url("effect", id=effect.id), "field": "type",
                             "detail": f"Effect {effect.id} has the unknown type {effect.type!r}."})
    for clip in project.clips:
        effects = (clip.json or {}).get("effects") or []
        for effect in effects if isinstance(effects, list) else [effects]:
            # The clip's json is the client's: libopenshot reads effects as a list of objects.
            kind = (effect.get("class_name") or effect.get("type")) if isinstance(effect, dict) else None
            if not isinstance(kind, str) or kind not in known:
                problems.append({"object": request.route_url("clip", id=clip.id), "field": "json",
                                 "detail": f"Clip {clip.id} has an effect of unknown type {kind!r}."})
    return problems


def project_warnings(request, project):
    """What libopenshot renders but the client may not mean, one dict per warning. These never
    stop an export (the hosted API renders them too)."""
    warnings = []
    for clip in project.clips:
        info = clip.file.json or {}
        try:
            duration = float(info.get("duration") or 0)
        except (TypeError, ValueError, OverflowError):
            duration = 0.0
        single = info.get("has_single_image") or info.get("media_type") == "image"
        if not single and duration and clip.end > duration + 0.05:
            # libopenshot holds the last frame (or shows nothing) past the file's end.
            warnings.append({"object": request.route_url("clip", id=clip.id), "field": "end",
                             "detail": f"Clip {clip.id} ends at {clip.end}s, after its file's end "
                                       f"({duration:.3f}s); it renders its last frame or nothing there."})
    return warnings


@project_validate.get()
@project_validate.post()
def project_validate_view(request):
    """A 400 listing the problems when there are any; else 200, with any warnings."""
    project = get_owned(request, Project, request.matchdict["id"])
    problems, warnings = project_problems(request, project), project_warnings(request, project)
    if problems:
        raise APIError(400, f"The project has {len(problems)} problem(s): "
                            + " ".join(p["detail"] for p in problems),
                       {"problems": problems, "warnings": warnings})
    if warnings:
        detail = (f"The project can be rendered, with {len(warnings)} warning(s): "
                  + " ".join(w["detail"] for w in warnings))
    else:
        detail = "The project is valid."
    return {"detail": detail, "problems": [], "warnings": warnings}


class CopySchema(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), missing=None, validator=colander.Length(1, 255))


def _copies(file_map):
    """``old file id -> (new id, name)`` for the readers of copied clips and effects."""
    return lambda old_id: next(((f.id, posixpath.basename(f.media)) for old, f in file_map.items()
                                if str(old) == old_id), None)


def copy_clip(clip, project_id, file_map, **changes):
    """A new Clip like ``clip`` in ``project_id``, on the copied file ``file_map[clip.file_id]``;
    readers inside it (Mask effects) point at the copies of their files."""
    data = copy_module.deepcopy(clip.json or {})
    new_file = file_map[clip.file_id]
    if isinstance(data.get("reader"), dict):
        data["reader"]["path"] = posixpath.basename(new_file.media)
    remap_files(data, _copies(file_map), skip_top_reader=True)
    fields = {"position": clip.position, "start": clip.start, "end": clip.end, "layer": clip.layer, **changes}
    return Clip(project_id=project_id, file_id=new_file.id, json=data, **fields)


def copy_effect(effect, project_id, file_map, **changes):
    """A new Effect like ``effect`` in ``project_id``, its readers on the copied files."""
    data = copy_module.deepcopy(effect.json or {})
    remap_files(data, _copies(file_map))
    fields = {"title": effect.title, "type": effect.type, "position": effect.position, "start": effect.start,
              "end": effect.end, "layer": effect.layer, **changes}
    return Effect(project_id=project_id, json=data, **fields)


def copy_project(request, source, name):
    """A new project of the same user with copies of the media, files, clips and effects."""
    session = request.dbsession
    target = Project(user_id=source.user_id, name=name, width=source.width, height=source.height,
                     fps_num=source.fps_num, fps_den=source.fps_den, sample_rate=source.sample_rate,
                     channels=source.channels, channel_layout=source.channel_layout,
                     json=copy_module.deepcopy(source.json or {}))
    session.add(target)
    session.flush()
    file_map = {file.id: copy_file(request, file, target, (file.json or {}).get("name")) for file in source.files}
    for clip in source.clips:
        session.add(copy_clip(clip, target.id, file_map))
    for effect in source.effects:
        session.add(copy_effect(effect, target.id, file_map))
    session.flush()
    session.refresh(target)
    return target


@project_copy.post()
def project_copy_post(request):
    source = get_owned(request, Project, request.matchdict["id"])
    data = validate(CopySchema(), body_of(request), "create")
    name = data["name"] or f"{source.name[:248]} (copy)"  # names hold 255 characters
    return created(request, copy_project(request, source, name), serialize_project)


STORAGE_BACKENDS = ("local", "cloud", "json")


def storage_size(request, backend, keys, prefixes, json_sizes):
    """Bytes used, measured three ways that agree on the same objects."""
    storage = get_services(request).storage
    if backend == "local":
        import os
        total = 0
        for key in keys:
            try:
                total += os.path.getsize(storage.local_path(key))
            except KeyError:
                pass
        return total
    if backend == "cloud":
        return sum(size for prefix in prefixes for _key, size in storage.list(prefix))
    return sum(_whole(size) for size in json_sizes)


def _whole(size):
    """A ``file_size`` from json as bytes: a whole number or its digits; anything else (an
    export's json is the client's, as was a file's before it was checked) counts nothing."""
    if isinstance(size, int) and not isinstance(size, bool):
        return max(size, 0)
    if isinstance(size, float) and size.is_integer():
        return max(int(size), 0)
    text = str(size).strip() if isinstance(size, str) else ""
    return int(text) if text.isascii() and text.isdigit() else 0


def storage_request(request):
    """The ``backend`` asked for: absent, null or blank is ``local``; else one of the names."""
    params = params_of(request)
    backend = params.get("backend")
    if backend == "" or "backend" not in params or (backend is None and not isinstance(params, JSONBody)):
        return "local"
    if not isinstance(backend, str) or backend not in STORAGE_BACKENDS:
        raise bad_request("backend", f"Choose one of {', '.join(STORAGE_BACKENDS)}.")
    return backend


@project_storage.get()
@project_storage.post()
def project_storage_view(request):
    project = get_owned(request, Project, request.matchdict["id"])
    backend = storage_request(request)
    keys = [f.media for f in project.files if f.media] + [e.output for e in project.exports if e.output]
    json_sizes = [(f.json or {}).get("file_size", 0) for f in project.files if f.media]
    json_sizes += [(e.json or {}).get("file_size", 0) for e in project.exports if e.output]
    size = storage_size(request, backend, keys, [files_prefix(project.id), output_prefix(project.id)], json_sizes)
    return {"backend": backend, "storage": size}


class FindSchema(colander.MappingSchema):
    position_in_seconds = colander.SchemaNode(Number(), missing=0.0, validator=colander.Range(min=0))
    length_in_seconds = colander.SchemaNode(Number(), missing=None, validator=colander.Range(min=0))
    filename_contains = colander.SchemaNode(colander.String(allow_empty=True), missing="")


@project_files_find.get()
@project_files_find.post()
def project_files_find_view(request):
    project = get_owned(request, Project, request.matchdict["id"])
    body = params_of(request)
    data = validate(FindSchema(), body, "create")
    start = data["position_in_seconds"]
    end = start + data["length_in_seconds"] if data["length_in_seconds"] is not None else float("inf")
    needle = data["filename_contains"].lower()
    found = []
    clips = request.dbsession.scalars(select(Clip).where(Clip.project_id == project.id).order_by(Clip.id))
    for clip in clips:
        clip_start, clip_end = clip.position, clip.position + (clip.end - clip.start)
        if clip_end <= start or clip_start >= end:
            continue
        file = clip.file
        name = (file.json or {}).get("name")
        if not isinstance(name, str) or not name:  # a name stored before names were checked
            name = posixpath.basename(file.media)
        if needle and needle not in name.lower() and needle not in posixpath.basename(file.media).lower():
            continue
        if file not in found:
            found.append(file)
    return [{**serialize_file(request, f), "download": f"{request.route_url('file', id=f.id)}download/"}
            for f in sorted(found, key=lambda f: f.id)]


def includeme(config):
    for service in (project_json, project_validate, project_copy, project_storage, project_files_find):
        config.add_cornice_service(service)

