"""Keyframe editing on a clip's json dict: curves, single keyframes, animation presets, reset.

Pure Python: no libopenshot import. The dicts are libopenshot 0.2.7's keyframe format::

    {"Points": [{"co": {"X": frame, "Y": value}, "interpolation": 0 | 1 | 2,
                 "handle_left": {"X": .., "Y": ..}, "handle_right": {"X": .., "Y": ..},
                 "handle_type": 0}]}

How libopenshot reads a segment between two points (checked against KeyFrame.cpp and by
evaluating ``openshot.Keyframe``; see tests/unit/test_keyframes.py):

- the segment's interpolation is the *right* point's ``interpolation`` (0 Bezier, 1 Linear,
  2 Constant);
- a Bezier segment's control points are the left point's ``handle_right`` and the right point's
  ``handle_left``, both as fractions (0..1) of the segment's width and height measured from the
  left point. So the CSS curve ``cubic-bezier(x1, y1, x2, y2)`` is
  ``left.handle_right = (x1, y1)`` and ``right.handle_left = (x2, y2)``.

Frame numbers (checked by rendering in the tests): a clip's keyframe frame 1 is the first frame
of the clip's *source file*, not the clip's first visible frame. Trimming with ``start`` does not
renumber: the first visible frame of a clip is ``frame_for_seconds(start)`` and its last is
``frame_for_seconds(end) - 1`` (libopenshot 0.2.7 also draws one frame more, which keeps the last
point's value). ``position`` (where the clip sits on the timeline) plays no part.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Iterable, Optional

#: Value a property has when the clip json has no point for it (libopenshot 0.2.7's defaults).
PROPERTY_DEFAULTS: dict[str, float] = {
    "alpha": 1.0,
    "scale_x": 1.0,
    "scale_y": 1.0,
    "location_x": 0.0,
    "location_y": 0.0,
    "rotation": 0.0,
    "shear_x": 0.0,
    "shear_y": 0.0,
    "origin_x": 0.5,
    "origin_y": 0.5,
    "volume": 1.0,
    "time": 1.0,
    "channel_filter": -1.0,
    "channel_mapping": -1.0,
    "has_audio": -1.0,
    "has_video": -1.0,
    "perspective_c1_x": -1.0,
    "perspective_c1_y": -1.0,
    "perspective_c2_x": -1.0,
    "perspective_c2_y": -1.0,
    "perspective_c3_x": -1.0,
    "perspective_c3_y": -1.0,
    "perspective_c4_x": -1.0,
    "perspective_c4_y": -1.0,
    "wave_color.red": 0.0,
    "wave_color.green": 123.0,
    "wave_color.blue": 255.0,
    "wave_color.alpha": 255.0,
}

#: Every keyframed clip property, by its canonical name. The colour channels of the waveform
#: colour are ``wave_color.red`` (and green, blue, alpha); ``wave_color_red`` is accepted too.
KEYFRAME_PROPERTIES: tuple[str, ...] = tuple(PROPERTY_DEFAULTS)

#: Properties ``reset_keyframes`` puts back to their defaults.
RESET_PROPERTIES: tuple[str, ...] = (
    "alpha", "scale_x", "scale_y", "location_x", "location_y", "rotation", "shear_x", "shear_y")

BEZIER, LINEAR, CONSTANT = 0, 1, 2

# libopenshot's own default handles: cubic-bezier(0.5, 0, 0.5, 1).
_DEFAULT_HANDLE_LEFT = (0.5, 1.0)
_DEFAULT_HANDLE_RIGHT = (0.5, 0.0)


@dataclass(frozen=True)
class Curve:
    """How a segment arrives at a point: an interpolation and, for Bezier, the CSS
    ``cubic-bezier(x1, y1, x2, y2)`` control points."""

    interpolation: int
    x1: float = _DEFAULT_HANDLE_RIGHT[0]
    y1: float = _DEFAULT_HANDLE_RIGHT[1]
    x2: float = _DEFAULT_HANDLE_LEFT[0]
    y2: float = _DEFAULT_HANDLE_LEFT[1]


def _bezier(x1, y1, x2, y2):
    return Curve(BEZIER, x1, y1, x2, y2)


#: Curve names accepted by ``add_keyframe`` and ``apply_preset``. The eased ones are the standard
#: CSS / easings.net cubic-bezier values.
CURVES: dict[str, Curve] = {
    "Linear": Curve(LINEAR),
    "Constant": Curve(CONSTANT),
    "Bezier": Curve(BEZIER),
    "Ease (Default)": _bezier(0.25, 0.1, 0.25, 1.0),
    "Ease In": _bezier(0.42, 0.0, 1.0, 1.0),
    "Ease Out": _bezier(0.0, 0.0, 0.58, 1.0),
    "Ease In/Out": _bezier(0.42, 0.0, 0.58, 1.0),
    "Ease In (Quad)": _bezier(0.55, 0.085, 0.68, 0.53),
    "Ease In (Cubic)": _bezier(0.55, 0.055, 0.675, 0.19),
    "Ease In (Quart)": _bezier(0.895, 0.03, 0.685, 0.22),
    "Ease In (Quint)": _bezier(0.755, 0.05, 0.855, 0.06),
    "Ease In (Sine)": _bezier(0.47, 0.0, 0.745, 0.715),
    "Ease In (Expo)": _bezier(0.95, 0.05, 0.795, 0.035),
    "Ease In (Circ)": _bezier(0.6, 0.04, 0.98, 0.335),
    "Ease In (Back)": _bezier(0.6, -0.28, 0.735, 0.045),
    "Ease Out (Quad)": _bezier(0.25, 0.46, 0.45, 0.94),
    "Ease Out (Cubic)": _bezier(0.215, 0.61, 0.355, 1.0),
    "Ease Out (Quart)": _bezier(0.165, 0.84, 0.44, 1.0),
    "Ease Out (Quint)": _bezier(0.23, 1.0, 0.32, 1.0),
    "Ease Out (Sine)": _bezier(0.39, 0.575, 0.565, 1.0),
    "Ease Out (Expo)": _bezier(0.19, 1.0, 0.22, 1.0),
    "Ease Out (Circ)": _bezier(0.075, 0.82, 0.165, 1.0),
    "Ease Out (Back)": _bezier(0.175, 0.885, 0.32, 1.275),
    "Ease In/Out (Quad)": _bezier(0.455, 0.03, 0.515, 0.955),
    "Ease In/Out (Cubic)": _bezier(0.645, 0.045, 0.355, 1.0),
    "Ease In/Out (Quart)": _bezier(0.77, 0.0, 0.175, 1.0),
    "Ease In/Out (Quint)": _bezier(0.86, 0.0, 0.07, 1.0),
    "Ease In/Out (Sine)": _bezier(0.445, 0.05, 0.55, 0.95),
    "Ease In/Out (Expo)": _bezier(1.0, 0.0, 0.0, 1.0),
    "Ease In/Out (Circ)": _bezier(0.785, 0.135, 0.15, 0.86),
    "Ease In/Out (Back)": _bezier(0.68, -0.55, 0.265, 1.55),
}

DEFAULT_CURVE = "Ease (Default)"


@dataclass(frozen=True)
class Move:
    """One property animated from ``start_value`` to ``end_value`` at the clip's ``anchor``
    ("start": over the first length_seconds of the clip, "end": over the last)."""

    anchor: str
    prop: str
    start_value: float
    end_value: float


def _moves(anchor: str, props: Iterable[str], start_value: float, end_value: float):
    return tuple(Move(anchor, p, start_value, end_value) for p in props)


_XY = ("scale_x", "scale_y")


def _zoom(start_scale: float, end_scale: float):
    return _moves("start", _XY, start_scale, end_scale)


#: Animation presets for ``apply_preset``: name -> the moves it makes. Slides use location
#: -1 / 1 (a whole canvas width or height), which puts a picture that fits the canvas fully
#: off-screen. Zooms keep the clip's gravity (libopenshot's default, centre, zooms about the
#: middle). Rotations and slides between two edges run over the first length_seconds.
PRESETS: dict[str, tuple[Move, ...]] = {
    "Fade In": _moves("start", ["alpha"], 0.0, 1.0),
    "Fade Out": _moves("end", ["alpha"], 1.0, 0.0),
    "Fade In & Out": _moves("start", ["alpha"], 0.0, 1.0) + _moves("end", ["alpha"], 1.0, 0.0),
    "Zoom In": _zoom(1.0, 1.5),
    "Zoom Out": _zoom(1.5, 1.0),
    "Zoom In (50% to 100%)": _zoom(0.5, 1.0),
    "Zoom In (75% to 100%)": _zoom(0.75, 1.0),
    "Zoom In (100% to 150%)": _zoom(1.0, 1.5),
    "Zoom Out (100% to 75%)": _zoom(1.0, 0.75),
    "Zoom Out (100% to 50%)": _zoom(1.0, 0.5),
    "Zoom Out (150% to 100%)": _zoom(1.5, 1.0),
    "Center to Top": _moves("end", ["location_y"], 0.0, -1.0),
    "Center to Left": _moves("end", ["location_x"], 0.0, -1.0),
    "Center to Right": _moves("end", ["location_x"], 0.0, 1.0),
    "Center to Bottom": _moves("end", ["location_y"], 0.0, 1.0),
    "Top to Center": _moves("start", ["location_y"], -1.0, 0.0),
    "Left to Center": _moves("start", ["location_x"], -1.0, 0.0),
    "Right to Center": _moves("start", ["location_x"], 1.0, 0.0),
    "Bottom to Center": _moves("start", ["location_y"], 1.0, 0.0),
    "Left to Right": _moves("start", ["location_x"], -1.0, 1.0),
    "Right to Left": _moves("start", ["location_x"], 1.0, -1.0),
    "Top to Bottom": _moves("start", ["location_y"], -1.0, 1.0),
    "Bottom to Top": _moves("start", ["location_y"], 1.0, -1.0),
    "Rotate 90 Right": _moves("start", ["rotation"], 0.0, 90.0),
    "Rotate 90 Left": _moves("start", ["rotation"], 0.0, -90.0),
    "Rotate 180": _moves("start", ["rotation"], 0.0, 180.0),
    "Volume Fade In": _moves("start", ["volume"], 0.0, 1.0),
    "Volume Fade Out": _moves("end", ["volume"], 1.0, 0.0),
    "Volume Fade In & Out": (_moves("start", ["volume"], 0.0, 1.0)
                             + _moves("end", ["volume"], 1.0, 0.0)),
}


# ---------------------------------------------------------------------------------------------
# names

def _lookup(name: Any, table: dict, what: str) -> str:
    """Return the canonical key of ``name`` in ``table`` (case-insensitive), else ValueError."""
    if isinstance(name, str):
        if name in table:
            return name
        folded = name.strip().casefold()
        for key in table:
            if key.casefold() == folded:
                return key
    raise ValueError(f"unknown {what} {name!r}; valid {what}s: {', '.join(table)}")


def property_name(prop: str) -> str:
    """Return the canonical name of a keyframed clip property (``wave_color_red`` ->
    ``wave_color.red``). Raises ValueError listing the valid properties."""
    if isinstance(prop, str) and prop.strip().casefold().startswith("wave_color_"):
        prop = "wave_color." + prop.strip()[len("wave_color_"):]
    return _lookup(prop, PROPERTY_DEFAULTS, "property")


def curve_name(curve: str) -> str:
    """Return the canonical curve name (case-insensitive match). Raises ValueError listing
    the valid curves."""
    return _lookup(curve, CURVES, "curve")


def preset_name(preset: str) -> str:
    """Return the canonical preset name (case-insensitive match). Raises ValueError listing
    the valid presets."""
    return _lookup(preset, PRESETS, "preset")


# ---------------------------------------------------------------------------------------------
# frames

def _fps_value(fps: Any) -> float:
    """Frames per second from ``{"num", "den"}``, ``(num, den)`` or a number."""
    if isinstance(fps, dict):
        num, den = fps.get("num"), fps.get("den")
    elif isinstance(fps, (tuple, list)) and len(fps) == 2:
        num, den = fps
    else:
        num, den = fps, 1
    try:
        value = float(num) / float(den)
    except (TypeError, ValueError, ZeroDivisionError):
        raise ValueError(f"fps must be {{'num': .., 'den': ..}} or a number, not {fps!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"fps must be positive, not {fps!r}")
    return value


def _round_half_up(x: float) -> int:
    if not math.isfinite(x):  # seconds so far on that the frame number overflows
        raise ValueError("the time is too far on to be a frame number libopenshot can hold")
    return int(math.floor(x + 0.5))


def frame_for_seconds(seconds: float, fps_num: int, fps_den: int = 1) -> int:
    """Return the frame number (first frame 1) shown at ``seconds``: ``round(seconds * fps) + 1``.

    For a clip keyframe, ``seconds`` is time in the clip's source file (see the module doc):
    use ``frame_for_seconds(clip_start + seconds_into_clip, ...)`` for a time measured from the
    clip's first visible frame. Raises ValueError for negative or non-numeric seconds.
    """
    fps = _fps_value((fps_num, fps_den))
    seconds = _number(seconds, "seconds")
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, not {seconds}")
    return _round_half_up(seconds * fps) + 1


def _number(value: Any, field: str) -> float:
    """``value`` as a finite float (strings such as "1.0" included), else ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"{field} must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field} must be a number, not {value!r}")
    if not math.isfinite(number):
        raise ValueError(f"{field} must be a finite number, not {value!r}")
    return number


