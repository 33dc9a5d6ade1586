"""Readers inside the libopenshot json users send, resolved to the project's own files (see
openshot_api/readers.py for the rules and the stored form)."""
import posixpath

from ..errors import APIError, bad_request
from ..media import safe_filename
from ..models import File
from ..readers import READER_TYPES, ReaderProblem, iter_readers, parse_reference, reader_type
from ..services import get_services
from .base import owned_query, row_id


def file_name(file):
    """The name a file goes by in project json (the last part of its storage key)."""
    return posixpath.basename(file.media)


def _find_file(request, files, kind, value):
    if kind == "id":
        found = next((f for f in files if f.id == value), None)
        if found is None and row_id(value) is None:
            raise LookupError("missing")
        if found is None:
            owned = request.dbsession.scalar(owned_query(File, request.identity).where(File.id == value))
            if owned is None:
                raise LookupError("missing")
        return found
    if kind == "key":
        return next((f for f in files if f.media == value), None)
    names = (value, safe_filename(value))
    return next((f for f in files if file_name(f) in names or (f.json or {}).get("name") in names), None)


def clean_readers(request, project, data, field="json", skip_top_reader=False, files=None,
                  asset_fallback=None, where=None):
    """Check every reader inside ``data`` (in place) and rewrite it to its stored form: a file
    of ``project`` (or of ``files``, the project's files while they are being replaced) or a
    built-in asset of the renderer. Anything else is a 400 naming ``field`` and the place
    inside it; a file id of another user is a 404, as everywhere. ``asset_fallback`` stands
    in for a transition the renderer does not ship (desktop projects may name any); ``where``
    names ``data`` in messages (default: the field)."""
    files = list(project.files) if files is None else files
    assets = None
    try:
        found = list(iter_readers(data, where or field, skip_top_reader))
    except ReaderProblem as exc:
        raise bad_request(field, str(exc))
    for place, reader in found:
        kind = reader.get("type")
        if kind is not None and kind not in READER_TYPES:
            raise bad_request(field, f"{place}.type: {kind!r} is not allowed; use one of "
                                     f"{', '.join(READER_TYPES)}.")
        if "file_id" in reader and row_id(reader["file_id"]) is not None:
            ref = ("id", row_id(reader["file_id"]))
        else:
            try:
                ref = parse_reference(reader.get("path"))
            except ValueError as exc:
                raise bad_request(field, f"{place}.path: {exc}")
        if ref[0] == "asset":
            if assets is None:
                assets = set(get_services(request).renderer.asset_names())
            if ref[1] not in assets and asset_fallback in assets:
                ref = ("asset", asset_fallback)
            if ref[1] not in assets:
                raise bad_request(field, f"{place}.path: {ref[1]!r} is not one of the built-in "
                                         f"transitions (see /info/transitions/).")
            reader.clear()
            reader.update({"type": "QtImageReader", "path": ref[1]})
            continue
        try:
            file = _find_file(request, files, *ref)
        except LookupError:
            raise APIError(404, f"{field}: Invalid hyperlink - Object does not exist.",
                           {field: [f"{place}.path: Invalid hyperlink - Object does not exist."]})
        if file is None:
            raise bad_request(field, f"{place}.path: {reader.get('path')!r} is not one of this "
                                     "project's files (give a file's url, id or name).")
        reader.clear()
        reader.update({"type": reader_type(file.json), "path": file_name(file), "file_id": str(file.id)})
    return data


def adopt_loaded_readers(data, files_by_id, where, skip_top_reader=False):
    """Readers of a project file given to /load/ name that file's own file ids: point them at
    the files made from them (in place). A reader without a known id (a desktop project's) is
    then found by its path."""
    try:
        found = list(iter_readers(data, where, skip_top_reader))
    except ReaderProblem:
        return  # clean_readers names the problem
    for _, reader in found:
        if "file_id" in reader:
            new = files_by_id.get(str(reader.pop("file_id")))
            if new is not None:
                reader["file_id"] = str(new.id)
