"""``/info/fonts/`` and ``/info/fonts/thumbnail/``: the fonts fontconfig sees, fonts uploaded into
this instance's own fonts folder, and a JPEG sheet drawing every family in its own face.

Shapes (a *family* is ``{"family", "styles", "files", "custom"}``: the family name titles use as
``font_name``, its style names, the file names (never folders) of its faces, and whether it was
uploaded to this instance)::

    GET  /info/fonts/                 -> 200 [family, ...]  sorted by family, case-insensitively
    POST /info/fonts/  (no font_file) -> 200 [family, ...]  after rebuilding the font cache
    POST /info/fonts/  font_file=...  -> 201 {"added": {"family", "styles", "file"}, "fonts": [family, ...]}
                                         (403 unless an admin or openshot_api.fonts_upload_for_everyone)
    GET  /info/fonts/thumbnail/       -> 200 image/jpeg, one line per family (see draw_sheet)

Uploaded fonts go to ``openshot_api.fonts_dir`` (default ``<openshot_api.var_dir>/fonts``). The
``fonts.conf`` written there by ``configure_fontconfig`` adds that folder to the system fonts; every
process that renders (the web app, ``openshot-api worker``) must call it before drawing text.
"""
from __future__ import annotations

import io
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Optional
from xml.sax.saxutils import escape

from cornice import Service
from pyramid.response import Response

from openshot_api.errors import APIError, bad_request
from openshot_api.resources.base import body_of

from . import FONTS_DIR, FONTS_UPLOAD_FOR_EVERYONE

log = logging.getLogger(__name__)
# fontTools logs a warning per bad record, thousands for one garbled upload; the 400 says enough.
logging.getLogger("fontTools").setLevel(logging.ERROR)

FONTS_DIR_SETTING = FONTS_DIR.key
SYSTEM_FONTS_CONF = "/etc/fonts/fonts.conf"
CONF_NAME = "fonts.conf"
# fontconfig skips names starting with a dot, so the cache and partial uploads are never scanned.
CACHE_DIR_NAME = ".fccache"
CONF_MARKER = "written by openshot-api"
MAX_FONT_BYTES = 50 * 1024 * 1024
FC_TIMEOUT = 120

# The first four bytes of each accepted font container.
MAGIC = {b"\x00\x01\x00\x00": "ttf", b"true": "ttf", b"OTTO": "otf", b"ttcf": "ttc",
         b"wOFF": "woff", b"wOF2": "woff2"}
ACCEPTED = "a TrueType (.ttf), OpenType (.otf), TrueType collection (.ttc) or WOFF (.woff, .woff2) font"

# Thumbnail geometry, in pixels: line i (0-based) of column c spans
# x = SHEET_MARGIN + c * COLUMN_WIDTH .. + COLUMN_WIDTH, y = SHEET_MARGIN + i * LINE_HEIGHT .. + LINE_HEIGHT.
SHEET_MARGIN = 16
LINE_HEIGHT = 40
FONT_PX = 24
COLUMN_WIDTH = 960
ROWS_PER_COLUMN = 250
SAMPLE_TEXT = "The quick brown fox jumps over the lazy dog 0123456789"
BACKGROUND, INK = (255, 255, 255), (0, 0, 0)


class InvalidFont(ValueError):
    """An uploaded file is not a usable font; the message is safe to show to the client."""


# --- fontconfig -------------------------------------------------------------------------------

def fonts_dir(settings: dict) -> str:
    """The absolute folder uploaded fonts live in: ``openshot_api.fonts_dir``, or ``fonts`` in
    ``openshot_api.var_dir`` (itself ``var`` when unset, as for the session secret)."""
    folder = FONTS_DIR.read(settings) or os.path.join(
        settings.get("openshot_api.var_dir") or "var", "fonts")
    return os.path.abspath(folder)


def fontconfig_file(settings: dict) -> str:
    """The ``fonts.conf`` that ``configure_fontconfig`` writes for these settings."""
    return os.path.join(fonts_dir(settings), CONF_NAME)