# ---------------------------------------------------------------------------------------------
# points

def _coord(x: float, y: float) -> dict:
    return {"X": float(x), "Y": float(y)}


def make_point(frame: int, value: float, curve: str = "Bezier") -> dict:
    """Return a libopenshot point at ``frame`` with ``value``, arriving with ``curve``.

    Its ``handle_left`` is the curve's (x2, y2); its ``handle_right`` is the curve's (x1, y1),
    a sensible guess for a following segment until a later point sets it.
    """
    c = CURVES[curve_name(curve)]
    return {
        "co": _coord(frame, value),
        "interpolation": c.interpolation,
        "handle_left": _coord(c.x2, c.y2),
        "handle_right": _coord(c.x1, c.y1),
        "handle_type": 0,
    }


def _keyframe_slot(clip: dict, prop: str) -> tuple[dict, str]:
    """Return (the dict holding the keyframe, its key) for canonical ``prop``, creating the
    wave_color colour dict when absent."""
    if prop.startswith("wave_color."):
        colour = clip.get("wave_color")
        if not isinstance(colour, dict):
            colour = clip["wave_color"] = {}
        return colour, prop.split(".", 1)[1]
    return clip, prop


def _points_of(holder: dict, key: str, prop: str) -> list:
    """The (sorted) point list of a keyframe, seeded with the default value at frame 1 when
    the clip has none, so frames before a new point keep the value they had."""
    keyframe = holder.get(key)
    if not isinstance(keyframe, dict):
        keyframe = holder[key] = {"Points": []}
    points = keyframe.get("Points")
    if not isinstance(points, list):
        points = keyframe["Points"] = []
    # Points libopenshot could not read either (the json is the client's) are dropped, as a
    # keyframe that is not an object is replaced above.
    points[:] = [p for p in points if _frame_of(p) is not None]
    if not points:
        points.append(_default_point(PROPERTY_DEFAULTS[prop]))
    points.sort(key=_frame_of)
    return points


