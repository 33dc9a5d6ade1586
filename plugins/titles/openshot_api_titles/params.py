"""The title request's style fields: defaults and validation (ValueError names the field)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Optional

#: A font every install has (fonts-dejavu-core); fontconfig also maps "Bitstream Vera Sans" to it.
DEFAULT_FONT = "DejaVu Sans"

_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# Characters XML 1.0 cannot hold at all; they are dropped from the text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class TitleParams:
    """Validated title fields. ``font_size`` None means the template's own size; ``subtitle``
    None means "the text's lines after the first" in templates with a subtitle."""

    text: str = ""
    subtitle: Optional[str] = None
    font_size: Optional[float] = None
    font_name: str = DEFAULT_FONT
    fill_color: str = "#ffffff"
    fill_opacity: float = 1.0
    stroke_color: str = "#000000"
    stroke_size: float = 0.0
    stroke_opacity: float = 1.0
    drop_shadow: bool = False
    background_color: str = "#000000"
    background_opacity: float = 0.0
    bar_color: Optional[str] = None
    bar_opacity: Optional[float] = None


def _text(value: Any, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{field}: must be text")
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML.sub("", text)


def _colour(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _COLOUR.match(value.strip()):
        raise ValueError(f"{field}: must be a colour as #rgb or #rrggbb, not {value!r}")
    value = value.strip().lower()
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{field}: must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: must be a number, not {value!r}")
    if not math.isfinite(number):
        raise ValueError(f"{field}: must be a finite number, not {value!r}")
    return number


def _opacity(value: Any, field: str) -> float:
    number = _number(value, field)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{field}: must be between 0 and 1, not {value!r}")
    return number


def _size(value: Any, field: str, minimum_exclusive: bool = False) -> float:
    number = _number(value, field)
    if number < 0 or (minimum_exclusive and number == 0):
        raise ValueError(f"{field}: must be {'more than' if minimum_exclusive else 'at least'} 0, "
                         f"not {value!r}")
    return number


def _flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise ValueError(f"{field}: must be true or false, not {value!r}")


def _font_name(value: Any, field: str) -> str:
    name = _text(value, field).strip()
    if not name or "\n" in name or len(name) > 200:
        raise ValueError(f"{field}: must be a font family name on one line")
    return name


_FIELDS = {
    "text": _text,
    "subtitle": _text,
    "font_size": lambda v, f: _size(v, f, minimum_exclusive=True),
    "font_name": _font_name,
    "fill_color": _colour,
    "fill_opacity": _opacity,
    "stroke_color": _colour,
    "stroke_size": _size,
    "stroke_opacity": _opacity,
    "drop_shadow": _flag,
    "background_color": _colour,
    "background_opacity": _opacity,
    "bar_color": _colour,
    "bar_opacity": _opacity,
}


def validate(params: dict) -> TitleParams:
    """Return the title fields of ``params`` checked and normalised (colours as lower-case
    ``#rrggbb``); absent or null fields take their defaults and other keys (``template``...)
    are ignored. Raises ValueError whose message starts with the bad field's name."""
    if not isinstance(params, dict):
        raise ValueError("params: must be an object")
    values = {}
    for field, check in _FIELDS.items():
        if params.get(field) is not None:
            values[field] = check(params[field], field)
    return TitleParams(**values)