def _is_ours(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as src:
            return CONF_MARKER in src.read(4096)
    except OSError:
        return False


def configure_fontconfig(settings: dict) -> str:
    """Make fontconfig in this process and its children see the instance's fonts folder.

    Creates the folder, (re)writes its ``fonts.conf`` (the base configuration, a ``<dir>`` for the
    folder and a ``<cachedir>`` inside it) and sets ``FONTCONFIG_FILE`` to it. The base is the
    operator's own ``FONTCONFIG_FILE`` when one was set, else the system configuration. Call it
    once at start-up of every process that draws text (before Qt or libopenshot load a font).
    Returns the path of the ``fonts.conf``.
    """
    folder = fonts_dir(settings)
    cache = os.path.join(folder, CACHE_DIR_NAME)
    os.makedirs(cache, exist_ok=True)
    conf = os.path.join(folder, CONF_NAME)
    base = os.environ.get("FONTCONFIG_FILE")
    if not base or not os.path.isabs(base) or _is_ours(base) or os.path.abspath(base) == conf:
        base = SYSTEM_FONTS_CONF
    text = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        f"<!-- {CONF_MARKER} at start-up: the base configuration plus the fonts uploaded to"
        " /info/fonts/. Rewritten at each start; edits are lost. -->\n"
        "<fontconfig>\n"
        # First, so that fontconfig writes its caches here: the system cache may not be writable.
        f"  <cachedir>{escape(cache)}</cachedir>\n"
        f"  <dir>{escape(folder)}</dir>\n"
        f'  <include ignore_missing="yes">{escape(base)}</include>\n'
        "</fontconfig>\n"
    )
    # Several processes start at once: replace the file whole so none reads half of it.
    fd, partial = tempfile.mkstemp(prefix=".fonts.conf.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(partial, 0o644)
    os.replace(partial, conf)
    os.environ["FONTCONFIG_FILE"] = conf
    return conf


def _fc(settings: dict, *args: str) -> str:
    """Run a fontconfig tool with this instance's configuration (not whatever the process
    environment holds: several apps may share one process in tests)."""
    env = {**os.environ, "FONTCONFIG_FILE": fontconfig_file(settings)}
    try:
        done = subprocess.run(args, env=env, capture_output=True, timeout=FC_TIMEOUT, check=True)
    except FileNotFoundError:
        raise APIError(503, f"{args[0]} (fontconfig) is not installed on the server.")
    except subprocess.TimeoutExpired:
        raise APIError(503, f"{args[0]} took longer than {FC_TIMEOUT} s.")
    except subprocess.CalledProcessError as exc:
        log.error("%s failed: %s", args[0], exc.stderr.decode("utf-8", "replace")[-2000:])
        raise APIError(500, f"{args[0]} failed.")
    return done.stdout.decode("utf-8", "replace")


def refresh_cache(settings: dict, only_uploads: bool = False) -> None:
    """Rebuild fontconfig's caches: of the fonts folder alone, or of every font folder."""
    args = ["fc-cache", "-f"]
    if only_uploads:
        args.append(fonts_dir(settings))
    _fc(settings, *args)


@dataclass(frozen=True)
class Face:
    """One font face as fontconfig lists it."""

    family: str
    style: str
    path: str
    index: int
    weight: float
    slant: float
    width: float

    def regularity(self) -> tuple:
        """Sort key: the face closest to upright, normal weight and width comes first."""
        return (abs(self.weight - 80), self.slant, abs(self.width - 100),
                self.style.lower() not in ("regular", "book", "normal", "roman"), self.style)


def _number(text: str, default: float) -> float:
    # Variable fonts give ranges such as "[40 200]": their first value is good enough here.
    match = re.search(r"-?\d+(?:\.\d+)?", text)
    return float(match.group()) if match else default


FC_FORMAT = "%{family[0]}\\t%{style[0]}\\t%{file}\\t%{index}\\t%{weight}\\t%{slant}\\t%{width}\\n"


def list_faces(settings: dict) -> list[Face]:
    """Every face fontconfig knows under this instance's configuration."""
    faces = []
    for line in _fc(settings, "fc-list", "--format", FC_FORMAT).splitlines():
        parts = line.split("\t")
        if len(parts) != 7 or not parts[0].strip() or not parts[2]:
            continue
        family, style, path, index, weight, slant, width = parts
        faces.append(Face(family.strip(), style.strip() or "Regular", path, int(_number(index, 0)),
                          _number(weight, 80), _number(slant, 0), _number(width, 100)))
    return faces


def group_families(faces: list[Face], settings: dict) -> list[dict]:
    """The API's family list: faces grouped by family, sorted by family name (case-insensitive)."""
    uploads = fonts_dir(settings) + os.sep
    families: dict[str, dict] = {}
    for face in faces:
        entry = families.setdefault(face.family, {"family": face.family, "styles": set(),
                                                  "files": set(), "custom": False})
        entry["styles"].add(face.style)
        entry["files"].add(os.path.basename(face.path))
        entry["custom"] = entry["custom"] or face.path.startswith(uploads)
    return [{**entry, "styles": sorted(entry["styles"]), "files": sorted(entry["files"])}
            for entry in sorted(families.values(), key=lambda e: (e["family"].casefold(), e["family"]))]


def regular_faces(faces: list[Face]) -> list[Face]:
    """One face per family (the most regular one), in the order of ``group_families``."""
    best: dict[str, Face] = {}
    for face in faces:
        if face.family not in best or face.regularity() < best[face.family].regularity():
            best[face.family] = face
    return [best[name] for name in sorted(best, key=lambda n: (n.casefold(), n))]


# --- uploads ----------------------------------------------------------------------------------

@dataclass
class FontFile:
    """What ``inspect_font`` learnt about an uploaded file."""

    kind: str                 # ttf, otf, ttc, woff or woff2: the container uploaded
    extension: str            # the extension it is stored with (WOFF is stored unpacked)
    families: list[str]
    styles: list[str]
    sfnt: Optional[bytes]     # the unpacked font for WOFF uploads; None when stored as uploaded


def _names(font) -> tuple[str, str]:
    name = font["name"]
    family = name.getBestFamilyName()
    style = name.getBestSubFamilyName() or "Regular"
    if not family:
        raise InvalidFont("The font has no family name.")
    return family, style


def _check_tables(font) -> None:
    """Read every table's bytes (a truncated file fails here) and decompile the ones a renderer
    needs (a garbled file fails here)."""
    for tag in font.reader.keys():
        font.reader[tag]
    for tag in ("head", "hhea", "maxp", "name", "cmap", "hmtx"):
        if tag not in font:
            raise InvalidFont(f"The font has no '{tag}' table.")
        font[tag]
    if "glyf" in font:
        glyphs = font["glyf"]
        for glyph_name in font.getGlyphOrder()[:64]:
            glyphs[glyph_name].expand(glyphs)
    elif "CFF " in font:
        font["CFF "].cff[0].CharStrings
    elif "CFF2" in font:
        font["CFF2"]
    else:
        raise InvalidFont("The font has no outlines (no 'glyf', 'CFF ' or 'CFF2' table).")


def _draw_test(path: str, index: int) -> None:
    """Load the face with FreeType (through Pillow) and draw with it, as the thumbnail does."""
    from PIL import Image, ImageDraw, ImageFont
    face = ImageFont.truetype(path, 32, index=index)
    image = Image.new("L", (200, 60), 0)
    ImageDraw.Draw(image).text((4, 44), "AaGg09", font=face, fill=255, anchor="ls")


def inspect_font(path: str) -> FontFile:
    """Check that ``path`` holds a font fontconfig and FreeType can use and say what it holds.

    The container is recognised by its magic bytes, then parsed with fontTools (every table read,
    the essential ones decompiled) and drawn with FreeType. Raises InvalidFont saying why not.
    """
    from fontTools.ttLib import TTCollection, TTFont

    with open(path, "rb") as src:
        magic = src.read(4)
    kind = MAGIC.get(magic)
    if kind is None:
        raise InvalidFont(f"Not a font file: {ACCEPTED} is expected.")
    if kind == "woff2":
        try:
            import brotli  # noqa: F401  (fontTools needs it to unpack WOFF2)
        except ImportError:
            raise InvalidFont("WOFF2 fonts cannot be unpacked on this server: upload TTF or OTF.")
    try:
        fonts = TTCollection(path, lazy=True).fonts if kind == "ttc" else [TTFont(path, lazy=True)]
        if not fonts:
            raise InvalidFont("The font collection holds no font.")
        names = []
        for font in fonts:
            _check_tables(font)
            names.append(_names(font))
        sfnt = None
        extension = kind
        if kind in ("woff", "woff2"):
            font = TTFont(path)
            font.flavor = None
            extension = "otf" if ("CFF " in font or "CFF2" in font) else "ttf"
            out = io.BytesIO()
            font.save(out)
            sfnt = out.getvalue()
    except InvalidFont:
        raise
    except Exception as exc:  # fontTools raises many kinds of errors on broken files
        raise InvalidFont(f"The font cannot be read ({type(exc).__name__}: {exc}).".replace("\n", " "))
    draw_path = path
    if sfnt is not None:
        fd, draw_path = tempfile.mkstemp(suffix="." + extension)
        with os.fdopen(fd, "wb") as out:
            out.write(sfnt)
    try:
        for index in range(len(fonts)):
            _draw_test(draw_path, index)
    except Exception as exc:
        raise InvalidFont(f"The font cannot be drawn ({exc}).")
    finally:
        if draw_path != path:
            os.unlink(draw_path)
    return FontFile(kind, extension, sorted({f for f, _ in names}), sorted({s for _, s in names}), sfnt)


def _safe_stem(filename: str, fallback: str) -> str:
    stem = os.path.splitext(os.path.basename((filename or "").replace("\\", "/")))[0]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:100]
    if not stem:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", fallback).strip(".-_")[:100] or "font"
    return stem


