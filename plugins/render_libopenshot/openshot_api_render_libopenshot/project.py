"""The project dict (docs/project-dict.md) turned into the json ``openshot.Timeline.SetJson`` loads,
sized and timed for one export. Pure Python, so it is checked without libopenshot."""
import copy
import os

from .exports import ExportPlan

# Keys of the project's clip and effect dicts that are the cloud API's, not libopenshot's.
_CLOUD_ONLY = ("file_id", "title", "image", "url", "project", "actions", "file")


class ProjectProblem(ValueError):
    """The project cannot be rendered as it is (a clip without media, a missing file)."""


def _keyframe(value: float) -> dict:
    return {"Points": [{"co": {"X": 1, "Y": value}, "interpolation": 2}]}


def color_json(rgba) -> dict:
    """A libopenshot colour (four keyframes) from ``(r, g, b, a)``."""
    return {name: _keyframe(float(part)) for name, part in zip(("red", "green", "blue", "alpha"), rgba)}


def _seconds(item: dict, key: str, default: float = 0.0) -> float:
    value = item.get(key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ProjectProblem(f"{key} of {item.get('id', '?')} is not a number: {value!r}") from None


def _effect(data: dict) -> dict:
    effect = {k: v for k, v in copy.deepcopy(data).items() if k not in _CLOUD_ONLY}
    effect["type"] = effect.get("type") or effect.get("class_name") or ""
    if "id" in effect:
        effect["id"] = str(effect["id"])
    for key in ("position", "start", "end"):
        if key in effect:
            effect[key] = _seconds(effect, key)
    if "layer" in effect:
        effect["layer"] = int(effect["layer"])
    return effect


def media_paths(project: dict) -> list:
    """Every local media path the project's clips read, in clip order, without repeats."""
    seen = []
    for clip in project.get("clips") or []:
        path = (clip.get("reader") or {}).get("path")
        if path and path not in seen:
            seen.append(path)
    return seen


def check_media(project: dict) -> None:
    """Raise ProjectProblem when a clip has no reader or its file is not on this machine."""
    for clip in project.get("clips") or []:
        reader = clip.get("reader") or {}
        name = clip.get("title") or clip.get("id", "?")
        if not reader.get("path"):
            raise ProjectProblem(f"clip {name} has no media file.")
        if not os.path.isfile(reader["path"]):
            raise ProjectProblem(f"the media file of clip {name} is missing "
                                 f"({os.path.basename(reader['path'])}).")
        if not os.access(reader["path"], os.R_OK):
            raise ProjectProblem(f"the media file of clip {name} cannot be read.")


def _clip(data: dict, plan: ExportPlan, waveform: bool) -> dict:
    clip = {k: v for k, v in copy.deepcopy(data).items() if k not in _CLOUD_ONLY}
    clip["id"] = str(clip.get("id", ""))
    clip["layer"] = int(clip.get("layer", 1))
    for key in ("position", "start", "end"):
        clip[key] = _seconds(clip, key)
    if clip["end"] <= clip["start"]:
        raise ProjectProblem(f"clip {clip['id']} ends ({clip['end']}) before it starts ({clip['start']}).")
    clip.pop("duration", None)  # libopenshot derives it from start and end
    reader = dict(clip.get("reader") or {})
    reader.setdefault("type", "FFmpegReader")
    clip["reader"] = reader
    clip["effects"] = [_effect(e) for e in clip.get("effects") or []]
    if waveform:
        # The clip is drawn as its sound: libopenshot's waveform mode replaces the picture;
        # clips without sound are hidden so only waveforms show.
        clip["waveform"] = True
        clip["wave_color"] = color_json(plan.wave_color)
        if not reader.get("has_audio", True):
            clip["has_video"] = _keyframe(0.0)
    return clip


def timeline_json(project: dict, plan: ExportPlan, waveform: bool = False) -> dict:
    """The ``Timeline.SetJson`` document for ``project`` rendered as ``plan``: the export's size,
    frame rate and audio settings; the project's clips (cloud layer numbers kept, so a higher
    layer is drawn on top) with their effects; the project's effects at timeline level."""
    fps = plan.fps
    end_seconds = plan.end_frame * fps.denominator / fps.numerator
    return {
        "width": plan.width,
        "height": plan.height,
        "fps": {"num": fps.numerator, "den": fps.denominator},
        "pixel_ratio": {"num": 1, "den": 1},
        "sample_rate": plan.sample_rate,
        "channels": plan.channels,
        "channel_layout": plan.channel_layout,
        "duration": max(end_seconds, float(project.get("duration") or 0.0)),
        "clips": [_clip(c, plan, waveform) for c in project.get("clips") or []],
        "effects": [_effect(e) for e in project.get("effects") or []],
    }