def _frame_of(point: Any) -> Optional[float]:
    """The frame (``co.X``) of a keyframe point, None when it is not a point with a finite X."""
    co = point.get("co") if isinstance(point, dict) else None
    x = co.get("X") if isinstance(co, dict) else None
    try:
        x = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return x if math.isfinite(x) else None


def _default_point(value: float) -> dict:
    """A single point at frame 1 as libopenshot writes its own defaults."""
    return {"co": _coord(1, value), "interpolation": CONSTANT}


def _put_point(points: list, frame: int, value: float, curve: str) -> None:
    """Insert (or replace) the point at ``frame`` in sorted ``points``, keeping each Bezier
    segment's handles with the curve of the point that ends the segment."""
    c = CURVES[curve]
    new = make_point(frame, value, curve)
    index = 0
    while index < len(points) and _frame_of(points[index]) < frame:
        index += 1
    replacing = index < len(points) and _frame_of(points[index]) == frame
    previous = points[index - 1] if index > 0 else None
    if replacing and "handle_right" in points[index]:
        # The old point's right handle belongs to the next segment's curve: keep it.
        new["handle_right"] = copy.deepcopy(points[index]["handle_right"])
    elif not replacing and previous is not None and "handle_right" in previous \
            and index < len(points):
        # The new point splits a segment; its right part keeps that segment's curve start.
        new["handle_right"] = copy.deepcopy(previous["handle_right"])
    if previous is not None and c.interpolation == BEZIER:
        previous["handle_right"] = _coord(c.x1, c.y1)
        previous.setdefault("handle_left", _coord(*_DEFAULT_HANDLE_LEFT))
        previous.setdefault("handle_type", 0)
    if replacing:
        points[index] = new
    else:
        points.insert(index, new)