def _same_bytes(path: str, data_path: str) -> bool:
    if os.path.getsize(path) != os.path.getsize(data_path):
        return False
    with open(path, "rb") as a, open(data_path, "rb") as b:
        while True:
            x, y = a.read(1 << 20), b.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def store_font(settings: dict, staged: str, info: FontFile, filename: str) -> str:
    """Move a checked font into the fonts folder; returns its file name there.

    The name comes from the uploaded file name (made safe), with the content's extension. A file
    of that name holding other bytes is kept: the new one gets a numbered name instead.
    """
    import hashlib

    folder = fonts_dir(settings)
    os.makedirs(folder, exist_ok=True)
    if info.sfnt is not None:
        with open(staged, "wb") as out:
            out.write(info.sfnt)
    stem = _safe_stem(filename, info.families[0])
    name = f"{stem}.{info.extension}"
    target = os.path.join(folder, name)
    if os.path.exists(target) and not _same_bytes(target, staged):
        with open(staged, "rb") as src:
            digest = hashlib.sha256(src.read()).hexdigest()[:8]
        name = f"{stem}-{digest}.{info.extension}"
        target = os.path.join(folder, name)
    partial = os.path.join(folder, f".{name}.part")
    shutil.copyfile(staged, partial)
    os.chmod(partial, 0o644)
    os.replace(partial, target)
    return name


