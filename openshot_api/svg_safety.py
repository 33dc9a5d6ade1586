"""SVG from users made safe for Qt, which renders it on the server with the renderer's rights.

Qt's SVG code follows references: ``<image xlink:href="/any/file.png">`` reads server files,
``file:`` and ``http:`` URLs reach whatever the renderer can, ``<use href="other.svg#x">`` loads
other documents, and a DTD can pull in entities. So what reaches Qt is rebuilt from an
allow-list:

- DOCTYPE and ENTITY declarations are REJECTED (``UnsafeSVG``): a document that needs them
  cannot be kept meaningfully without them, and no editor needs them for a drawing.
- Everything else is STRIPPED, keeping the drawing: elements outside the SVG vocabulary below
  (``<script>``, ``<foreignObject>``, elements of other namespaces ...), event handlers
  (``on*``), attributes of other namespaces, ``href``s that are not an in-document fragment
  (``#id``) or a ``data:`` URI of a raster image (png, jpeg, gif, webp, bmp, checked by content),
  CSS ``url(...)`` to anything but ``#fragments`` (becomes ``none``) and ``@import``. Comments
  and processing instructions go too.

A document is treated as SVG by its content, never its name: every markup document (``<``
first, after a byte order mark and white space) or gzip stream of one is a candidate, and one
whose root is not ``<svg>`` is rejected, so HTML uploaded as ``x.png`` does not slip through.
"""
import base64
import io
import re
import xml.etree.ElementTree as ET
import zlib

import defusedxml
import defusedxml.ElementTree as DET

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
for _prefix, _uri in (("", SVG_NS), ("xlink", XLINK_NS)):
    ET.register_namespace(_prefix, _uri)

MAX_BYTES = 32 * 1024 * 1024  # of SVG text, also when inflated from .svgz
MAX_ELEMENTS = 100_000        # each costs memory here and in Qt; editors' drawings have far fewer
MAX_DEPTH = 200               # nesting deeper than editors write; Python's serializer recurses
SNIFF_BYTES = 1024            # read from the start of a file to tell whether it may be SVG
GZIP_MAGIC = b"\x1f\x8b"

ELEMENTS = frozenset({
    "svg", "g", "defs", "symbol", "use", "switch", "title", "desc", "metadata", "a", "view",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "image", "style",
    "text", "tspan", "textPath", "tref", "textArea", "tbreak",
    "altGlyph", "altGlyphDef", "altGlyphItem", "glyphRef",
    "font", "font-face", "font-face-src", "font-face-name", "font-face-format", "glyph",
    "missing-glyph", "hkern", "vkern",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
    "solidColor", "solidcolor",
    "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite",
    "feConvolveMatrix", "feDiffuseLighting", "feDisplacementMap", "feDistantLight",
    "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur",
    "feImage", "feMerge", "feMergeNode", "feMorphology", "feOffset", "fePointLight",
    "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
    "animate", "animateColor", "animateMotion", "animateTransform", "set", "mpath",
})
ANIMATIONS = frozenset({"animate", "animateColor", "animateMotion", "animateTransform", "set"})
XML_ATTRIBUTES = frozenset({"space", "lang"})

_FRAGMENT = re.compile(r"#[\w.:-]+\Z")
# Base64 only, so the payload cannot hold a second "base64," (Qt decodes from the last one).
_DATA_URI = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp|bmp|x-ms-bmp)(?:;[\w=.+-]*)*;base64,"
                       r"([A-Za-z0-9+/=\s]*)\Z", re.I)
