"""/files/: uploaded or imported media, probed into ``json``."""
import copy
import itertools
import os
import posixpath

import colander
from cornice import Service
from pyramid.response import FileResponse, Response
from sqlalchemy import select

from ..errors import bad_request
from ..media import (
    HEAD_BYTES,
    MEDIA_HEADERS,
    import_media,
    media_url,
    new_file_key,
    output_prefix,
    probe,
    project_of_key,
    safe_filename,
    save_upload,
    served_type,
    too_large,
)
from ..models import Export, File, Project
from ..readers import READER_INFO_KINDS, fits_reader_info
from ..services import get_services
from .base import (
    JSONObject,
    ProjectResource,
    body_of,
    created,
    get_owned,
    iso,
    may_read_key,
    resolve_reference,
    set_json,
    validate,
)
from .projects import delete_stored

FILE_ACTIONS = ("copy", "download", "text-replace", "thumbnail", "transcribe", "storage")


class FileSchema(colander.MappingSchema):
    json = colander.SchemaNode(JSONObject(), missing={})


def check_file_json(user_json, field="json", place=None):
    """A 400 naming ``field`` and the key (after ``place``, where inside the field the json
    is) when the client's file json gives a key of ``readers.READER_INFO_KINDS`` a value of
    another kind (null is no value): libopenshot would fail to open the file, and this service
    reads them too (names, durations, sizes)."""
    for key, kind in READER_INFO_KINDS.items():
        value = (user_json or {}).get(key)
        if not fits_reader_info(key, value):
            where = f"{place}.{key}" if place else key
            raise bad_request(field, f"{where} must be {kind}, not {value!r}"[:300] + ".")


def public_json(obj):
    """The file's json as clients see it: a ``path`` with folders in it (the server's own,
    stored by earlier versions) becomes the file's name."""
    info = obj.json or {}
    path = info.get("path")
    if isinstance(path, str) and ("/" in path or "\\" in path):
        info = {**info, "path": posixpath.basename(obj.media)}
    return info


def serialize_file(request, obj):
    url = request.route_url("file", id=obj.id)
    return {
        "url": url,
        "id": obj.id,
        "media": media_url(request, obj.media),
        "project": request.route_url("project", id=obj.project_id),
        "actions": [f"{url}{action}/" for action in FILE_ACTIONS],
        "json": public_json(obj),
        "date_created": iso(obj.date_created),
        "date_updated": iso(obj.date_updated),
    }


def _is_upload(value):
    return hasattr(value, "file") and hasattr(value, "filename")


def store_media(request, project, body, user_json):
    """Save the uploaded ``media`` or import what ``json.url`` names; return (key, reader info)."""
    services = get_services(request)
    upload = body.get("media")
    if _is_upload(upload):
        key = save_upload(services, project.id, upload, user_json.get("name"))
    elif upload not in (None, "", b""):
        raise bad_request("media", "The submitted data was not a file. Check the encoding type on the form.")
    elif user_json.get("url"):
        key = import_media(services, project.id, user_json, may_read=lambda key: may_read_key(request, key))
    else:
        raise bad_request("media", "No file was submitted (send `media` as a multipart file, or "
                                   "`json.url` to import one).")
    try:
        info = probe(services, key)
    except Exception:
        services.storage.delete(key)
        raise
    return key, info


def file_json(info, user_json, key):
    """Reader info first, then the client's own keys (``name``, ``url`` ...) that do not clash."""
    merged = dict(user_json)
    merged.update(info)
    merged["name"] = user_json.get("name") or posixpath.basename(key)
    return merged


def create_file(request, project, body):
    too_large(request)
    data = validate(FileSchema(), body, "create")
    check_file_json(data["json"])
    key, info = store_media(request, project, body, data["json"])
    return created(request, add_file(request, project, key, file_json(info, data["json"], key)), serialize_file)


def add_file(request, project, key, info):
    """A File row for media already stored under ``key``; the media goes again if the request's
    transaction fails."""
    file = File(project_id=project.id, media=key, json=info)
    request.dbsession.add(file)
    request.dbsession.flush()
    stored_cleanup_on_abort(request, key)
    return file