def _stage_upload(upload) -> str:
    """Copy the upload to a temporary file, refusing empty and oversized files."""
    fd, staged = tempfile.mkstemp(prefix="openshot-font-", suffix=".upload")
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = upload.file.read(1 << 20)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_FONT_BYTES:
                    raise bad_request("font_file", f"The file is larger than {MAX_FONT_BYTES} bytes.")
                out.write(chunk)
        if size == 0:
            raise bad_request("font_file", "The submitted file is empty.")
    except BaseException:
        os.unlink(staged)
        raise
    return staged


# --- thumbnail --------------------------------------------------------------------------------

def _fallback_font():
    from PIL import ImageFont
    return ImageFont.load_default(FONT_PX)


def draw_sheet(faces: list[Face]) -> bytes:
    """A JPEG with one line per family (``regular_faces`` order): ``<family> - <sample>`` drawn
    in the family's most regular face, black on white. Families Pillow cannot draw (bitmap-only
    fonts, say) are written in Pillow's own font followed by "(cannot be drawn)". Lines fill
    columns of ROWS_PER_COLUMN; see the geometry constants above."""
    from PIL import Image, ImageDraw, ImageFont

    chosen = regular_faces(faces)
    rows = max(1, min(len(chosen), ROWS_PER_COLUMN))
    columns = max(1, math.ceil(len(chosen) / ROWS_PER_COLUMN))
    sheet = Image.new("RGB", (2 * SHEET_MARGIN + columns * COLUMN_WIDTH,
                              2 * SHEET_MARGIN + rows * LINE_HEIGHT), BACKGROUND)
    baseline = (LINE_HEIGHT + FONT_PX) // 2
    for number, face in enumerate(chosen):
        column, row = divmod(number, ROWS_PER_COLUMN)
        text = f"{face.family} - {SAMPLE_TEXT}"
        try:
            # BASIC layout: raqm would bind to whatever HarfBuzz the process already loaded
            # (Qt's, once libopenshot ran here) and then draw nothing.
            font = ImageFont.truetype(face.path, FONT_PX, index=face.index,
                                      layout_engine=ImageFont.Layout.BASIC)
        except Exception:
            font, text = _fallback_font(), f"{face.family} (cannot be drawn)"
        # Drawn on its own strip so that a tall or wide face cannot spill onto its neighbours.
        strip = Image.new("RGB", (COLUMN_WIDTH, LINE_HEIGHT), BACKGROUND)
        try:
            ImageDraw.Draw(strip).text((8, baseline), text, font=font, fill=INK, anchor="ls")
        except Exception:
            log.warning("font %s could not be drawn", face.family, exc_info=True)
        sheet.paste(strip, (SHEET_MARGIN + column * COLUMN_WIDTH, SHEET_MARGIN + row * LINE_HEIGHT))
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=85)
    return out.getvalue()


