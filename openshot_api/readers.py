"""Where libopenshot may read files from, decided by us.

Any libopenshot object a user sends (a clip's or effect's ``json``, a project given to ``/load/``)
can carry readers: ``{"type": "FFmpegReader", "path": ...}`` dicts that libopenshot opens with
ffmpeg, Qt or ImageMagick, wherever they sit (the Mask effect's ``reader``, effects nested in a
clip's ``effects`` ...). ffmpeg opens any URL or protocol it is given (``concat:``, ``http:``,
``tcp:`` ...), so every reader must name one of the project's own files or one of the renderer's
built-in assets; nothing else is ever written to the database or given to libopenshot.

Stored form of a reader that is not a clip's own media (the clip's comes from its ``file``)::

    {"type": "QtImageReader", "path": "mask.png", "file_id": "12"}   # a file of the project
    {"type": "QtImageReader", "path": "@transitions/common/fade.svg"}  # a built-in asset

Pure functions only: the web side (resources/readers.py) resolves references to files, the
renderer plugin checks the final timeline again with ``iter_readers`` before libopenshot sees it.
"""
import re

# Readers libopenshot may create from user json. Not: ImageReader and TextReader (ImageMagick
# parses far too much), ChunkReader (a folder of files), Timeline (loads a project file from a
# path), DummyReader/QtTextReader/QtHtmlReader (nothing a project made here needs).
READER_TYPES = ("FFmpegReader", "QtImageReader")
# Keys libopenshot reads as file names outside readers (OpenCV effects' data files).
PATH_KEY = re.compile(r"^(path|.*_path)$")
ASSET_PREFIX = "@transitions/"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class ReaderProblem(ValueError):
    """A reader or path in libopenshot json that may not be used; ``where`` names it."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where


INT32 = 2 ** 31
# The keys of a file's json that libopenshot reads as reader info (ReaderBase::SetJsonValue)
# or this service reads itself, by the kind of value each must hold; a client may set any of
# them, but only to what its reader can use. Keys not listed are the client's own.
_NUMBER = "a number"
READER_INFO_KINDS = {
    **dict.fromkeys(("has_video", "has_audio", "has_single_image", "interlaced_frame", "top_field_first"),
                    "a boolean"),
    "duration": _NUMBER,
    **dict.fromkeys(("width", "height", "pixel_format", "video_bit_rate", "video_stream_index", "audio_bit_rate",
                     "sample_rate", "channels", "channel_layout", "audio_stream_index"), "an integer"),
    **dict.fromkeys(("file_size", "video_length"), "a whole number (or a string of digits)"),
    **dict.fromkeys(("fps", "pixel_ratio", "display_ratio", "video_timebase", "audio_timebase"),
                    'a fraction {"num": <integer>, "den": <integer>}'),
    **dict.fromkeys(("vcodec", "acodec", "media_type", "name", "url", "bucket", "container"), "a string"),
    "metadata": "an object of strings",
    "transcripts": 'an object of {"vtt": "<WebVTT>"} by language',
    "transcribe": "an object",
}


def _is_number(value, limit=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return value == value and abs(value) < (limit or float("inf"))


def _fits(kind, value):
    if kind == "a boolean":
        return isinstance(value, (bool, int, float))  # libopenshot reads numbers as booleans too
    if kind == _NUMBER:
        return _is_number(value)
    if kind == "an integer":
        return _is_number(value, INT32)
    if kind.startswith("a whole number"):
        return (_is_number(value, 2 ** 63) and value == int(value)) or \
            (isinstance(value, str) and re.fullmatch(r"\s*\d{1,18}\s*", value) is not None)
    if kind.startswith("a fraction"):
        return isinstance(value, dict) and all(_is_number(value.get(k), INT32) for k in ("num", "den"))
    if kind == "a string":
        return isinstance(value, str)
    if kind == "an object of strings":
        return isinstance(value, dict) and all(isinstance(v, (str, int, float, bool)) for v in value.values())
    if kind.startswith("an object of {"):
        return isinstance(value, dict) and all(isinstance(v, dict) and isinstance(v.get("vtt"), str)
                                               for v in value.values())
    return isinstance(value, dict)


def fits_reader_info(key, value):
    """Whether ``value`` may stand under ``key`` in a file's json (null always may)."""
    kind = READER_INFO_KINDS.get(key)
    return value is None or kind is None or _fits(kind, value)


def readable_info(info):
    """A file's json without the values libopenshot could not read (json stored before it
    was checked): what a reader, a clip's defaults or a document are made from."""
    return {key: value for key, value in (info or {}).items() if fits_reader_info(key, value)}


def reader_type(info):
    """The reader libopenshot uses for a file whose probed json is ``info``: its own allowed
    type, else the one its media type calls for (a client may have changed the json)."""
    kind = (info or {}).get("type")
    if kind in READER_TYPES:
        return kind
    return "QtImageReader" if (info or {}).get("media_type") == "image" else "FFmpegReader"