def _check_frame(frame: Any) -> int:
    number = _number(frame, "frame")
    if number < 1 or number != int(number):
        raise ValueError(f"frame must be a whole number >= 1, not {frame!r}")
    return int(number)


def add_keyframe(clip_json: dict, prop: str, frame: int, value: float,
                 curve: str = DEFAULT_CURVE) -> dict:
    """Return a copy of ``clip_json`` with a keyframe point for ``prop`` at ``frame`` (source
    file frame, first frame 1) set to ``value``, the segment from the previous point following
    ``curve``.

    A point already at ``frame`` is replaced; points stay sorted by frame. ``value`` may be a
    number or a numeric string. Raises ValueError (message lists the valid names) for an
    unknown property or curve, and for a bad frame or value. ``clip_json`` is not modified.
    """
    prop = property_name(prop)
    curve = curve_name(curve)
    frame = _check_frame(frame)
    value = _number(value, "value")
    clip = copy.deepcopy(clip_json)
    holder, key = _keyframe_slot(clip, prop)
    _put_point(_points_of(holder, key, prop), frame, value, curve)
    return clip


# ---------------------------------------------------------------------------------------------
# presets

def _clip_seconds(clip_json: dict, given: Optional[float], key: str) -> float:
    value = clip_json.get(key) if given is None else given
    if value is None:
        raise ValueError(f"{key} is missing: pass clip_{key} or set it in the clip json")
    return _number(value, f"clip_{key}")


