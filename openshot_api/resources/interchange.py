"""Projects to and from desktop editors: ``download`` (a ZIP of the .osp and its media),
``download/format`` (EDL, Final Cut Pro XML, OTIO in a ZIP with the media) and ``load`` (an .osp
and/or a ZIP archive replacing the project's files, clips and effects)."""
import copy
import io
import json
import lzma
import os
import posixpath
import tempfile
import zipfile
import zlib

import colander
from cornice import Service
from pyramid.response import FileResponse

from .. import timeline
from ..errors import APIError, bad_request
from ..media import (
    check_media_path,
    probe,
    safe_filename,
    store_new,
    too_large,
    work_dir,
)
from ..models import Clip, Effect, File, Project
from ..services import get_services
from ..settings import get_int
from .base import SECONDS, Integer, JSONBody, Number, body_of, get_owned, may_read_key, owned_query, parse_json, set_json
from .clips import DEFAULT_IMAGE_SECONDS, check_libopenshot_json, default_clip_json, file_length
from .files import check_file_json
from .effects import effect_defaults
from .projects import delete_stored, project_fields, serialize_project
from .readers import adopt_loaded_readers, clean_readers

MAX_ARCHIVE_ENTRIES = 2000
# Bytes any entry may expand to however well it compresses (a short project file can shrink a lot).
RATIO_FLOOR = 1 << 20
# Small reads keep the compressed bytes read ahead, hence counted, close to those really used.
READ_SIZE = 1 << 14
# What a damaged, encrypted or oddly compressed entry raises while it is read.
BROKEN_ENTRY = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError,
                RuntimeError)
PROJECT_SUFFIXES = (".osp", ".json")
# Keys of a loaded clip or effect that become its fields (or are replaced), not its json.
CLIP_FIELDS = ("id", "file_id", "position", "start", "end", "layer", "reader")
EFFECT_FIELDS = ("id", "position", "start", "end", "layer", "title")

project_download = Service(name="project_download", path="/projects/{id}/download/",
                           description="A ZIP of the OpenShot project file and every asset")
project_download_format = Service(name="project_download_format", path="/projects/{id}/download/format/",
                                  description="The project as EDL, Final Cut Pro XML or OTIO, zipped with its assets")
project_load = Service(name="project_load", path="/projects/{id}/load/",
                       description="Replace the project with an OpenShot project file and/or a ZIP archive")


def archive_names(project):
    """``{file id: unique plain name}`` for the project's media inside an archive."""
    names, taken = {}, set()
    for file in project.files:
        base = safe_filename((file.json or {}).get("name") or posixpath.basename(file.media))
        stem, ext = os.path.splitext(base)
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}{ext}"
        taken.add(name.lower())
        names[file.id] = name
    return names


def portable_dict(project, names):
    """The project dict with every media path replaced by the file's name in the archive, which
    the desktop editor resolves relative to the project file."""
    data = timeline.build(project)
    for item in data["files"]:
        item["path"] = item["name"] = names[int(item["id"])]
    for clip in data["clips"]:
        clip["reader"]["path"] = names[int(clip["file_id"])]
    return data


def _zip_response(request, fill, filename):
    fd, path = tempfile.mkstemp(dir=work_dir(request.registry.settings), suffix=".zip")
    os.close(fd)
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            fill(archive)
        response = FileResponse(path, request=request, content_type="application/zip")
    finally:
        os.unlink(path)  # the open response keeps reading the unlinked file
    response.content_disposition = f'attachment; filename="{filename}"'
    return response


def _add_media(request, archive, project, names):
    storage = get_services(request).storage
    for file in project.files:
        # Media is already compressed; storing it is faster and no larger.
        archive.write(storage.local_path(file.media), names[file.id], compress_type=zipfile.ZIP_STORED)


@project_download.get()
def project_download_get(request):
    project = get_owned(request, Project, request.matchdict["id"])
    names = archive_names(project)
    stem = safe_filename(project.name, "project")

    def fill(archive):
        archive.writestr(f"{stem}.osp", json.dumps(portable_dict(project, names), indent=2))
        _add_media(request, archive, project, names)
    return _zip_response(request, fill, f"{stem}.zip")


