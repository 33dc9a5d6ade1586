"""/projects/ and the project's nested lists."""
import colander
from cornice import Service

from ..db import after_commit
from ..errors import bad_request
from sqlalchemy import inspect, literal, select, union_all

from ..models import Clip, Effect, Export, File, Project
from ..settings import get_int
from .base import (
    Integer,
    JSONObject,
    body_of,
    created,
    get_owned,
    iso,
    no_content,
    owned_query,
    paginate,
    set_json,
    validate,
)

CHANNEL_LAYOUTS = {
    4: "LAYOUT_MONO", 3: "LAYOUT_STEREO", 11: "LAYOUT_2POINT1", 259: "LAYOUT_2_1", 7: "LAYOUT_SURROUND",
    15: "LAYOUT_3POINT1", 263: "LAYOUT_4POINT0", 271: "LAYOUT_4POINT1", 1539: "LAYOUT_2_2",
    51: "LAYOUT_QUAD", 1543: "LAYOUT_5POINT0", 1551: "LAYOUT_5POINT1", 55: "LAYOUT_5POINT0_BACK",
    63: "LAYOUT_5POINT1_BACK", 1799: "LAYOUT_6POINT0", 1731: "LAYOUT_6POINT0_FRONT",
    311: "LAYOUT_HEXAGONAL", 1807: "LAYOUT_6POINT1", 319: "LAYOUT_6POINT1_BACK",
    1739: "LAYOUT_6POINT1_FRONT", 1591: "LAYOUT_7POINT0", 1735: "LAYOUT_7POINT0_FRONT",
    1599: "LAYOUT_7POINT1", 1743: "LAYOUT_7POINT1_WIDE", 255: "LAYOUT_7POINT1_WIDE_BACK",
    1847: "LAYOUT_OCTAGONAL", 1610612736: "LAYOUT_STEREO_DOWNMIX",
}
# The number of channels each layout carries, to catch a layout that contradicts ``channels``.
LAYOUT_CHANNELS = {4: 1, 3: 2, 11: 3, 259: 3, 7: 3, 15: 4, 263: 4, 271: 5, 1539: 4, 51: 4, 1543: 5,
                   1551: 6, 55: 5, 63: 6, 1799: 6, 1731: 6, 311: 6, 1807: 7, 319: 7, 1739: 7, 1591: 7,
                   1735: 7, 1599: 8, 1743: 8, 255: 8, 1847: 8, 1610612736: 2}

PROJECT_ACTIONS = ("load", "files", "files/find", "clips", "effects", "exports", "thumbnail", "title",
                   "validate", "json", "copy", "download", "download/format", "merge", "storage")


def _even(node, value):
    if value % 2:
        raise colander.Invalid(node, "Must be an even number (video encoders need even sizes).")


class ProjectSchema(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), validator=colander.Length(1, 255))
    width = colander.SchemaNode(Integer(), missing=1920,
                                validator=colander.All(colander.Range(2, 8192), _even))
    height = colander.SchemaNode(Integer(), missing=1080,
                                 validator=colander.All(colander.Range(2, 8192), _even))
    fps_num = colander.SchemaNode(Integer(), missing=30, validator=colander.Range(1, 1000000))
    fps_den = colander.SchemaNode(Integer(), missing=1, validator=colander.Range(1, 1000000))
    sample_rate = colander.SchemaNode(Integer(), missing=44100, validator=colander.Range(8000, 192000))
    channels = colander.SchemaNode(Integer(), missing=2, validator=colander.Range(1, 8))
    channel_layout = colander.SchemaNode(
        Integer(), missing=3,
        validator=colander.OneOf(sorted(CHANNEL_LAYOUTS)),
    )
    json = colander.SchemaNode(JSONObject(), missing={})


def check_pixels(settings, width, height, field):
    """A 400 naming ``field`` when a picture is larger than ``openshot_api.max_pixels``: every
    frame of a render is held in memory at that size."""
    limit = get_int(settings, "openshot_api.max_pixels")
    if width * height > limit:
        raise bad_request(field, f"width x height ({width} x {height}) is more than the {limit} pixels allowed.")


