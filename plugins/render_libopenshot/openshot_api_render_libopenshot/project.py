"""The project dict (docs/project-dict.md) turned into the json ``openshot.Timeline.SetJson`` loads,
sized and timed for one export. Pure Python, so it is checked without libopenshot."""
import copy
import os

from openshot_api.readers import ASSET_PREFIX, READER_TYPES, ReaderProblem, iter_readers

from .exports import ExportPlan

ASSETS_DIR = os.path.dirname(os.path.abspath(__file__))  # holds transitions/

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


def asset_names() -> list:
    """``@transitions/...`` names of the masks this plugin ships."""
    root = os.path.join(ASSETS_DIR, "transitions")
    names = []
    for folder, _, files in os.walk(root):
        for name in files:
            relative = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            names.append(ASSET_PREFIX + relative)
    return sorted(names)


def allowed_readers(project: dict, check: bool = True) -> list:
    """Check every reader of ``project`` (clips' media, Mask effects' pictures, at any depth)
    and point built-in asset names at this plugin's files, in place; return the local paths a
    render may see: the project's files and the assets its readers name, never a reader's
    path as such. A reader must be an FFmpegReader or QtImageReader reading one of the
    project's ``files`` or an asset; anything else (another path, a URL, a protocol such as
    concat:) raises ProjectProblem. ``check=False`` (a test
    setting, to prove the sandbox alone holds) skips the checks but not the asset names."""
    files = {os.path.abspath(f["path"]) for f in project.get("files") or [] if f.get("path")}
    assets = set(asset_names())
    seen = sorted(files)
    try:
        readers = list(iter_readers({"clips": project.get("clips") or [],
                                     "effects": project.get("effects") or []}, "project"))
    except ReaderProblem as exc:
        if check:
            raise ProjectProblem(str(exc)) from None
        readers = []
    for where, reader in readers:
        path = reader.get("path")
        if isinstance(path, str) and path in assets:
            path = reader["path"] = os.path.join(ASSETS_DIR, "transitions", path[len(ASSET_PREFIX):])
            if path not in seen:
                seen.append(path)
        elif check and (not isinstance(path, str) or os.path.abspath(path) not in files
                        or path != os.path.abspath(path)):
            raise ProjectProblem(f"{where}: {str(path)[:80]!r} is not one of the project's files.")
        if check and reader.get("type", "FFmpegReader") not in READER_TYPES:
            raise ProjectProblem(f"{where}: reader type {reader.get('type')!r} is not allowed.")
    return seen


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