# --- services ---------------------------------------------------------------------------------

fonts = Service(name="info_fonts", path="/info/fonts/",
                description="Installed font families; POST refreshes the cache or adds a font_file")
fonts_thumbnail = Service(name="info_fonts_thumbnail", path="/info/fonts/thumbnail/",
                          description="A JPEG showing every font family in its own face")


def _settings(request) -> dict:
    return request.registry.settings


@fonts.get()
def fonts_get(request):
    return group_families(list_faces(_settings(request)), _settings(request))


def _upload_of(body: dict):
    value = body.get("font_file")
    if value is None or value == "" or value is False:
        return None
    if not (hasattr(value, "file") and hasattr(value, "filename")):
        raise bad_request("font_file", "The submitted data was not a file. Send the font as "
                                       "multipart/form-data.")
    return value


@fonts.post()
def fonts_post(request):
    settings = _settings(request)
    upload = _upload_of(body_of(request))
    if upload is None:
        refresh_cache(settings)
        return group_families(list_faces(settings), settings)
    # Fonts are shared by every user of the instance, so adding one is the operator's choice.
    if not (request.identity.is_admin or FONTS_UPLOAD_FOR_EVERYONE.read(settings)):
        raise APIError(403, "Only administrators may upload fonts (see openshot_api.fonts_upload_for_everyone).")
    staged = _stage_upload(upload)
    try:
        try:
            info = inspect_font(staged)
        except InvalidFont as exc:
            raise bad_request("font_file", str(exc))
        name = store_font(settings, staged, info, upload.filename)
    finally:
        os.unlink(staged)
    refresh_cache(settings, only_uploads=True)
    faces = list_faces(settings)
    target = os.path.join(fonts_dir(settings), name)
    mine = [f for f in faces if f.path == target]
    if mine:
        added = {"family": mine[0].family, "styles": sorted({f.style for f in mine}), "file": name}
    else:  # fontconfig did not index the file: answer what the file says, and say so in the log
        log.warning("fontconfig does not list the uploaded font %s", target)
        added = {"family": info.families[0], "styles": info.styles, "file": name}
    request.response.status = 201
    return {"added": added, "fonts": group_families(faces, settings)}


@fonts_thumbnail.get()
def fonts_thumbnail_get(request):
    body = draw_sheet(list_faces(_settings(request)))
    return Response(body=body, content_type="image/jpeg", cache_control="no-cache")


def includeme(config) -> None:
    """Point fontconfig at the instance's fonts folder and add the two services."""
    configure_fontconfig(config.registry.settings)
    config.add_cornice_service(fonts)
    config.add_cornice_service(fonts_thumbnail)
