"""Putting media into storage: safe names and keys, uploads, imports (URL, client cloud, a path
already in the media folder) and probing through the renderer."""
import os
import posixpath
import re
import secrets
import tempfile
import unicodedata

from .errors import APIError, bad_request
from .interfaces import BackendError
from .settings import get_bool, get_int

_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+-]+")


def safe_filename(name, default="file"):
    """A plain base name: no folders, no control or shell-special characters, not hidden."""
    name = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode()
    name = posixpath.basename(name.replace("\\", "/")).strip()
    name = _UNSAFE.sub("_", name).strip(" .")
    name = name.replace(" ", "_")
    return (name or default)[:180]


def files_prefix(project_id):
    return f"video/files/{project_id}/"


def output_prefix(project_id):
    return f"video/output/{project_id}/"


def new_file_key(project_id, filename):
    """A key for a new file of the project. The random folder keeps the name the client gave
    while making the media URL impossible to guess (media is served to whoever has the URL)."""
    return f"{files_prefix(project_id)}{secrets.token_hex(6)}/{filename}"


def project_of_key(key):
    """The id of the project whose folder holds ``key`` (``video/files/12/...``), or None for
    media the operator placed elsewhere in the media folder."""
    match = re.match(r"^video/(?:files|output)/(\d+)/", key)
    return int(match.group(1)) if match else None


def check_media_path(path):
    """A client-given path inside the media folder -> a storage key, or a 400 when it could
    leave the folder (``..``, absolute paths, back-slashes, NUL)."""
    text = str(path or "").strip()
    if not text or "\x00" in text or "\\" in text or text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise bad_request("json", f"url {text!r} must be a relative path inside the media folder.")
    parts = text.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise bad_request("json", f"url {text!r} must not contain empty, '.' or '..' parts.")
    return text


def work_dir(settings):
    """A folder for temporary files (downloads in flight, renders) on this machine."""
    root = settings.get("openshot_api.work_dir") or os.path.join(tempfile.gettempdir(), "openshot-api")
    os.makedirs(root, exist_ok=True)
    return root


def import_media(services, project_id, spec, may_read=lambda key: True):
    """Bring the media named by a file's ``json`` (``url`` plus ``bucket``/``container``/``gcs``,
    optional ``name``) into storage; return its key. Errors are 400s naming ``json``.
    ``may_read(key)`` says whether the client may use a path already in the media folder."""
    from .fetch import download_url

    settings = services.settings
    storage = services.storage
    url = spec.get("url")
    if not isinstance(url, str) or not url.strip():
        raise bad_request("json", "url must be a non-empty string.")
    url = url.strip()
    max_bytes = get_int(settings, "openshot_api.max_download_bytes")
    name = spec.get("name")
    if name is not None and not isinstance(name, str):
        raise bad_request("json", "name must be a string.")
    try:
        if any(k in spec for k in ("bucket", "container", "gcs")):
            transfer = services.cloud_transfer_for(spec)
            if transfer is None:
                problems = getattr(services, "cloud_transfer_problems", {})
                hint = "; ".join(problems.values()) or "no cloud storage plugin is configured for it"
                raise bad_request("json", f"cannot import from this cloud location: {hint}.")
            # The key depends on the downloaded name, so download first into a temp file.
            with tempfile.NamedTemporaryFile(dir=work_dir(settings), prefix="import-") as tmp:
                base = transfer.download(spec, tmp, max_bytes)
                tmp.flush()
                tmp.seek(0)
                key = new_file_key(project_id, safe_filename(name or base))
                storage.save(key, tmp)
            return key
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
            with tempfile.NamedTemporaryFile(dir=work_dir(settings), prefix="import-") as tmp:
                base = download_url(url, tmp, max_bytes=max_bytes,
                                    timeout=get_int(settings, "openshot_api.download_timeout"),
                                    allow_private=get_bool(settings, "openshot_api.allow_private_urls"))
                tmp.flush()
                tmp.seek(0)
                key = new_file_key(project_id, safe_filename(name or base))
                storage.save(key, tmp)
            return key
        source = check_media_path(url)
        # Another user's media answers exactly like missing media.
        if not may_read(source) or not storage.exists(source):
            raise bad_request("json", f"url {source!r} does not exist in the media folder.")
        key = new_file_key(project_id, safe_filename(name or posixpath.basename(source)))
        storage.copy(source, key)
        return key
    except BackendError as exc:
        raise bad_request("json", f"could not import {url!r}: {exc}")


def save_upload(services, project_id, upload, name=None):
    """Store a multipart upload (a FieldStorage) in chunks; return its key."""
    filename = safe_filename(name or getattr(upload, "filename", None) or "upload")
    key = new_file_key(project_id, filename)
    upload.file.seek(0)
    services.storage.save(key, upload.file)
    return key


def probe(services, key):
    """Reader info of a stored object, with ``path`` set to where this machine reads it.
    Unreadable media is a 400 naming ``media``."""
    try:
        path = services.storage.local_path(key)
        info = services.renderer.probe(path)
    except (BackendError, KeyError) as exc:
        raise bad_request("media", f"The file is not a media file libopenshot can read ({exc}).")
    # Local storage: the file itself, as the spec shows; clouds: the key (the local copy is a cache).
    info["path"] = path if services.storage.url(key) is None else key
    info.setdefault("file_size", str(services.storage.size(key)))
    return info


def media_url(request, key):
    """The URL a client fetches ``key`` from: the storage's own (cloud) or ``/media/<key>``."""
    if not key:
        return None
    from urllib.parse import quote

    from .services import get_services
    url = get_services(request).storage.url(key)
    return url or request.application_url + "/media/" + quote(key)


def too_large(request):
    limit = get_int(request.registry.settings, "openshot_api.max_upload_bytes")
    if request.content_length and request.content_length > limit:
        raise APIError(413, f"Request body larger than the {limit} bytes allowed.")
