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


def pixel_at(path, seconds, x, y):
    """RGB of one pixel of the frame at ``seconds``."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(seconds), "-i", path, "-frames:v", "1",
                          "-vf", f"crop=1:1:{x}:{y}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    return tuple(raw[:3])


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