def project_fields(request, body, mode, project=None):
    """The project settings in ``body``, validated in ``mode`` (see ``validate``) and checked
    together: a sane frame rate, a layout that matches the channel count and a picture size
    within the limit. ``project`` supplies what an update leaves out."""
    data = validate(ProjectSchema(), body, mode)

    def current(key, default):
        return data.get(key, getattr(project, key, default))
    if current("fps_num", 30) / current("fps_den", 1) > 240:
        raise bad_request("fps_num", "The frame rate fps_num/fps_den must be at most 240.")
    channels, layout = current("channels", 2), current("channel_layout", 3)
    if LAYOUT_CHANNELS.get(layout, channels) != channels:
        raise bad_request("channel_layout",
                          f"{CHANNEL_LAYOUTS[layout]} ({layout}) carries {LAYOUT_CHANNELS[layout]} "
                          f"channel(s) but channels is {channels}.")
    check_pixels(request.registry.settings, current("width", 1920), current("height", 1080), "width")
    return data


CHILDREN = (("files", File, "file"), ("clips", Clip, "clip"), ("effects", Effect, "effect"),
            ("exports", Export, "export"))


def child_ids(request, project):
    """``{"files": [ids], ...}`` of the project: from the collections when the session has them
    already, else in one query (a detail GET is the hot path; four lazy loads were four round
    trips)."""
    unloaded = inspect(project).unloaded
    if not any(name in unloaded for name, _model, _route in CHILDREN):
        return {name: [child.id for child in getattr(project, name)] for name, _model, _route in CHILDREN}
    query = union_all(*(select(literal(name).label("kind"), model.id).where(model.project_id == project.id)
                        for name, model, _route in CHILDREN))
    ids = {name: [] for name, _model, _route in CHILDREN}
    for kind, child_id in request.dbsession.execute(query):
        ids[kind].append(child_id)
    return {name: sorted(values) for name, values in ids.items()}


def serialize_project(request, project):
    url = request.route_url("project", id=project.id)
    ids = child_ids(request, project)
    links = {name: [request.route_url(route, id=i) for i in ids[name]] for name, _model, route in CHILDREN}
    return {
        "url": url,
        "id": project.id,
        "name": project.name,
        "width": project.width,
        "height": project.height,
        "fps_num": project.fps_num,
        "fps_den": project.fps_den,
        "sample_rate": project.sample_rate,
        "channels": project.channels,
        "channel_layout": project.channel_layout,
        **links,
        "actions": [f"{url}{action}/" for action in PROJECT_ACTIONS],
        "json": project.json or {},
        "date_created": iso(project.date_created),
        "date_updated": iso(project.date_updated),
    }


def stored_keys(project):
    """Every storage key the project owns (media of its files, outputs of its exports)."""
    keys = [f.media for f in project.files if f.media]
    keys += [e.output for e in project.exports if e.output]
    return keys


def delete_stored(request, keys):
    """Delete storage objects once the transaction commits."""
    from ..services import get_services
    storage = get_services(request).storage

    def delete():
        for key in keys:
            storage.delete(key)
    if keys:
        after_commit(request, delete)


projects = Service(name="projects", path="/projects/", description="Video projects")
project = Service(name="project", path="/projects/{id}/", description="One video project")


@projects.get()
def project_list(request):
    query = owned_query(Project, request.identity).order_by(Project.id)
    return paginate(request, query, serialize_project)


@projects.post()
def project_create(request):
    data = project_fields(request, body_of(request), "create")
    return created(request, Project(user_id=request.identity.id, **data), serialize_project)


@project.get()
def project_get(request):
    return serialize_project(request, get_owned(request, Project, request.matchdict["id"]))


def _project_update(request, mode):
    obj = get_owned(request, Project, request.matchdict["id"])
    data = project_fields(request, body_of(request), mode, obj)
    for key, value in data.items():
        if key == "json":
            set_json(obj, value)
        else:
            setattr(obj, key, value)
    request.dbsession.flush()
    return serialize_project(request, obj)


@project.put()
def project_replace(request):
    return _project_update(request, "replace")


@project.patch()
def project_update(request):
    return _project_update(request, "update")


@project.delete()
def project_delete(request):
    obj = get_owned(request, Project, request.matchdict["id"])
    delete_stored(request, stored_keys(obj))
    request.dbsession.delete(obj)
    return no_content(request)


def includeme(config):
    config.add_cornice_service(projects)
    config.add_cornice_service(project)