def apply_preset(clip_json: dict, preset: str, length_seconds: float, curve: str, fps: Any,
                 clip_position: Optional[float] = None, clip_start: Optional[float] = None,
                 clip_end: Optional[float] = None) -> dict:
    """Return a copy of ``clip_json`` animated with the named ``preset`` (see ``PRESETS``).

    Each move runs over ``length_seconds`` at the clip's start (from its first visible frame)
    or end (up to its last visible frame), as the preset says, arriving with ``curve``.
    ``length_seconds`` longer than the clip is cut to the clip (to half of it for the
    "In & Out" presets). Points of the property between the move's two points are removed;
    points outside the move are kept, so e.g. Fade In then Fade Out combine.

    ``fps`` is ``{"num", "den"}``, ``(num, den)`` or a number. ``clip_start`` / ``clip_end``
    (seconds in the source file) default to the clip json's ``start`` / ``end``.
    ``clip_position`` is accepted for symmetry with the API but not needed: clip keyframe
    frames do not depend on where the clip sits on the timeline.
    Raises ValueError naming the problem (unknown preset or curve, bad length, end <= start).
    """
    del clip_position  # keyframe frames are relative to the source file, not the timeline
    name = preset_name(preset)
    curve = curve_name(curve)
    rate = _fps_value(fps)
    length = _number(length_seconds, "length_seconds")
    if length <= 0:
        raise ValueError(f"length_seconds must be more than 0, not {length_seconds!r}")
    start = _clip_seconds(clip_json, clip_start, "start")
    end = _clip_seconds(clip_json, clip_end, "end")
    if start < 0 or end <= start:
        raise ValueError(f"the clip's end ({end}) must be after its start ({start}) and "
                         f"start must not be negative")

    first = _round_half_up(start * rate) + 1
    last = max(first + 1, _round_half_up(end * rate))
    moves = PRESETS[name]
    both_ends = {m.anchor for m in moves} == {"start", "end"}
    span = last - first
    frames = max(1, min(_round_half_up(length * rate), span // 2 if both_ends else span))

    clip = copy.deepcopy(clip_json)
    for move in moves:
        if move.anchor == "start":
            f0, f1 = first, first + frames
        else:
            f0, f1 = last - frames, last
        holder, key = _keyframe_slot(clip, move.prop)
        points = _points_of(holder, key, move.prop)
        points[:] = [p for p in points if not f0 < _frame_of(p) < f1]
        _put_point(points, f0, move.start_value, curve)
        _put_point(points, f1, move.end_value, curve)
    return clip


def reset_keyframes(clip_json: dict) -> dict:
    """Return a copy of ``clip_json`` whose alpha, scale_x/y, location_x/y, rotation and
    shear_x/y (``RESET_PROPERTIES``) are a single default point at frame 1 (no animation)."""
    clip = copy.deepcopy(clip_json)
    for prop in RESET_PROPERTIES:
        clip[prop] = {"Points": [_default_point(PROPERTY_DEFAULTS[prop])]}
    return clip


# ---------------------------------------------------------------------------------------------
# what libopenshot can read

_INT32 = 2 ** 31


def _is_keyframe(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("Points"), list)


def _number_problem(value: Any, whole: bool) -> Optional[str]:
    if not isinstance(value, (int, float)):  # bools included: libopenshot reads them as 0 and 1
        return "must be a number"
    if not math.isfinite(value) or (whole and abs(value) >= _INT32):
        return "must be a number libopenshot can hold" + (" (a 32-bit integer)" if whole else "")
    return None


def _keyframe_problem(value: Any) -> Optional[str]:
    """Why ``value`` is not a keyframe libopenshot can read (``{"Points": [{"co": {"X": frame,
    "Y": value}, ...}]}``; null parts are left at their defaults), or None."""
    if not isinstance(value, dict):
        return 'must be a keyframe {"Points": [{"co": {"X": <frame>, "Y": <value>}}]}'
    points = value.get("Points")
    if points is None:
        return None
    if not isinstance(points, list):
        return "Points must be a list of points"
    for index, point in enumerate(points):
        if not isinstance(point, dict):
            return f"Points[{index}] must be an object"
        for key in ("co", "handle_left", "handle_right"):
            coordinate = point.get(key)
            if coordinate is None:
                continue
            if not isinstance(coordinate, dict):
                return f"Points[{index}].{key} must be an object with X and Y"
            for axis in ("X", "Y"):
                if coordinate.get(axis) is not None and _number_problem(coordinate[axis], False):
                    return f"Points[{index}].{key}.{axis} {_number_problem(coordinate[axis], False)}"
        for key in ("interpolation", "handle_type"):
            if point.get(key) is not None and _number_problem(point[key], True):
                return f"Points[{index}].{key} {_number_problem(point[key], True)}"
    return None


def json_problem(value: Any, default: Any, where: str) -> Optional[str]:
    """Why libopenshot could not read ``value`` where its own json (``default``, a new clip's
    or effect's) has ``default``, or None: a keyframe must stay a keyframe, a number a number
    (an integer within 32 bits), text a scalar and an object an object (its keys checked the
    same way). Null, lists (libopenshot loops over what is there) and keys libopenshot does not
    have are left alone. ``where`` names the place in messages, e.g. ``json.alpha``."""
    if value is None or default is None:
        return None
    if _is_keyframe(default):
        problem = _keyframe_problem(value)
        return f"{where} {problem}" if problem else None
    if isinstance(default, bool):
        return None if isinstance(value, (bool, int, float)) else f"{where} must be a boolean"
    if isinstance(default, (int, float)):
        problem = _number_problem(value, isinstance(default, int))
        return f"{where} {problem}" if problem else None
    if isinstance(default, str):
        return None if isinstance(value, (str, int, float, bool)) else f"{where} must be a string"
    if isinstance(default, dict):
        if not isinstance(value, dict):
            return f"{where} must be an object"
        for key, inner in value.items():
            if key in default:
                problem = json_problem(inner, default[key], f"{where}.{key}")
                if problem:
                    return problem
    return None