@project_download_format.post()
def project_download_format_post(request):
    project = get_owned(request, Project, request.matchdict["id"])
    body = body_of(request)
    fmt = str(body.get("format") or "").strip().lower()
    converters = get_services(request).format_converters
    if fmt not in converters:
        raise bad_request("format", f"Choose one of {', '.join(sorted(converters)) or 'nothing (no formats plugin)'}.")
    options = body.get("json")
    if options in (None, ""):
        options = {}
    elif isinstance(options, str):
        try:
            options = parse_json(options, request.registry.settings)
        except ValueError as exc:
            raise bad_request("json", f"Value must be valid JSON ({exc}).")
    if not isinstance(options, dict):
        raise bad_request("json", "Value must be a JSON object.")
    names = archive_names(project)
    data = portable_dict(project, names)
    try:
        document_name, document = converters[fmt].export(data, fmt, options)
    except ValueError as exc:
        field = "json" if any(w in str(exc) for w in ("layer", "option", "media_url_prefix")) else "format"
        raise bad_request(field, str(exc))
    stem = safe_filename(project.name, "project")

    def fill(archive):
        archive.writestr(document_name, document)
        _add_media(request, archive, project, names)
    return _zip_response(request, fill, f"{stem}-{fmt}.zip")


class _Counted:
    """A file that counts the bytes read from it: the compressed bytes an entry really used."""

    def __init__(self, raw):
        self.raw, self.count = raw, 0

    def read(self, n=-1):
        data = self.raw.read(n)
        self.count += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self.raw, name)


class _Archive:
    """An uploaded ZIP. On opening, no entry may leave the folder and the sizes the headers claim
    are held to the limits, to refuse early; headers can lie, so extracting counts the bytes
    really decompressed against the same limits: ``openshot_api.archive_max_entry_bytes`` per
    entry, ``openshot_api.max_upload_bytes`` in all, and ``openshot_api.archive_max_ratio``
    times the compressed bytes (a zip bomb)."""

    def __init__(self, request, upload):
        settings = request.registry.settings
        self.entry_max = get_int(settings, "openshot_api.archive_max_entry_bytes")
        self.total_max = get_int(settings, "openshot_api.max_upload_bytes")
        self.ratio = get_int(settings, "openshot_api.archive_max_ratio")
        self.expanded = 0
        self.file = _Counted(upload.file)
        try:
            self.size = self.file.seek(0, os.SEEK_END)
            self.file.seek(0)
            self.zip = zipfile.ZipFile(self.file)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise bad_request("archive", f"Not a valid ZIP archive ({exc}).")
        if len(infos) > MAX_ARCHIVE_ENTRIES:
            raise bad_request("archive", f"The archive has {len(infos)} entries; at most {MAX_ARCHIVE_ENTRIES} "
                                         "are allowed.")
        self.entries, claimed = {}, 0
        for info in infos:
            name = info.filename.replace("\\", "/")
            if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
                raise bad_request("archive", f"Entry {info.filename!r} would leave the project folder.")
            if info.is_dir() or name.startswith("__MACOSX/") or posixpath.basename(name).startswith("."):
                continue
            claimed += info.file_size
            self._check(info.filename, info.file_size, info.compress_size, claimed, self.entry_max)
            self.entries.setdefault(posixpath.basename(name), info)

    def _check(self, name, size, compressed, total, entry_max):
        """Refuse entry ``name`` expanding to ``size`` bytes from ``compressed`` ones, and the
        archive expanding to ``total`` bytes with it."""
        if size > entry_max:
            raise bad_request("archive", f"Entry {name!r} expands to more than {entry_max} bytes.")
        if total > self.total_max:
            raise bad_request("archive", f"The archive expands to more than {self.total_max} bytes.")
        if size > max(self.ratio * compressed, RATIO_FLOOR):
            raise bad_request("archive", f"Entry {name!r} expands to more than {self.ratio} times its "
                                         "compressed size (zip bomb?).")
        if total > max(self.ratio * self.size, RATIO_FLOOR):
            raise bad_request("archive", f"The archive expands to more than {self.ratio} times its size "
                                         "(zip bomb?).")

    def _chunks(self, info):
        try:
            with self.zip.open(info) as src:
                while chunk := src.read(READ_SIZE):
                    yield chunk
        except BROKEN_ENTRY as exc:
            raise bad_request("archive", f"Entry {info.filename!r} cannot be extracted ({exc}).")

    def extract(self, info, out, limit=None):
        """Copy entry ``info`` into ``out`` (at most ``limit`` bytes of it too, if given),
        refused at the first limit passed, before the chunk that passes it is written."""
        entry_max = min(self.entry_max, limit or self.entry_max)
        start, size = self.file.count, 0
        for chunk in self._chunks(info):
            size += len(chunk)
            self._check(info.filename, size, self.file.count - start, self.expanded + size, entry_max)
            out.write(chunk)
        self.expanded += size