_RASTER_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_IMPORT = re.compile(r"@import\b[^;]*;?", re.I)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)""", re.I)
_CSS_LEFTOVER = re.compile(r"url\s*\(|@import", re.I)


class UnsafeSVG(ValueError):
    """The document cannot be made safe (DTD, entities, not SVG, not XML, too big or deep)."""


def _text_start(head):
    """The start of ``head`` as text, decoded by its byte order mark or its NULs."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                       (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
                       (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(codec, "ignore")
    if head[:4].count(0) == 3:
        return head.replace(b"\x00", b"").decode("latin-1")
    if head[1:2] == b"\x00":
        return head.decode("utf-16-le", "ignore")
    if head[:1] == b"\x00":
        return head.decode("utf-16-be", "ignore")
    return head.decode("latin-1")


def _inflate(data, limit):
    """``data`` (gzip) inflated, at most ``limit`` bytes; more is an UnsafeSVG."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise UnsafeSVG(f"broken gzip data ({exc})") from None
    if len(out) > limit:
        raise UnsafeSVG(f"larger than {limit} bytes when decompressed")
    return out


def may_be_svg(head):
    """Whether a file starting with ``head`` (its first SNIFF_BYTES bytes) must go through
    ``sanitize``: markup, plain or gzipped, whatever the file's name."""
    if head.startswith(GZIP_MAGIC):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            head = inflater.decompress(head, SNIFF_BYTES)
        except zlib.error:
            return False
    return _text_start(head).lstrip(" \t\r\n").startswith("<")


def _split(name):
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _raster_data(value):
    match = _DATA_URI.match(value.strip())
    if not match:
        return False
    try:
        data = base64.b64decode(re.sub(r"\s+", "", match.group(1)))
    except ValueError:
        return False
    return data.startswith(_RASTER_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _safe_href(value, tag):
    # An <image> shows a picture: only inline raster data (Qt would open "#x" as a file name).
    if tag == "image":
        return _raster_data(value)
    return bool(_FRAGMENT.match(value.strip())) or _raster_data(value)


def clean_css(text):
    """CSS with ``@import`` removed and every ``url()`` that is not a ``#fragment`` made
    ``none``; "" when something is left that this cannot follow (escapes, odd ``url``)."""
    if "\\" in text:
        return ""  # escapes can spell url( and @import in ways no pattern follows
    text = _CSS_COMMENT.sub(" ", text).split("/*", 1)[0]
    text = _CSS_IMPORT.sub("", text)

    def url(match):
        target = next(g for g in match.groups() if g is not None).strip()
        return match.group(0) if _FRAGMENT.match(target) else "none"
    text = _CSS_URL.sub(url, text)
    # Only the fragment url()s just kept may remain.
    return "" if _CSS_LEFTOVER.search(_CSS_URL.sub("", text)) else text


def _clean_attributes(element, tag):
    for name, value in list(element.attrib.items()):
        namespace, local = _split(name)
        keep = (namespace in ("", XLINK_NS) or (namespace == XML_NS and local in XML_ATTRIBUTES)) \
            and not local.lower().startswith("on")
        if keep and local == "href":
            value = value.strip()
            keep = _safe_href(value, tag)
        elif keep and (local == "style" or _CSS_LEFTOVER.search(value) or "\\" in value):
            value = clean_css(value)
            keep = bool(value.strip())
        if keep:
            element.set(name, value)
        else:
            del element.attrib[name]


def _allowed(element):
    namespace, local = _split(element.tag)
    if namespace not in ("", SVG_NS) or local not in ELEMENTS:
        return False
    if local in ANIMATIONS:
        # Animating an href or an event handler would bring back what was removed.
        target = (element.get("attributeName") or "").rsplit(":", 1)[-1].strip().lower()
        return target != "href" and not target.startswith("on")
    return True


def _remove(parent, index):
    """Remove ``parent[index]`` but keep the text that followed it."""
    child = parent[index]
    if child.tail:
        if index:
            parent[index - 1].tail = (parent[index - 1].tail or "") + child.tail
        else:
            parent.text = (parent.text or "") + child.tail
    del parent[index]


def _parse(data):
    """The root element of ``data``, counting elements and depth as they come."""
    root, depth, count = None, 0, 0
    try:
        for event, element in DET.iterparse(io.BytesIO(data), ("start", "end"), forbid_dtd=True):
            if event == "end":
                depth -= 1
                continue
            root = element if root is None else root
            depth, count = depth + 1, count + 1
            if depth > MAX_DEPTH:
                raise UnsafeSVG(f"elements nested more than {MAX_DEPTH} deep")
            if count > MAX_ELEMENTS:
                raise UnsafeSVG(f"more than {MAX_ELEMENTS} elements")
        return root
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden,
            defusedxml.ExternalReferenceForbidden):
        raise UnsafeSVG("DOCTYPE and ENTITY declarations are not allowed in SVG; "
                        "save the drawing without them") from None
    except ET.ParseError as exc:
        raise UnsafeSVG(f"not well-formed XML ({exc})") from None


def sanitize(data):
    """The SVG document ``data`` (bytes, plain or gzipped) rebuilt from the allow-list, as
    UTF-8 bytes. Raises UnsafeSVG for DTDs, entities, a root other than ``<svg>``, broken XML
    or a document too big, too deeply nested or of too many elements."""
    if len(data) > MAX_BYTES:
        raise UnsafeSVG(f"larger than {MAX_BYTES} bytes")
    if data.startswith(GZIP_MAGIC):
        data = _inflate(data, MAX_BYTES)
    root = _parse(data)
    if _split(root.tag)[1] != "svg" or not _allowed(root):
        raise UnsafeSVG("the root element is not <svg>")
    stack = [root]
    while stack:
        element = stack.pop()
        tag = _split(element.tag)[1]
        _clean_attributes(element, tag)
        if tag == "style":
            element.text = clean_css(element.text or "")
            del element[:]
            continue
        for index in reversed(range(len(element))):
            if _allowed(element[index]):
                stack.append(element[index])
            else:
                _remove(element, index)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")
