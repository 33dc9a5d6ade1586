"""File actions beyond CRUD: ``copy``, ``text-replace``, ``storage`` (and the export's ``storage``)."""
import io
import os
from xml.sax.saxutils import escape

import colander
from cornice import Service

from ..errors import bad_request
from ..media import safe_filename, sanitized
from ..models import Export, File, Project
from ..services import get_services
from .base import body_of, created, get_owned, resolve_reference, set_json, validate
from .files import copy_file, serialize_file
from .project_actions import storage_request, storage_size

TEXT_EXTENSIONS = {".svg", ".vtt", ".srt", ".txt", ".json", ".xml", ".html", ".css", ".ass", ".ssa", ".csv", ".md"}
MAX_TEXT_BYTES = 20 * 1024 * 1024

file_copy = Service(name="file_copy", path="/files/{id}/copy/", description="Duplicate a file and its media")
file_text_replace = Service(name="file_text_replace", path="/files/{id}/text-replace/",
                            description="Replace text in a text-based file (SVG titles, captions)")
file_storage = Service(name="file_storage", path="/files/{id}/storage/", description="Bytes stored for the file")
export_storage = Service(name="export_storage", path="/exports/{id}/storage/",
                         description="Bytes stored for the export's output")


class FileCopySchema(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), missing=None, validator=colander.Length(1, 180))


@file_copy.post()
def file_copy_post(request):
    source = get_owned(request, File, request.matchdict["id"])
    body = body_of(request)
    data = validate(FileCopySchema(), body, "create")
    project = source.project
    if body.get("project") not in (None, ""):
        project = resolve_reference(request, body["project"], Project, "project")
    name = safe_filename(data["name"]) if data["name"] else None
    if name and not os.path.splitext(name)[1]:
        name += os.path.splitext(source.media)[1]
    return created(request, copy_file(request, source, project, name), serialize_file)


class TextReplaceSchema(colander.MappingSchema):
    search = colander.SchemaNode(colander.String(), validator=colander.Length(min=1))
    replace = colander.SchemaNode(colander.String(allow_empty=True), missing="")


@file_text_replace.post()
def file_text_replace_post(request):
    file = get_owned(request, File, request.matchdict["id"])
    data = validate(TextReplaceSchema(), body_of(request), "create")
    extension = os.path.splitext(file.media)[1].lower()
    services = get_services(request)
    storage = services.storage
    if extension not in TEXT_EXTENSIONS or storage.size(file.media) > MAX_TEXT_BYTES:
        raise bad_request("search", f"Only text files ({', '.join(sorted(TEXT_EXTENSIONS))}) can be edited.")
    with storage.open(file.media) as src:
        raw = src.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("search", "The file is not UTF-8 text.")
    if "\x00" in text:
        raise bad_request("search", "The file is binary, not text.")
    replacement = data["replace"]
    if extension in (".svg", ".xml", ".html"):
        # Replacing inside markup: the new text must not be able to open or close an element.
        replacement = escape(replacement, {'"': "&quot;", "'": "&apos;"})
    count = text.count(data["search"])
    if count == 0:
        raise bad_request("search", f"{data['search']!r} was not found in the file.")
    # The search may still break markup apart (a "#" out of an href): SVG is sanitised again.
    edited, _ = sanitized(io.BytesIO(text.replace(data["search"], replacement).encode("utf-8")),
                          os.path.basename(file.media), "replace")
    storage.save(file.media, edited)
    info = dict(file.json or {})
    info["file_size"] = str(storage.size(file.media))
    set_json(file, info)
    request.dbsession.flush()
    return {**serialize_file(request, file), "replacements": count}


@file_storage.get()
@file_storage.post()
def file_storage_view(request):
    file = get_owned(request, File, request.matchdict["id"])
    backend = storage_request(request)
    size = storage_size(request, backend, [file.media], [file.media], [(file.json or {}).get("file_size", 0)])
    return {"backend": backend, "storage": size}


@export_storage.get()
@export_storage.post()
def export_storage_view(request):
    export = get_owned(request, Export, request.matchdict["id"])
    backend = storage_request(request)
    keys = [export.output] if export.output else []
    size = storage_size(request, backend, keys, keys, [(export.json or {}).get("file_size", 0)] if keys else [])
    return {"backend": backend, "storage": size}


def includeme(config):
    for service in (file_copy, file_text_replace, file_storage, export_storage):
        config.add_cornice_service(service)
