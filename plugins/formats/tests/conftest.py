"""Fixtures for the format converter tests: tiny media made by ffmpeg, their reader info from
ffprobe (in the shape Renderer.probe gives), project dicts laid out in frames, and read-back
helpers built on OpenTimelineIO's own readers."""
from __future__ import annotations

import json
import subprocess
from fractions import Fraction

import opentimelineio as otio
import pytest

from openshot_api_formats import ProjectFormatConverter

#: Every rate the writers must get right: (name, num, den).
RATES = [("23.976", 24000, 1001), ("24", 24, 1), ("25", 25, 1), ("29.97", 30000, 1001),
         ("30", 30, 1), ("59.94", 60000, 1001), ("60", 60, 1)]


def _ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _reader_info(path) -> dict:
    """Reader info of ``path`` from ffprobe, with the keys libopenshot's readers report."""
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
         str(path)], check=True, capture_output=True, text=True).stdout)
    video = next((s for s in probe["streams"] if s["codec_type"] == "video"), None)
    audio = next((s for s in probe["streams"] if s["codec_type"] == "audio"), None)
    fps = Fraction(video["avg_frame_rate"] if video and video["avg_frame_rate"] != "0/0" else "30")
    is_image = bool(video) and video["codec_name"] in ("png", "mjpeg") and not audio
    return {
        "path": str(path), "name": path.name, "type": "FFmpegReader",
        "has_video": bool(video), "has_audio": bool(audio), "has_single_image": is_image,
        "media_type": "image" if is_image else "video" if video else "audio",
        "duration": 0.0 if is_image else float(probe["format"]["duration"]),
        "fps": {"num": fps.numerator, "den": fps.denominator},
        "width": int(video["width"]) if video else 0, "height": int(video["height"]) if video else 0,
        "channels": int(audio["channels"]) if audio else 0,
        "sample_rate": int(audio["sample_rate"]) if audio else 0,
        "vcodec": video["codec_name"] if video else "", "acodec": audio["codec_name"] if audio else "",
    }


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    """Real files and their reader info: ``{"video": ..., "image": ..., "music": ...}``; the
    video (3 s, 25 fps, stereo) and image have names an editor must cope with."""
    folder = tmp_path_factory.mktemp("formats-media")
    video = folder / "interview & take#1.mp4"
    image = folder / "logo é.png"
    music = folder / "music.wav"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-f", "lavfi",
            "-i", "sine=frequency=440:sample_rate=44100", "-ac", "2", "-t", "3",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(video))
    _ffmpeg("-f", "lavfi", "-i", "color=blue:size=160x120", "-frames:v", "1", str(image))
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000", "-t", "4", str(music))
    return {key: _reader_info(path) for key, path in
            (("video", video), ("image", image), ("music", music))}


class ProjectBuilder:
    """Builds a project dict whose clip times are given in frames of the project rate."""

    def __init__(self, media: dict, num: int, den: int):
        self.num, self.den = num, den
        self.files = []
        self.clips = []
        self.file_ids = {}
        for index, (key, info) in enumerate(sorted(media.items()), start=1):
            file = dict(info, id=str(index))
            self.files.append(file)
            self.file_ids[key] = file["id"]

    def seconds(self, frames: int) -> float:
        """Seconds of ``frames`` frames at the project rate."""
        return frames * self.den / self.num

    def clip(self, media_key: str, layer: int, position: int, start: int, end: int,
             title: str = None, **extra) -> dict:
        """Add a clip; ``position``/``start``/``end`` are frame counts."""
        clip = {"id": str(100 + len(self.clips)), "file_id": self.file_ids[media_key],
                "layer": layer, "position": self.seconds(position), "start": self.seconds(start),
                "end": self.seconds(end), **extra}
        if title is not None:
            clip["title"] = title
        self.clips.append(clip)
        return clip

    def project(self, layers=(1, 2, 3), name="Cut #1 <final>") -> dict:
        """The project dict (docs/project-dict.md)."""
        return {"id": "7", "name": name, "fps": {"num": self.num, "den": self.den},
                "width": 640, "height": 360, "sample_rate": 48000, "channels": 2,
                "layers": [{"id": f"L{n}", "number": n, "label": ""} for n in layers],
                "files": self.files, "clips": self.clips, "effects": []}


@pytest.fixture(params=RATES, ids=[name for name, _, _ in RATES])
def rate(request):
    """Each project rate in turn: ``(name, num, den)``."""
    return request.param


@pytest.fixture
def builder(media):
    """``builder(num, den)`` -> a ProjectBuilder at that rate."""
    return lambda num, den: ProjectBuilder(media, num, den)


#: Titles of the standard project's clips (the second clip has none: its file name is used).
INTERVIEW = 'Interview <A> & "B"'
LOGO = "Logo «é» / line 2"
MUSIC = "Music ♪"


@pytest.fixture
def standard(builder, rate):
    """The standard project at ``rate`` and the clips expected on each layer.

    Layer 1: two pieces of the stereo video with a gap between them, the second past the
    first minute (so drop-frame timecode matters); layer 2: the still image; layer 3: the mono
    music. Returns ``(project, rate, {layer: [(name, record in, source in, duration)]})``.
    """
    _, num, den = rate
    b = builder(num, den)
    b.clip("video", 1, position=12, start=6, end=48, title=INTERVIEW)
    b.clip("video", 1, position=1850, start=24, end=60)
    b.clip("image", 2, position=30, start=0, end=40, title=LOGO.replace(" / ", "\n"))
    b.clip("music", 3, position=0, start=12, end=72, title=MUSIC)
    video_name = "interview & take#1.mp4"
    expected = {1: [(INTERVIEW, 12, 6, 42), (video_name, 1850, 24, 36)],
                2: [(LOGO.replace(" / ", " "), 30, 0, 40)],
                3: [(MUSIC, 0, 12, 60)]}
    return b.project(), num / den, expected


@pytest.fixture
def converter():
    """The backend, built as the core builds it."""
    return ProjectFormatConverter.from_settings({})


def record_in(clip) -> int:
    """The frame at which ``clip`` starts on its track's record timeline (EDL tracks read back
    with a negative source_range start when the first event does not start at 00:00:00:00)."""
    track = clip.parent()
    offset = -track.source_range.start_time.value if track.source_range else 0
    return round(clip.range_in_parent().start_time.value + offset)


def clip_rows(track) -> list[tuple]:
    """``(name, record in, source in, duration)`` of each clip on ``track``, in frames."""
    return [(c.name, record_in(c), round(c.source_range.start_time.value),
             round(c.source_range.duration.value)) for c in track.find_clips()]


def read_back(data: bytes, adapter: str, rate: float = None):
    """Read ``data`` with the OpenTimelineIO adapter ``adapter``; return the one timeline."""
    kwargs = {"rate": rate} if adapter == "cmx_3600" else {}
    result = otio.adapters.read_from_string(data.decode("utf-8"), adapter, **kwargs)
    if isinstance(result, otio.schema.SerializableCollection):
        (result,) = list(result)
    return result


@pytest.fixture
def helpers():
    """The read-back helpers: ``read_back``, ``clip_rows``, ``record_in``."""
    class Helpers:
        pass
    h = Helpers()
    h.read_back, h.clip_rows, h.record_in = read_back, clip_rows, record_in
    return h
