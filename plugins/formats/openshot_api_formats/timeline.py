"""The project dict reduced to what other editors can take: media files, and per layer the
non-overlapping pieces of clips, in whole frames at the project rate.

Editors' tracks cannot overlap clips, while OpenShot stacks clips of one layer by position (a later
clip is drawn over an earlier one; their sounds mix). Each layer is therefore "flattened": where
clips overlap, the part of the later clip wins and an earlier clip that goes on past it resumes
after it. Video and audio are flattened separately, so a still image laid over a video does not
silence the video's sound.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Optional

from .rates import Rate


@dataclass
class MediaFile:
    """A media file used by the project, with the unique name it has beside the exported document."""

    id: str
    name: str
    path: str
    rate: Rate
    duration: float
    has_video: bool
    has_audio: bool
    channels: int
    sample_rate: int
    width: int
    height: int
    media_type: str


@dataclass
class Piece:
    """A stretch of one clip on a layer: record frames ``[record_in, record_out)`` show source
    frames from ``source_in`` (all at the project rate)."""

    clip_id: str
    name: str
    file: MediaFile
    record_in: int
    record_out: int
    source_in: int

    @property
    def source_out(self) -> int:
        """The source frame just after the piece (exclusive, as record_out)."""
        return self.source_in + self.record_out - self.record_in

    @property
    def duration(self) -> int:
        """Length in frames."""
        return self.record_out - self.record_in


@dataclass
class Layer:
    """One OpenShot layer: its number, label and flattened video and audio pieces."""

    number: int
    label: str
    video: list[Piece] = field(default_factory=list)
    audio: list[Piece] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when no clip lies on the layer."""
        return not self.video and not self.audio


@dataclass
class Timeline:
    """The whole project for the writers: name, rate, size, files and layers (lowest first)."""

    name: str
    rate: Rate
    width: int
    height: int
    sample_rate: int
    channels: int
    files: dict[str, MediaFile]
    layers: list[Layer]

    @property
    def duration(self) -> int:
        """Frames up to the end of the last piece on any layer."""
        ends = [p.record_out for layer in self.layers for p in layer.video + layer.audio]
        return max(ends, default=0)

    def layer(self, number: int) -> Optional[Layer]:
        """The layer numbered ``number``, or None."""
        return next((layer for layer in self.layers if layer.number == number), None)


#: The last frame number the documents write: editors and libopenshot count frames in doubles.
LAST_FRAME = 2 ** 53


