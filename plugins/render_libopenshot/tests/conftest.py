"""Real media made by ffmpeg once per session, a renderer, and helpers that measure outputs
(streams with ffprobe, pixels and audio levels decoded by ffmpeg)."""
import json
import re
import subprocess

import pytest

from openshot_api_render_libopenshot import LibopenshotRenderer

FPS = 30
WIDTH, HEIGHT = 320, 240
FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    """Two-second test files: red.mp4 (red, loud 440 Hz tone), blue.mp4 (blue, 880 Hz tone),
    white.mp4 (white, silent, no audio stream), tone.mp3 (audio only), still.png (green),
    title.svg (magenta), broken.mp4 (not media)."""
    folder = tmp_path_factory.mktemp("render-media")
    paths = {name: str(folder / name) for name in
             ("red.mp4", "blue.mp4", "white.mp4", "tone.mp3", "still.png", "title.svg", "broken.mp4")}
    for name, colour, tone in (("red.mp4", "red", 440), ("blue.mp4", "blue", 880)):
        subprocess.run(FF + ["-f", "lavfi", "-i", f"color=c={colour}:s={WIDTH}x{HEIGHT}:r={FPS}:d=2",
                             "-f", "lavfi", "-i", f"sine=f={tone}:r=48000:d=2", "-af", "volume=6"]
                       + H264 + ["-c:a", "aac", "-ac", "2", "-shortest", paths[name]], check=True)
    subprocess.run(FF + ["-f", "lavfi", "-i", f"color=c=white:s={WIDTH}x{HEIGHT}:r={FPS}:d=2"]
                   + H264 + [paths["white.mp4"]], check=True)
    subprocess.run(FF + ["-f", "lavfi", "-i", "sine=f=330:r=44100:d=2", "-c:a", "libmp3lame",
                         paths["tone.mp3"]], check=True)
    subprocess.run(FF + ["-f", "lavfi", "-i", "color=c=0x00ff00:s=64x48", "-frames:v", "1",
                         paths["still.png"]], check=True)
    with open(paths["title.svg"], "w") as svg:
        svg.write('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
                  '<rect width="200" height="100" fill="#ff00ff"/></svg>')
    with open(paths["broken.mp4"], "wb") as junk:
        junk.write(b"this is not a video at all\n" * 100)
    return paths


@pytest.fixture(scope="session")
def renderer():
    """A renderer that splits renders of 40+ frames into two parallel segments."""
    return LibopenshotRenderer(threads=2, segments=2, segment_frames=20)


@pytest.fixture(scope="session")
def single_renderer():
    """A renderer that never splits a render (one child, libopenshot's writer for aac)."""
    return LibopenshotRenderer(threads=2, segments=1)


@pytest.fixture(scope="session")
def probed(renderer, media):
    """Reader info of each test file, probed once."""
    cache = {}

    def probe(name):
        if name not in cache:
            cache[name] = renderer.probe(media[name])
        return cache[name]
    return probe


@pytest.fixture
def clip(renderer, probed):
    """``clip(name, id, layer, **json)``: libopenshot's default clip of a test file, 0-2 s."""
    def make(name, clip_id, layer, **changes):
        data = renderer.clip_defaults(probed(name))
        data.update(id=str(clip_id), layer=layer, position=0.0, start=0.0, end=2.0, title=name)
        data.update(changes)
        return data
    return make


@pytest.fixture
def project():
    """``project(*clips, effects=[], files=[])``: a 320x240 30 fps 48 kHz stereo project dict
    whose ``files`` are the clips' media plus ``files`` (paths), as the core lists them."""
    def make(*clips, effects=(), files=()):
        paths = list(dict.fromkeys([c["reader"]["path"] for c in clips] + list(files)))
        return {"fps": {"num": FPS, "den": 1}, "width": WIDTH, "height": HEIGHT, "sample_rate": 48000,
                "channels": 2, "channel_layout": 3, "duration": 2.0, "clips": list(clips),
                "effects": list(effects), "files": [{"id": str(n), "path": p} for n, p in enumerate(paths)]}
    return make


@pytest.fixture
def export():
    """``export(**changes)``: an mp4 export of frames 1-60 at the project's settings."""
    def make(**changes):
        data = {"export_type": "video", "video_format": "mp4", "video_codec": "libx264",
                "video_bitrate": "crf 18", "audio_codec": "aac", "audio_bitrate": 128000,
                "start_frame": 1, "end_frame": 60, "width": WIDTH, "height": HEIGHT,
                "fps": {"num": FPS, "den": 1}, "sample_rate": 48000, "channels": 2,
                "channel_layout": 3, "wave_color": "#00ff00", "wave_background_color": "#000000",
                "interlaced": False, "top_field_first": True}
        data.update(changes)
        return data
    return make


def _streams(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                          "stream=codec_type,codec_name,width,height,nb_read_frames,sample_rate,channels,duration:"
                          "format=format_name,duration", "-of", "json", path],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.fixture
def streams():
    """``streams(path)``: ffprobe's streams (frames counted by decoding) and format."""
    return _streams


def _pixel(path, frame_index=0, x=None, y=None):
    video = [s for s in _streams(path)["streams"] if s["codec_type"] == "video"][0]
    width, height = video["width"], video["height"]
    x = width // 2 if x is None else x
    y = height // 2 if y is None else y
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", f"select=eq(n\\,{frame_index})",
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    offset = (y * width + x) * 3
    return tuple(raw[offset:offset + 3])


@pytest.fixture
def pixel():
    """``pixel(path, frame_index=0, x=centre, y=centre)``: the (r, g, b) ffmpeg decodes there."""
    return _pixel


def _rgb_frame(path):
    return subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-frames:v", "1", "-f", "rawvideo",
                           "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout


@pytest.fixture
def rgb_frame():
    """``rgb_frame(path)``: the first picture of ``path`` as packed rgb24 bytes."""
    return _rgb_frame


def _audio_levels(path):
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-i", path, "-map", "0:a:0", "-af",
                          "volumedetect", "-f", "null", "-"], capture_output=True, text=True).stderr
    mean = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", err)
    peak = re.search(r"max_volume: (-?[\d.]+|-inf) dB", err)
    assert mean and peak, err
    return float(mean.group(1)), float(peak.group(1))


@pytest.fixture
def audio_levels():
    """``audio_levels(path)``: (mean, peak) loudness in dBFS of the first audio stream."""
    return _audio_levels


@pytest.fixture
def no_cancel():
    return lambda: False