def _parse_project(settings, text, field):
    try:
        data = parse_json(text, settings)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(field, f"The project file is not valid JSON ({exc}).")
    return checked_project(data, field)


_TIME = colander.SchemaNode(Number(), validator=SECONDS)
_LAYER = colander.SchemaNode(Integer(), validator=colander.Range(min=0))
_ITEM_LISTS = ("files", "clips", "effects", "layers")


def _value(node, item, key, place, field, default=None):
    """``item[key]`` through the colander ``node`` (as POST /clips/ reads the same field);
    ``default`` when absent or null. A 400 naming ``field`` and the place otherwise."""
    value = item.get(key)
    if value is None or value == "":
        return default
    try:
        return node.deserialize(value)
    except colander.Invalid as exc:
        raise bad_request(field, f"{place}.{key}: {' '.join(exc.asdict().values())}")


def _text(item, key, place, field, longest=None):
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_request(field, f"{place}.{key} must be a string, not {type(value).__name__}.")
    if value is not None and longest is not None and len(value) > longest:
        raise bad_request(field, f"{place}.{key} is longer than {longest} characters.")
    return value


def checked_project(data, field):
    """The project file ``data`` checked, before anything is stored, in every field the loader
    reads (a 400 naming ``field`` and the place, e.g. ``clips[2].layer``), and returned with
    those fields in the types the loader works with: lists of objects for files, clips and
    effects (absent or null: none), numbers for times (within what libopenshot can render,
    as POST /clips/ checks them) and layers. Layers that are not objects are skipped, as the
    desktop editor does. The project settings are checked by ``_project_settings``."""
    if not isinstance(data, dict):
        raise bad_request(field, f"The project file must be an object, not {type(data).__name__}.")
    data = dict(data)
    for key in _ITEM_LISTS:
        items = data.get(key)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise bad_request(field, f"{key} must be a list, not {type(items).__name__}.")
        if key != "layers":
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    raise bad_request(field, f"{key}[{index}] must be an object, not {type(item).__name__}.")
        data[key] = [dict(item) for item in items if isinstance(item, dict)]
    for index, item in enumerate(data["files"]):
        place = f"files[{index}]"
        _text(item, "path", place, field)
        if not isinstance(item.get("id"), (str, int, type(None))) or isinstance(item.get("id"), bool):
            raise bad_request(field, f"{place}.id must be a string or a number.")
        check_file_json({k: v for k, v in item.items() if k not in ("path", "id")}, field, place)
    for kind in ("clips", "effects"):
        for index, item in enumerate(data[kind]):
            place = f"{kind}[{index}]"
            if kind == "clips" and not isinstance(item.get("reader"), (dict, type(None))):
                raise bad_request(field, f"{place}.reader must be an object.")
            if kind == "effects":
                for key in ("class_name", "type"):
                    _text(item, key, place, field)
                _text(item, "title", place, field, longest=255)
            item["position"] = _value(_TIME, item, "position", place, field, 0.0)
            item["start"] = _value(_TIME, item, "start", place, field, 0.0)
            item["end"] = _value(_TIME, item, "end", place, field, None if kind == "clips" else 10.0)
            item["layer"] = _value(_LAYER, item, "layer", place, field, 0)
            if item["end"] is not None and item["end"] <= item["start"]:
                raise bad_request(field, f"{place} needs position >= 0 and 0 <= start < end.")
    for index, layer in enumerate(data["layers"]):
        layer["number"] = _value(_LAYER, layer, "number", f"layers[{index}]", field, 0)
    return data


def _project_settings(request, data, project, field):
    """The settings a project file gives the project, checked as POST /projects/ checks them
    (a 400 naming ``field``, the setting named in its message)."""
    body = {key: data[key] for key in ("width", "height", "sample_rate", "channels", "channel_layout")
            if key in data}
    fps = data.get("fps")
    if fps is not None:
        if not isinstance(fps, dict):
            raise bad_request(field, 'fps must be {"num": <int>, "den": <int>}.')
        body.update({f"fps_{key}": fps[key] for key in ("num", "den") if key in fps})
    try:  # a project file is JSON: its settings are held to JSON's types, as a JSON body's are
        return project_fields(request, JSONBody(body), "update", project)
    except APIError as exc:
        raise bad_request(field, exc.detail)


