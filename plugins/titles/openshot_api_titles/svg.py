"""Fill an SVG title template with text and style.

What a template may hold (the bundled ones all do; see ``templates/``):

- ``<text id="title" x=".." y=".." font-size=".." text-anchor="..">`` where the text goes, and
  optionally ``<text id="subtitle" ..>``. ``data-grow`` says where extra lines go: ``down``
  (``y`` is the first line's baseline: plain SVG's meaning, the default), ``up`` (``y`` is the
  last line's baseline) or ``middle`` (``y`` is the middle of the block of lines).
  A template without such ids uses its first (and second) ``<text>`` element instead.
- ``<rect id="background" ..>`` filled with background_color / background_opacity; one
  covering the view box is added when absent.
- ``<rect id="bar" ..>`` a band behind the text, recoloured by bar_color / bar_opacity when
  given; with ``data-fit="title"`` it grows (within the view box) to cover the title's lines.

Each line becomes its own ``<text>`` element inside ``<g id="title">``: QtSvg, which libopenshot
renders SVG files with, ignores the x / y / dy of ``<tspan>`` elements and would put every line
on one row. The drop shadow is a blurred (``<filter>``) black copy of the lines, offset down
and right; renderers without filters, QtSvg among them, draw it unblurred.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Optional

from .params import TitleParams

SVG_NS = "http://www.w3.org/2000/svg"
for _prefix, _uri in (("", SVG_NS), ("xlink", "http://www.w3.org/1999/xlink"),
                      ("sodipodi", "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"),
                      ("inkscape", "http://www.inkscape.org/namespaces/inkscape")):
    ET.register_namespace(_prefix, _uri)

LINE_HEIGHT = 1.2  # baseline to baseline, in font sizes
SHADOW_FILTER_ID = "title-drop-shadow"
_TEMPLATE_ATTRIBUTES = ("data-grow", "data-fit")
_LENGTH = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+))\s*(px|pt)?\s*$")


class TemplateError(Exception):
    """The template is not an SVG document this module can fill."""


@dataclass
class Slot:
    """Where one block of lines goes, read from a template's ``<text>`` element."""

    element: ET.Element
    x: float
    y: float
    font_size: float
    anchor: str
    grow: str
    font_weight: Optional[str]
    font_style: Optional[str]


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _style(element: ET.Element) -> dict:
    """The ``style`` attribute as a dict of CSS properties."""
    out = {}
    for part in (element.get("style") or "").split(";"):
        if ":" in part:
            key, value = part.split(":", 1)
            out[key.strip()] = value.strip()
    return out


def _property(element: ET.Element, name: str) -> Optional[str]:
    return _style(element).get(name) or element.get(name)


def _length(value: Optional[str]) -> Optional[float]:
    """A length in user units ("12", "12px", "9pt"; the first of a list), else None."""
    parts = (value or "").replace(",", " ").split()
    match = _LENGTH.match(parts[0] if parts else "")
    if not match:
        return None
    number = float(match.group(1))
    return number * 4 / 3 if match.group(2) == "pt" else number


def _slot(element: ET.Element) -> Slot:
    # Editors often keep the position on the first tspan rather than on the text itself.
    spans = [e for e in element.iter() if _tag(e) == "tspan"]

    def source(name):
        return element.get(name) or next((s.get(name) for s in spans if s.get(name)), None)

    size = _length(_property(element, "font-size"))
    if size is None and spans:
        size = _length(_property(spans[0], "font-size"))
    anchor = _property(element, "text-anchor") or "start"
    if anchor not in ("start", "middle", "end"):
        anchor = "start"
    grow = element.get("data-grow") or "down"
    return Slot(element, _length(source("x")) or 0.0, _length(source("y")) or 0.0,
                size or 100.0, anchor, grow if grow in ("up", "down", "middle") else "down",
                _property(element, "font-weight"), _property(element, "font-style"))


