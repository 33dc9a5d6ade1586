"""Putting media into storage: safe names and keys, uploads, imports (URL, client cloud, a path
already in the media folder), SVG made safe on the way in, probing through the renderer; and
what the stored media is served as."""
import io
import os
import posixpath
import re
import secrets
import tempfile
import unicodedata

from . import svg_safety
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


# Text files ffmpeg follows to other inputs (HLS playlists, concat lists, SDP stream
# descriptions): never media in their own right, so they are refused on the way in.
PLAYLIST_MAGIC = (b"#EXTM3U", b"ffconcat", b"v=0")


def is_playlist(head):
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(PLAYLIST_MAGIC)


def sanitized(src, filename, field):
    """``(stream, filename)`` to store for ``src`` (a seekable binary file) named ``filename``:
    SVG, whatever its name and even gzipped, comes back sanitised (stored inflated, so a
    ``.svgz`` name becomes ``.svg``); anything else as it is. SVG that cannot be made safe is a
    400 naming ``field``."""
    head = src.read(svg_safety.SNIFF_BYTES)
    src.seek(0)
    if is_playlist(head):
        raise bad_request(field, f"{filename} is a playlist or stream description; upload the media itself.")
    if not svg_safety.may_be_svg(head):
        return src, filename
    try:
        clean = svg_safety.sanitize(src.read(svg_safety.MAX_BYTES + 1))
    except svg_safety.UnsafeSVG as exc:
        raise bad_request(field, f"{filename} is an SVG (or other markup) that cannot be made safe: {exc}.")
    return io.BytesIO(clean), re.sub(r"\.(svgz|svg\.gz)$", ".svg", filename, flags=re.I)


def store_new(storage, project_id, src, filename, field):
    """Store ``src`` as a new file of the project, SVG sanitised, typed by ``stored_type``;
    return its key."""
    src, filename = sanitized(src, filename, field)
    key = new_file_key(project_id, filename)
    head = src.read(HEAD_BYTES)
    src.seek(0)
    storage.save(key, src, stored_type(head))
    return key


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
                return store_new(storage, project_id, tmp, safe_filename(name or base), "json")
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
            with tempfile.NamedTemporaryFile(dir=work_dir(settings), prefix="import-") as tmp:
                base = download_url(url, tmp, max_bytes=max_bytes,
                                    timeout=get_int(settings, "openshot_api.download_timeout"),
                                    allow_private=get_bool(settings, "openshot_api.allow_private_urls"))
                tmp.flush()
                tmp.seek(0)
                return store_new(storage, project_id, tmp, safe_filename(name or base), "json")
        source = check_media_path(url)
        # Another user's media answers exactly like missing media.
        if not may_read(source) or not storage.exists(source):
            raise bad_request("json", f"url {source!r} does not exist in the media folder.")
        filename = safe_filename(name or posixpath.basename(source))
        with storage.open(source) as src:
            head = src.read(svg_safety.SNIFF_BYTES)
            if svg_safety.may_be_svg(head) or is_playlist(head):
                # Files the operator put in the media folder never passed the gate.
                data = head + src.read(svg_safety.MAX_BYTES + 1 - len(head))
                return store_new(storage, project_id, io.BytesIO(data), filename, "json")
        key = new_file_key(project_id, filename)
        storage.copy(source, key)
        return key
    except BackendError as exc:
        raise bad_request("json", f"could not import {url!r}: {exc}")


def save_upload(services, project_id, upload, name=None):
    """Store a multipart upload (a FieldStorage) in chunks, SVG sanitised; return its key."""
    filename = safe_filename(name or getattr(upload, "filename", None) or "upload")
    upload.file.seek(0)
    return store_new(services.storage, project_id, upload.file, filename, "media")


def probe(services, key):
    """Reader info of a stored object. Its ``path`` is the file's name, relative to the project
    as the desktop editor writes it: the renderer gets the real path from storage when it
    renders, and clients never learn where the server keeps files. Unreadable media is a 400
    naming ``media``."""
    try:
        path = services.storage.local_path(key)
        info = services.renderer.probe(path)
    except (BackendError, KeyError) as exc:
        raise bad_request("media", f"The file is not a media file libopenshot can read ({exc}).")
    info["path"] = posixpath.basename(key)
    info.setdefault("file_size", str(services.storage.size(key)))
    return info


def media_url(request, key):
    """The URL a client fetches ``key`` from: under ``openshot_api.media_url`` when the operator
    serves media from another origin, else the storage's own (cloud) or ``/media/<key>``."""
    if not key:
        return None
    from urllib.parse import quote

    from .services import get_services
    services = get_services(request)
    base = services.settings.get("openshot_api.media_url")
    if base:
        return base.rstrip("/") + "/" + quote(key)
    url = services.storage.url(key)
    return url or request.application_url + "/media/" + quote(key)


# On every media answer: no sniffing a type of its own, and no script, plugin or same-origin
# rights should a browser render it anyway.
MEDIA_HEADERS = {"X-Content-Type-Options": "nosniff",
                 "Content-Security-Policy": "sandbox; default-src 'none'"}
HEAD_BYTES = 1024  # what served_type reads of a file
_ASF = b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"


def served_type(head, kind):
    """The Content-Type of media starting with ``head`` that the probe found to be ``kind``
    (video, audio or image), from the container or picture format its bytes start with; None
    when it is none of those (SVG, HTML, unknown), which is never shown inline. ``kind`` only
    picks audio/ or video/ for containers that hold either."""
    if kind not in ("video", "audio", "image"):
        return None
    av = "audio" if kind == "audio" else "video"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:2] == b"BM" and kind == "image":
        return "image/bmp"
    if head[:4] == b"RIFF":
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(head[8:12])
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        return f"{av}/3gpp" if brand.startswith(b"3g") else f"{av}/mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "video/quicktime"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return f"{av}/webm" if b"webm" in head[:64] else f"{av}/x-matroska"
    if head[:4] == b"OggS":
        return f"{av}/ogg"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:3] == b"ID3":
        return "audio/mpeg"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head[:2] == b"\x0b\x77":
        return "audio/ac3"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio/aac" if head[1] & 0x06 == 0 else "audio/mpeg"  # ADTS, else MPEG audio
    if head[:3] == b"FLV":
        return "video/x-flv"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "video/mpeg"
    if head[:1] == b"G" and head[188:189] == b"G":
        return "video/mp2t"
    if head.startswith(_ASF):
        return "audio/x-ms-wma" if kind == "audio" else "video/x-ms-wmv"
    return None


def stored_type(head):
    """The Content-Type a new object starting with ``head`` is stored with, so that a cloud
    bucket serves it as what it is. It is stored before the probe, so its bytes alone decide:
    ``served_type`` as if it were video (containers of either, M4A aside, say video), else as
    if a picture; anything else (SVG, HTML, unknown) is application/octet-stream, never a type
    a browser would run on the bucket's origin."""
    if head[4:11] in (b"ftypM4A", b"ftypM4B"):
        return served_type(head, "audio")
    return served_type(head, "video") or served_type(head, "image") or "application/octet-stream"


def too_large(request):
    limit = get_int(request.registry.settings, "openshot_api.max_upload_bytes")
    if request.content_length and request.content_length > limit:
        raise APIError(413, f"Request body larger than the {limit} bytes allowed.")