def copy_file(request, source, project, name=None):
    """A copy of ``source`` with its own media, in ``project`` (the same one or another)."""
    storage = get_services(request).storage
    key = new_file_key(project.id, safe_filename(name or posixpath.basename(source.media)))
    storage.copy(source.media, key)
    info = copy.deepcopy(source.json or {})
    if "path" in info:
        info["path"] = posixpath.basename(key)
    info["name"] = name or posixpath.basename(key)
    return add_file(request, project, key, info)


def stored_cleanup_on_abort(request, key):
    """If the transaction fails after media was stored, remove the media again."""
    storage = get_services(request).storage

    def hook(succeeded):
        if not succeeded:
            storage.delete(key)
    request.tm.get().addAfterCommitHook(hook)


def _file_update(request, mode):
    too_large(request)
    obj = get_owned(request, File, request.matchdict["id"])
    body = body_of(request)
    data = validate(FileSchema(), body, mode)
    check_file_json(data.get("json"))
    if body.get("project") not in (None, ""):
        target = resolve_reference(request, body["project"], Project, "project")
        if target.id != obj.project_id:
            if obj.clips:
                raise bad_request("project", "A file used by clips cannot move to another project.")
            obj.project_id = target.id
    user_json = data.get("json")
    if _is_upload(body.get("media")) or (user_json and user_json.get("url") and
                                         user_json.get("url") != (obj.json or {}).get("url")):
        key, info = store_media(request, obj.project or request.dbsession.get(Project, obj.project_id),
                                body, user_json or {})
        delete_stored(request, [obj.media])
        stored_cleanup_on_abort(request, key)
        obj.media = key
        kept = {k: v for k, v in (obj.json or {}).items() if k not in info and k != "name"}
        set_json(obj, file_json(info, {**kept, **(user_json or {})}, key))
    elif user_json is not None:
        set_json(obj, {**(obj.json or {}), **user_json})
    request.dbsession.flush()
    return serialize_file(request, obj)


resource = ProjectResource("file", "files", File, serialize_file, create_file, _file_update,
                           stored=lambda file: [file.media],
                           description="Media files, uploaded or imported, probed into json")


def stored_kind(request, key):
    """What the object under ``key`` was found to be: the probe's media_type of the file that
    holds it, or the type of the export that wrote it; None for anything else."""
    project_id = project_of_key(key)
    if project_id is None:
        return None
    if key.startswith(output_prefix(project_id)):
        export_type = request.dbsession.scalar(select(Export.export_type).where(
            Export.project_id == project_id, Export.output == key))
        if export_type is None:
            return None
        # Waveforms are videos or pictures; image sequences are zips, which no kind makes media.
        return export_type if export_type in ("audio", "image") else "video"
    info = request.dbsession.scalar(select(File.json).where(File.project_id == project_id, File.media == key))
    return (info or {}).get("media_type")


def stream_stored(request, key, filename=None):
    """A response streaming a stored object (local files support ranges). Its type comes from
    its bytes and what the probe or the export made of it, never from its name: only audio,
    video and raster images are shown inline; anything else (SVG, HTML ...) is an attachment
    of no particular type, so nothing stored runs as a page of the API's origin."""
    storage = get_services(request).storage
    try:
        handle = storage.open(key)
    except KeyError:
        raise bad_request("media", "The stored media is missing.")
    head = handle.read(HEAD_BYTES)
    content_type = served_type(head, stored_kind(request, key))
    if storage.url(key) is None:
        handle.close()
        response = FileResponse(storage.local_path(key), request=request,
                                content_type=content_type or "application/octet-stream")
        response.conditional_response = True
    else:
        response = Response(content_type=content_type or "application/octet-stream",
                            app_iter=itertools.chain([head], iter(lambda: handle.read(1 << 20), b"")))
        response.content_length = storage.size(key)
    if filename or content_type is None:
        name = safe_filename(filename or posixpath.basename(key))
        response.content_disposition = f'attachment; filename="{name}"'
    response.headers.update(MEDIA_HEADERS)
    return response


file_download = Service(name="file_download", path="/files/{id}/download/",
                        description="The file's media, for its owner")


@file_download.get()
def file_download_get(request):
    obj = get_owned(request, File, request.matchdict["id"])
    return stream_stored(request, obj.media, os.path.basename(obj.media))


def includeme(config):
    resource.includeme(config)
    config.add_cornice_service(file_download)