def _find_slots(root: ET.Element) -> dict[str, Slot]:
    texts = [e for e in root.iter() if _tag(e) == "text"]
    named = {e.get("id"): e for e in texts if e.get("id") in ("title", "subtitle")}
    if "title" not in named:
        unnamed = [e for e in texts if e.get("id") != "subtitle"]
        if unnamed:
            named["title"] = unnamed[0]
        if "subtitle" not in named and len(unnamed) > 1:
            named["subtitle"] = unnamed[1]
    return {name: _slot(element) for name, element in named.items()}


def _baselines(slot: Slot, count: int, size: float) -> list[float]:
    step = size * LINE_HEIGHT
    if slot.grow == "up":
        return [slot.y - (count - 1 - i) * step for i in range(count)]
    if slot.grow == "middle":
        # 0.35 em below the middle puts the middle of capital letters on slot.y.
        return [slot.y + (i - (count - 1) / 2) * step + 0.35 * size for i in range(count)]
    return [slot.y + i * step for i in range(count)]


def _fmt(number: float) -> str:
    return f"{number:.3f}".rstrip("0").rstrip(".") or "0"


class _Builder:
    """Makes elements in the template's namespace."""

    def __init__(self, root: ET.Element):
        self.ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""

    def element(self, tag: str, **attributes) -> ET.Element:
        name = f"{{{self.ns}}}{tag}" if self.ns else tag
        return ET.Element(name, {k.replace("_", "-"): v for k, v in attributes.items()
                                 if v is not None})


def _line_elements(build: _Builder, slot: Slot, lines: list[str], size: float,
                   params: TitleParams, shadow: bool) -> list[ET.Element]:
    elements = []
    for line, baseline in zip(lines, _baselines(slot, len(lines), size)):
        if not line.strip():
            continue
        stroke = params.stroke_size > 0 and not shadow
        text = build.element(
            "text", x=_fmt(slot.x), y=_fmt(baseline), text_anchor=slot.anchor,
            font_family=params.font_name, font_size=_fmt(size),
            font_weight=slot.font_weight, font_style=slot.font_style,
            fill="#000000" if shadow else params.fill_color,
            fill_opacity="0.6" if shadow else _fmt(params.fill_opacity),
            stroke=params.stroke_color if stroke else "none",
            stroke_width=_fmt(params.stroke_size) if stroke else None,
            stroke_opacity=_fmt(params.stroke_opacity) if stroke else None,
            stroke_linejoin="round" if stroke else None)
        text.text = line
        elements.append(text)
    return elements


def _replace_slot(root: ET.Element, parents: dict, build: _Builder, name: str, slot: Slot,
                  lines: list[str], size: float, params: TitleParams) -> None:
    group = build.element("g", id=name, transform=slot.element.get("transform"))
    if params.drop_shadow:
        offset = max(2.0, size * 0.06)
        shadow = build.element("g", transform=f"translate({_fmt(offset)},{_fmt(offset)})",
                               filter=f"url(#{SHADOW_FILTER_ID})", **{"class": "drop-shadow"})
        shadow.extend(_line_elements(build, slot, lines, size, params, shadow=True))
        group.append(shadow)
    group.extend(_line_elements(build, slot, lines, size, params, shadow=False))
    parent = parents[slot.element]
    index = list(parent).index(slot.element)
    parent.remove(slot.element)
    parent.insert(index, group)


def _view_box(root: ET.Element) -> tuple[float, float, float, float]:
    parts = (root.get("viewBox") or "").replace(",", " ").split()
    if len(parts) == 4:
        try:
            return tuple(float(p) for p in parts)  # type: ignore[return-value]
        except ValueError:
            pass
    return 0.0, 0.0, _length(root.get("width")) or 1920.0, _length(root.get("height")) or 1080.0


def _fill(element: ET.Element, colour: str, opacity: float) -> None:
    style = {k: v for k, v in _style(element).items() if k not in ("fill", "fill-opacity")}
    if style:
        element.set("style", ";".join(f"{k}:{v}" for k, v in style.items()))
    else:
        element.attrib.pop("style", None)
    element.set("fill", colour)
    element.set("fill-opacity", _fmt(opacity))