def media_file_names(project: dict) -> dict[str, str]:
    """Return ``{file id: name}``: the name under which each project file is referred to by the
    exported documents (and so must be stored beside them in the archive).

    The name is the file's base name with path separators and control characters removed; names
    used twice get ``-2``, ``-3`` ... before the extension, in the order of ``project["files"]``.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for index, file in enumerate(project.get("files") or []):
        raw = file.get("name") or os.path.basename(str(file.get("path") or "").replace("\\", "/"))
        base = _clean_file_name(raw) or f"media-{index + 1}"
        stem, ext = os.path.splitext(base)
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}{ext}"
        taken.add(name.lower())
        names[str(file.get("id"))] = name
    return names


def _clean_file_name(name: str) -> str:
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "", name).strip()
    return "" if name in (".", "..") else name


def build_timeline(project: dict) -> Timeline:
    """Reduce ``project`` (see docs/project-dict.md) to a Timeline.

    Raises ValueError when the project fps is missing or invalid, or when a clip has no file.
    """
    rate = _editor_rate(Rate.from_fps(project.get("fps") or {"num": 30, "den": 1}))
    names = media_file_names(project)
    files: dict[str, MediaFile] = {}
    for file in project.get("files") or []:
        file_id = str(file.get("id"))
        files[file_id] = _media_file(file, names[file_id], rate)

    clips_by_layer: dict[int, list[dict]] = {}
    for clip in project.get("clips") or []:
        clips_by_layer.setdefault(int(clip.get("layer") or 0), []).append(clip)

    labels = {int(layer.get("number", 0)): str(layer.get("label") or "")
              for layer in project.get("layers") or []}
    layers = []
    for number in sorted(set(labels) | set(clips_by_layer)):
        layer = Layer(number=number, label=labels.get(number, ""))
        candidates = []
        for order, clip in enumerate(clips_by_layer.get(number, [])):
            piece = _clip_piece(clip, files, rate)
            if piece is not None:
                candidates.append((order, clip, piece))
        layer.video = _flatten([(o, p) for o, c, p in candidates
                                if p.file.has_video and _switch(c, "has_video")])
        layer.audio = _flatten([(o, p) for o, c, p in candidates
                                if p.file.has_audio and _switch(c, "has_audio")])
        layers.append(layer)

    return Timeline(
        name=str(project.get("name") or project.get("title") or "OpenShot project"),
        rate=rate,
        width=int(project.get("width") or 1920),
        height=int(project.get("height") or 1080),
        sample_rate=int(project.get("sample_rate") or 48000),
        channels=int(project.get("channels") or 2),
        files=files,
        layers=layers,
    )


def _editor_rate(rate: Rate) -> Rate:
    """The rate a document counts frames at: editors' timecode has a whole number of frames per
    second, so a rate below 1 fps (a slide show at 1/2 fps) is written at 1 fps, which still
    places every clip at its time."""
    return rate if rate.num >= rate.den else Rate(1, 1)


def _number(value, default: float, kind=float):
    """A file's probed number, or ``default`` when the file's json holds none that is usable
    (the json is the client's to change): finite, not a bool, at least 0."""
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        return default
    if isinstance(value, bool) or not 0 <= number < float("inf"):
        return default
    return number


def _media_file(file: dict, name: str, project_rate: Rate) -> MediaFile:
    media_type = str(file.get("media_type") or "")
    is_image = media_type == "image" or bool(file.get("has_single_image"))
    try:
        rate = _editor_rate(Rate.from_fps(file["fps"]))
    except (KeyError, ValueError):
        rate = project_rate
    has_audio = bool(file.get("has_audio")) and not is_image
    return MediaFile(
        id=str(file.get("id")),
        name=name,
        path=str(file.get("path") or ""),
        rate=rate,
        duration=_number(file.get("duration"), 0.0),
        has_video=bool(file.get("has_video", True)) or not has_audio,
        has_audio=has_audio,
        channels=(_number(file.get("channels"), 0, int) or 2) if has_audio else 0,
        sample_rate=_number(file.get("sample_rate"), 0, int) or 48000,
        width=_number(file.get("width"), 0, int),
        height=_number(file.get("height"), 0, int),
        media_type=media_type or ("image" if is_image else "video" if file.get("has_video") else "audio"),
    )


def _clip_piece(clip: dict, files: dict[str, MediaFile], rate: Rate) -> Optional[Piece]:
    file_id = str(clip.get("file_id"))
    if file_id not in files:
        raise ValueError(f"clip {clip.get('id')} refers to file {file_id}, which is not in the project")
    file = files[file_id]
    start = float(clip.get("start") or 0.0)
    end = float(clip.get("end") if clip.get("end") is not None else file.duration)
    record_in = rate.frames(float(clip.get("position") or 0.0))
    source_in = rate.frames(start)
    length = rate.frames(end) - source_in
    if max(record_in + length, source_in + length) > LAST_FRAME:
        raise ValueError(f"clip {clip.get('id')} reaches past frame {LAST_FRAME}, further than editors "
                         "(and libopenshot) count frames")
    if record_in < 0:                                 # only the part after 00:00:00:00 is seen
        source_in, length, record_in = source_in - record_in, length + record_in, 0
    if length <= 0:
        return None                                   # an empty clip shows nothing
    # Stills and files probed short still cover the clip: never point past the media's end.
    file.duration = max(file.duration, end)
    # Editors keep a clip name on one line.
    title = re.sub(r"[\x00-\x1f\x7f]+", " ", str(clip.get("title") or "")).strip() or file.name
    return Piece(clip_id=str(clip.get("id")), name=title, file=file,
                 record_in=record_in, record_out=record_in + length, source_in=source_in)


def _switch(clip: dict, key: str) -> bool:
    """False when the clip's has_video/has_audio keyframe turns that stream off (0); -1 = auto."""
    try:
        return clip[key]["Points"][0]["co"]["Y"] != 0
    except (KeyError, IndexError, TypeError):
        return True


def _flatten(ordered: list[tuple[int, Piece]]) -> list[Piece]:
    """Lay the pieces down by position (then by list order); each covers what lies beneath it."""
    result: list[Piece] = []
    for _, top in sorted(ordered, key=lambda item: (item[1].record_in, item[0])):
        kept = []
        for below in result:
            if below.record_out <= top.record_in or below.record_in >= top.record_out:
                kept.append(below)
                continue
            if below.record_in < top.record_in:
                kept.append(_cut(below, below.record_in, top.record_in))
            if below.record_out > top.record_out:
                kept.append(_cut(below, top.record_out, below.record_out))
        kept.append(top)
        result = sorted(kept, key=lambda p: p.record_in)
    return result


def _cut(piece: Piece, record_in: int, record_out: int) -> Piece:
    return Piece(clip_id=piece.clip_id, name=piece.name, file=piece.file, record_in=record_in,
                 record_out=record_out, source_in=piece.source_in + record_in - piece.record_in)
