"""Measurements of rendered media with ffprobe/ffmpeg: streams, durations, pixels, loudness."""
import json
import re
import subprocess


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-count_frames",
                          "-of", "json", path], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def stream(info, kind):
    return next((s for s in info["streams"] if s["codec_type"] == kind), None)


def frame_at(path, seconds):
    """(width, height, rgb24 bytes) of the frame shown at ``seconds``."""
    size = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=width,height", "-of", "csv=p=0", path],
                          check=True, capture_output=True, text=True).stdout.strip().split(",")
    width, height = int(size[0]), int(size[1])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(seconds), "-i", path, "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    return width, height, raw


def pixel_at(path, seconds, x, y):
    """RGB of one pixel of the frame at ``seconds``."""
    width, _height, raw = frame_at(path, seconds)
    offset = (y * width + x) * 3
    return tuple(raw[offset:offset + 3])


def mean_volume(path, start=0.0, duration=None):
    """ffmpeg volumedetect's mean volume in dB (-91 for digital silence)."""
    args = ["ffmpeg", "-v", "info", "-ss", str(start), "-i", path]
    if duration:
        args += ["-t", str(duration)]
    err = subprocess.run(args + ["-af", "volumedetect", "-vn", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    match = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", err)
    return float(match.group(1)) if match and match.group(1) != "-inf" else -200.0


def close(color, expected, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected))