def _set_background(root: ET.Element, build: _Builder, params: TitleParams) -> None:
    background = next((e for e in root.iter() if e.get("id") == "background"), None)
    if background is None:
        x, y, width, height = _view_box(root)
        background = build.element("rect", id="background", x=_fmt(x), y=_fmt(y),
                                   width=_fmt(width), height=_fmt(height))
        defs = [i for i, e in enumerate(root) if _tag(e) in ("defs", "title", "desc", "metadata")]
        root.insert(max(defs) + 1 if defs else 0, background)
    _fill(background, params.background_color, params.background_opacity)


def _fit_bar(root: ET.Element, params: TitleParams, slots: dict, sizes: dict, counts: dict):
    _, top_edge, _, view_height = _view_box(root)
    for bar in (e for e in root.iter() if e.get("id") == "bar"):
        if params.bar_color is not None or params.bar_opacity is not None:
            colour = params.bar_color or _property(bar, "fill") or "#000000"
            opacity = params.bar_opacity
            if opacity is None:
                opacity = _length(_property(bar, "fill-opacity"))
            _fill(bar, colour, 1.0 if opacity is None else opacity)
        fit = bar.get("data-fit")
        if fit in slots and counts.get(fit):
            # Cover the lines from a cap height above the first baseline to below the last.
            size = sizes[fit]
            baselines = _baselines(slots[fit], counts[fit], size)
            top = max(top_edge, min(_length(bar.get("y")) or 0.0, baselines[0] - 1.3 * size))
            bottom = (_length(bar.get("y")) or 0.0) + (_length(bar.get("height")) or 0.0)
            bottom = min(top_edge + view_height, max(bottom, baselines[-1] + 0.6 * size))
            bar.set("y", _fmt(top))
            bar.set("height", _fmt(bottom - top))


def _add_shadow_filter(root: ET.Element, build: _Builder, blur: float) -> None:
    defs = next((e for e in root if _tag(e) == "defs"), None)
    if defs is None:
        defs = build.element("defs")
        root.insert(0, defs)
    shadow = build.element("filter", id=SHADOW_FILTER_ID, x="-10%", y="-10%",
                           width="120%", height="120%")
    shadow.append(build.element("feGaussianBlur", stdDeviation=_fmt(blur)))
    defs.append(shadow)


def _split_text(params: TitleParams, has_subtitle: bool) -> dict[str, list[str]]:
    lines = params.text.split("\n") if params.text else []
    if params.subtitle is not None:
        subtitle = params.subtitle.split("\n") if params.subtitle else []
        return {"title": lines, "subtitle": subtitle} if has_subtitle \
            else {"title": lines + subtitle}
    if has_subtitle:
        return {"title": lines[:1], "subtitle": lines[1:]}
    return {"title": lines}


def fill_template(data: bytes, params: TitleParams) -> bytes:
    """Return the SVG document ``data`` filled with ``params`` (UTF-8 bytes).

    Raises TemplateError when ``data`` is not an SVG document with a text element.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise TemplateError(f"not well-formed XML: {error}") from None
    if _tag(root) != "svg":
        raise TemplateError("the root element is not <svg>")
    slots = _find_slots(root)
    if "title" not in slots:
        raise TemplateError("no <text> element to put the title in")
    build = _Builder(root)
    parents = {child: parent for parent in root.iter() for child in parent}

    scale = params.font_size / slots["title"].font_size if params.font_size else 1.0
    texts = _split_text(params, "subtitle" in slots)
    sizes = {name: slot.font_size * scale for name, slot in slots.items()}
    for name, slot in slots.items():
        _replace_slot(root, parents, build, name, slot, texts.get(name, []), sizes[name], params)
    _set_background(root, build, params)
    _fit_bar(root, params, slots, sizes, {n: len(t) for n, t in texts.items()})
    if params.drop_shadow:
        _add_shadow_filter(root, build, max(1.0, sizes["title"] * 0.04))
    for element in root.iter():
        for attribute in _TEMPLATE_ATTRIBUTES:
            element.attrib.pop(attribute, None)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")