def iter_readers(data, where="json", skip_top_reader=False):
    """Yield ``(location, reader_dict)`` for every non-empty reader in ``data`` (any depth).
    Raises ReaderProblem for a reader that is not an object and for any other non-empty path
    key (``path``, ``*_path``) found outside readers. ``skip_top_reader`` leaves out
    ``data["reader"]`` (a clip's own media, which comes from its file)."""
    stack = [(data, where, not skip_top_reader)]
    while stack:
        node, here, readers_here = stack.pop()
        if isinstance(node, list):
            stack.extend((item, f"{here}[{i}]", True) for i, item in reversed(list(enumerate(node))))
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            place = f"{here}.{key}"
            if key == "reader":
                if not readers_here:
                    continue
                if value in (None, {}, ""):
                    continue
                if not isinstance(value, dict):
                    raise ReaderProblem(place, "a reader must be an object.")
                yield place, value
                # A reader's own keys are checked by the caller; look inside for nested ones.
                stack.extend((v, f"{place}.{k}", True) for k, v in value.items()
                             if isinstance(v, (dict, list)))
            elif isinstance(key, str) and PATH_KEY.match(key) and value not in (None, ""):
                raise ReaderProblem(place, "file paths may only be given in a reader "
                                           "(its path names one of the project's files).")
            elif isinstance(value, (dict, list)):
                stack.append((value, place, True))


def parse_reference(path):
    """What a reader's path names, as ``(kind, value)``: ``("id", 12)``, ``("key", storage key)``,
    ``("asset", "@transitions/...")`` or ``("name", file name)``. Raises ValueError for anything
    that could reach outside the project: other schemes (``concat:``, ``file:``, ``pipe:`` ...),
    ``..``, NUL, and absolute paths that are not one of ours."""
    if isinstance(path, bool) or not isinstance(path, (str, int)):
        raise ValueError("the path must be a string naming one of the project's files.")
    text = str(path).strip().replace("\\", "/")
    if not text or "\x00" in text or any(ord(c) < 32 for c in text):
        raise ValueError("the path is empty or holds control characters.")
    if text.isascii() and text.isdigit():
        return "id", int(text)
    url = re.match(r"^https?://[^/]+(/.*)$", text)
    if url:
        route = url.group(1).split("?", 1)[0]
        match = re.search(r"/files/(\d+)/?$", route)
        if match:
            return "id", int(match.group(1))
        match = re.search(r"/media/(.+)$", route)
        if match:
            from urllib.parse import unquote
            return _plain("key", unquote(match.group(1)))
        raise ValueError("a URL here must be one of the project's files (its url or media url).")
    if ".." in text.split("/"):
        raise ValueError("the path may not hold '..' parts.")
    if re.match(r"^[A-Za-z]:/", text):
        text = text[2:]  # a Windows drive: an absolute path like any other
    if _SCHEME.match(text):
        raise ValueError(f"{text.split(':', 1)[0]}: paths are not allowed; name one of the project's files.")
    # Desktop projects name OpenShot's transitions relative to its install folder.
    transitions = re.match(r"^(?:@transitions/|(?:.*/)?transitions/)(.+)$", text)
    if transitions:
        return "asset", ASSET_PREFIX + _plain("asset", transitions.group(1))[1]
    if text.startswith("video/files/") or text.startswith("video/output/"):
        return _plain("key", text)
    if text.startswith("/"):
        # An absolute path: only the tail that is one of our storage keys counts (projects
        # saved by older versions of this service), or the plain name the desktop editor wrote.
        key = re.search(r"/(video/(?:files|output)/.+)$", text)
        if key:
            return _plain("key", key.group(1))
        return _plain("name", text.rsplit("/", 1)[-1])
    return _plain("name", text.rsplit("/", 1)[-1] if "/" in text else text)


def _plain(kind, text):
    parts = text.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError("the path may not hold empty, '.' or '..' parts.")
    return kind, text


def _file_readers(data, skip_top_reader):
    """The stored readers of ``data`` that name a file (not a built-in asset). Json that breaks
    the rules (stored before they existed) gives none: it is left as it is, for the renderer
    to refuse with its reason."""
    try:
        found = list(iter_readers(data, skip_top_reader=skip_top_reader))
    except ReaderProblem:
        return []
    return [reader for _, reader in found if not str(reader.get("path", "")).startswith(ASSET_PREFIX)]


def rewrite_for_render(data, local_path_of_file_id, skip_top_reader=False):
    """Point every stored reader of ``data`` (changed in place) at the local copy of its file,
    ``local_path_of_file_id(file_id)`` (None when the file is gone: the reader is dropped, so
    the effect renders as if it had none). Assets keep their ``@transitions/`` name, which the
    renderer resolves to its own folder."""
    for reader in _file_readers(data, skip_top_reader):
        local = local_path_of_file_id(str(reader.get("file_id", "")))
        if local is None:
            reader.clear()
        else:
            reader["path"] = local


def remap_files(data, new_file_of, skip_top_reader=False):
    """After copying a project's files, point the stored readers of ``data`` (changed in place)
    at the copies: ``new_file_of(old_id)`` gives ``(new_id, name)`` or None (reader dropped)."""
    for reader in _file_readers(data, skip_top_reader):
        new = new_file_of(str(reader.get("file_id", "")))
        if new is None:
            reader.clear()
        else:
            reader["file_id"], reader["path"] = str(new[0]), new[1]