def _layer_map(data):
    """Desktop projects number layers 1000000, 2000000 ...; the API numbers them 1, 2 ...
    (``data`` as ``checked_project`` returns it)."""
    numbers = sorted({item["layer"] for item in data["clips"] + data["effects"]}
                     | {layer["number"] for layer in data["layers"]})
    if numbers and max(numbers) >= 1000:
        return {n: i + 1 for i, n in enumerate(n for n in numbers)}
    return {n: n for n in numbers}


def _own_key(path, own_media):
    """The key of the user's stored media that ``path`` names (the key itself, or a server path
    ending with it), or None."""
    if path in own_media:
        return path
    for key in own_media:
        if path.endswith("/" + key):
            return key
    return None


def _loaded_readers(request, project, data, files_by_id, new_files, where):
    """``data`` (a loaded clip or effect) with its readers on the loaded files; a transition
    this instance does not ship becomes a plain fade."""
    adopt_loaded_readers(data, files_by_id, where)
    return clean_readers(request, project, data, "json", files=new_files, where=where,
                         asset_fallback="@transitions/common/fade.svg")


@project_load.post()
def project_load_post(request):
    project = get_owned(request, Project, request.matchdict["id"])
    too_large(request)
    body = body_of(request)
    services = get_services(request)
    storage = services.storage
    settings = request.registry.settings
    archive, entries = None, {}
    upload = body.get("archive")
    if hasattr(upload, "file"):
        archive = _Archive(request, upload)
        entries = archive.entries
    elif upload not in (None, "", b""):
        raise bad_request("archive", "The submitted data was not a file; send the ZIP as multipart.")

    raw = body.get("json")
    if isinstance(raw, (str, bytes)) and raw:
        data = _parse_project(settings, raw, "json")
    elif raw not in (None, "", b""):  # a JSON body's object (or anything that is not one)
        data = checked_project(raw, "json")
    elif archive is not None:
        project_entries = [n for n in entries if n.lower().endswith(PROJECT_SUFFIXES)]
        if not project_entries:
            raise bad_request("archive", "The archive holds no OpenShot project file (*.osp or *.json).")
        text = io.BytesIO()
        archive.extract(entries[sorted(project_entries)[0]], text, get_int(settings, "openshot_api.max_json_bytes"))
        data = _parse_project(settings, text.getvalue(), "archive")
    else:
        raise bad_request("json", "Send the project file as json, a ZIP as archive, or both.")
    field = "json" if raw not in (None, "") else "archive"
    new_settings = _project_settings(request, data, project, field)
    # Clips' and effects' libopenshot json checked before any media is copied or probed.
    clip_defaults = services.renderer.clip_defaults({})
    for index, item in enumerate(data["clips"]):
        check_libopenshot_json({k: v for k, v in item.items() if k not in CLIP_FIELDS}, clip_defaults,
                               field, f"clips[{index}]")
    for index, item in enumerate(data["effects"]):
        try:
            _, defaults = effect_defaults(request, item.get("class_name") or item.get("type") or "")
        except APIError as exc:  # names the type field of POST /effects/; here it is inside the file
            raise bad_request(field, f"effects[{index}].{exc.detail}")
        check_libopenshot_json({k: v for k, v in item.items() if k not in EFFECT_FIELDS}, defaults,
                               field, f"effects[{index}]")

    existing = {}
    for file in project.files:
        existing.setdefault(posixpath.basename(file.media), file)
        name = (file.json or {}).get("name")
        if isinstance(name, str):  # names stored before they were checked may be anything
            existing.setdefault(name, file)
    # A project file exported by this service names media by server path; any of the user's
    # own files stored under that key can supply it.
    own_media = {f.media: f for f in request.dbsession.scalars(owned_query(File, request.identity))}
    stored, old_keys = [], [f.media for f in project.files]
    tm = request.tm.get()
    # A failed request keeps none of what it stored: a refused commit, or an abort on a 400.
    tm.addAfterCommitHook(lambda ok: ok or [storage.delete(k) for k in stored])
    tm.addAfterAbortHook(lambda: [storage.delete(k) for k in stored])

    files_by_id = {}
    new_files = []
    for index, item in enumerate(data["files"]):
        path = str(item.get("path") or "").replace("\\", "/")
        name = posixpath.basename(path) or item.get("name") or ""
        source_id = str(item.get("id", index))
        with tempfile.NamedTemporaryFile(dir=work_dir(services.settings), prefix="load-") as tmp:
            if name in entries:
                archive.extract(entries[name], tmp)
            elif name in existing or _own_key(path, own_media):
                source = existing.get(name) or own_media[_own_key(path, own_media)]
                with storage.open(source.media) as src:
                    while chunk := src.read(1 << 20):
                        tmp.write(chunk)
            else:
                key_in_media = None
                try:
                    key_in_media = check_media_path(path)
                except APIError:
                    pass
                if not (key_in_media and may_read_key(request, key_in_media) and storage.exists(key_in_media)):
                    field = "archive" if archive is not None else "json"
                    raise bad_request(field, f"The project uses {name or path!r}, which is not in the archive "
                                             "or the project.")
                with storage.open(key_in_media) as src:
                    while chunk := src.read(1 << 20):
                        tmp.write(chunk)
            tmp.flush()
            tmp.seek(0)
            key = store_new(storage, project.id, tmp, safe_filename(name, f"media-{index}"),
                            "archive" if archive is not None else "json")
        stored.append(key)
        info = probe(services, key)
        extra = {k: v for k, v in item.items() if k not in info and k not in ("id", "path")}
        new = File(project_id=project.id, media=key, json={**extra, **info, "name": safe_filename(name)})
        new_files.append(new)
        files_by_id[source_id] = new

    for clip in list(project.clips):
        request.dbsession.delete(clip)
    for effect in list(project.effects):
        request.dbsession.delete(effect)
    for file in list(project.files):
        request.dbsession.delete(file)
    request.dbsession.flush()
    for new in new_files:
        request.dbsession.add(new)
    request.dbsession.flush()

    layers = _layer_map(data)
    for index, item in enumerate(data["clips"]):
        file = files_by_id.get(str(item.get("file_id")))
        if file is None:
            reader_path = posixpath.basename(str((item.get("reader") or {}).get("path", "")).replace("\\", "/"))
            file = next((f for f in new_files if f.json.get("name") == safe_filename(reader_path)), None)
        if file is None:
            raise bad_request("json", f"clips[{index}] uses file {item.get('file_id')!r}, which the project file "
                                      "does not list.")
        position, start, end = item["position"], item["start"], item["end"]
        if end is None:  # the file's end, as for POST /clips/
            end = file_length(file) or DEFAULT_IMAGE_SECONDS
        if end <= start:
            raise bad_request("json", f"clips[{index}] needs position >= 0 and 0 <= start < end.")
        clip_json = default_clip_json(request, file)
        clip_json.update(_loaded_readers(request, project, {
            k: copy.deepcopy(v) for k, v in item.items() if k not in CLIP_FIELDS},
            files_by_id, new_files, f"json.clips[{index}]"))
        clip_json["reader"] = default_clip_json(request, file).get("reader", {})
        request.dbsession.add(Clip(project_id=project.id, file_id=file.id, position=position, start=start,
                                   end=end, layer=layers.get(item["layer"], 1), json=clip_json))
    for index, item in enumerate(data["effects"]):
        kind, defaults = effect_defaults(request, item.get("class_name") or item.get("type") or "")
        defaults.update(_loaded_readers(request, project, {
            k: copy.deepcopy(v) for k, v in item.items() if k not in EFFECT_FIELDS},
            files_by_id, new_files, f"json.effects[{index}]"))
        request.dbsession.add(Effect(project_id=project.id, type=kind, title=item.get("title") or kind,
                                     position=item["position"], start=item["start"], end=item["end"],
                                     layer=layers.get(item["layer"], 1), json=defaults))
    for key, value in new_settings.items():
        setattr(project, key, value)
    request.dbsession.flush()
    delete_stored(request, [k for k in old_keys if k not in stored])
    request.dbsession.refresh(project)
    set_json(project, project.json or {})
    return serialize_project(request, project)


def includeme(config):
    for service in (project_download, project_download_format, project_load):
        config.add_cornice_service(service)
