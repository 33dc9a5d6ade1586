"""The OpenShot project dict (see docs/project-dict.md) built from a project's rows, and the
numbers derived from it (length, frame ranges, export settings)."""
import copy
import math
from fractions import Fraction

from .readers import readable_info, reader_type, rewrite_for_render

OPENSHOT_VERSION = {"openshot-qt": "2.6.1", "libopenshot": "0.2.7"}


def project_length(project):
    """Seconds from 0 to the end of the last clip or effect."""
    ends = [c.position + (c.end - c.start) for c in project.clips]
    ends += [e.position + (e.end - e.start) for e in project.effects]
    return max(ends, default=0.0)


def length_in_frames(project, fps=None):
    """The frames up to the end of the last clip or effect at ``fps`` (the project's rate by
    default), counted exactly: a float product overflows for times far past any render, and a
    rate given as a big integer ratio cannot become a float."""
    fps = Fraction(fps) if fps else Fraction(project.fps_num, project.fps_den)
    ends = [Fraction(i.position) + Fraction(i.end) - Fraction(i.start)
            for i in list(project.clips) + list(project.effects)]
    return math.floor(max(ends, default=Fraction(0)) * fps + Fraction(1, 10 ** 6))


def _ratio(width, height):
    g = math.gcd(width, height) or 1
    return {"num": width // g, "den": height // g}


def build(project, path_for=None):
    """The project as an OpenShot project dict. ``path_for(file)`` gives each file's local path
    (renders: every reader in clips and effects then points at a local copy of one of the
    project's files); without it each file goes by its storage key, a path relative to the
    media folder that /load/ finds again among the user's own files."""
    files, readers = [], {}
    for f in project.files:
        reader = copy.deepcopy(readable_info(f.json))  # without what libopenshot cannot read
        reader["path"] = path_for(f) if path_for is not None else f.media
        reader["type"] = reader_type(reader)
        reader["id"] = str(f.id)
        reader.setdefault("media_type", "video")
        readers[f.id] = reader
        files.append(reader)
    clips = []
    for c in project.clips:
        data = copy.deepcopy(c.json or {})
        reader = {k: v for k, v in readers.get(c.file_id, {}).items() if k not in ("id", "name")}
        data.update({
            "id": str(c.id), "file_id": str(c.file_id), "layer": c.layer,
            "position": c.position, "start": c.start, "end": c.end,
            "duration": reader.get("duration", data.get("duration", c.end)),
            "reader": reader,
        })
        data.setdefault("effects", [])
        clips.append(data)
    effects = []
    for e in project.effects:
        data = copy.deepcopy(e.json or {})
        data.update({"id": str(e.id), "type": e.type, "class_name": e.type, "layer": e.layer,
                     "position": e.position, "start": e.start, "end": e.end, "title": e.title})
        effects.append(data)
    layer_numbers = sorted({c.layer for c in project.clips} | {e.layer for e in project.effects}
                           | {1, 2, 3, 4, 5})
    if path_for is not None:
        local = {str(f.id): readers[f.id]["path"] for f in project.files}
        for item in clips:
            rewrite_for_render(item, local.get, skip_top_reader=True)
        for item in effects:
            rewrite_for_render(item, local.get)
    return {
        "id": f"P{project.id}",
        "name": project.name,
        "version": dict(OPENSHOT_VERSION),
        "fps": {"num": project.fps_num, "den": project.fps_den},
        "width": project.width,
        "height": project.height,
        "display_ratio": _ratio(project.width, project.height),
        "pixel_ratio": {"num": 1, "den": 1},
        "sample_rate": project.sample_rate,
        "channels": project.channels,
        "channel_layout": project.channel_layout,
        "duration": project_length(project),
        "settings": {},
        "markers": [],
        "history": {"undo": [], "redo": []},
        "profile": f"{project.width}x{project.height} {project.fps_num}/{project.fps_den} fps",
        "layers": [{"id": f"L{n}", "number": n, "y": 0, "label": "", "lock": False}
                   for n in layer_numbers],
        "files": files,
        "clips": clips,
        "effects": effects,
    }


def export_settings(export, project):
    """What the renderer needs for ``export``: the export's own fields, the project's settings,
    and the overrides the client put in ``export.json``."""
    # null overrides nothing (the project's setting stands).
    overrides = {key: value for key, value in (export.json or {}).items() if value is not None}
    fps = overrides.get("fps") or {"num": project.fps_num, "den": project.fps_den}
    return {
        "export_type": export.export_type,
        "video_format": export.video_format,
        "video_codec": export.video_codec,
        "video_bitrate": export.video_bitrate,
        "audio_codec": export.audio_codec,
        "audio_bitrate": export.audio_bitrate,
        "start_frame": export.start_frame,
        "end_frame": export.end_frame,
        "width": overrides.get("width", project.width),
        "height": overrides.get("height", project.height),
        "fps": {"num": int(fps["num"]), "den": int(fps["den"])},
        "sample_rate": overrides.get("sample_rate", project.sample_rate),
        "channels": overrides.get("channels", project.channels),
        "channel_layout": overrides.get("channel_layout", project.channel_layout),
        "wave_color": overrides.get("wave_color", "#00ff00"),
        "wave_background_color": overrides.get("wave_background_color", "#000000"),
        "interlaced": flag(overrides.get("interlaced"), False),
        "top_field_first": flag(overrides.get("top_field_first"), True),
    }


FALSE_WORDS = ("false", "0", "off", "no", "")
TRUE_WORDS = ("true", "1", "on", "yes")


def flag(value, default):
    """A boolean of an export's json as the API reads booleans everywhere (``resources.base.Flag``):
    true/false, numbers, and the words "true"/"false", "yes"/"no", "on"/"off", "1"/"0" in any
    case; ``default`` for null and for anything else (which POST /exports/ refuses)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in FALSE_WORDS:
            return False
        if word in TRUE_WORDS:
            return True
    return default
