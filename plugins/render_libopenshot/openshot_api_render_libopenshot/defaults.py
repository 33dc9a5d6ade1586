"""Default clip and effect json, straight from libopenshot's own objects.

These touch no media file, only constructors and ``Json()``, so they run in the calling process
(unlike probes and renders); ``openshot`` is imported on first use and results are cached.
"""
import copy
import functools
import json

# Per-frame bookkeeping in PropertiesJSON that says nothing about the property itself.
_FRAME_KEYS = ("closest_point_x", "previous_point_x")


@functools.lru_cache(maxsize=1)
def _openshot():
    import openshot
    return openshot


@functools.lru_cache(maxsize=1)
def _new_clip() -> dict:
    return json.loads(_openshot().Clip().Json())


def _constant(value: float) -> dict:
    return {"Points": [{"co": {"X": 1.0, "Y": float(value)}, "interpolation": 2}]}


def clip_defaults(reader: dict) -> dict:
    """The json libopenshot writes for ``Clip(reader)``: every keyframe at its default, ``end``
    and ``duration`` set to the reader's duration (an image reader says 3600 s), the rotation
    taken from the file's ``rotate`` metadata (phone videos) or 0, and ``reader`` itself."""
    clip = copy.deepcopy(_new_clip())
    reader = copy.deepcopy(reader or {})
    try:
        duration = float(reader.get("duration") or 0.0)
    except (TypeError, ValueError):
        duration = 0.0
    clip.update(position=0.0, start=0.0, end=duration, duration=duration, reader=reader)
    try:
        rotation = float((reader.get("metadata") or {}).get("rotate", 0.0))
    except (TypeError, ValueError):
        rotation = 0.0
    clip["rotation"] = _constant(rotation)
    return clip


@functools.lru_cache(maxsize=1)
def _effects() -> dict:
    openshot = _openshot()
    found = {}
    for info in json.loads(openshot.EffectInfo.Json()):
        effect = openshot.EffectInfo().CreateEffect(info["class_name"])
        if effect is None:
            continue
        properties = json.loads(effect.PropertiesJSON(1))
        for prop in properties.values():
            if isinstance(prop, dict):
                for key in _FRAME_KEYS:
                    prop.pop(key, None)
        found[info["class_name"]] = {"info": info, "defaults": json.loads(effect.Json()),
                                     "properties": properties}
    return found


def effect_types() -> list:
    """Every effect libopenshot knows: ``class_name``, ``name``, ``description``, ``has_video``,
    ``has_audio``, ``properties`` (libopenshot's property descriptions: name, type, min, max,
    default ``value``, ``choices``...) and ``defaults`` (the json of a new effect)."""
    return [dict(copy.deepcopy(entry["info"]), properties=copy.deepcopy(entry["properties"]),
                 defaults=copy.deepcopy(entry["defaults"]))
            for entry in _effects().values()]


def effect_defaults(effect_type: str) -> dict:
    """The json of a new effect of class ``effect_type`` (any letter case); KeyError when
    libopenshot has no such effect."""
    effects = _effects()
    if effect_type not in effects:
        matches = [name for name in effects if name.lower() == str(effect_type).lower()]
        if not matches:
            raise KeyError(effect_type)
        effect_type = matches[0]
    return copy.deepcopy(effects[effect_type]["defaults"])
