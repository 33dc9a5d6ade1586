"""The ffmpeg command line, used only where libopenshot 0.2.7 cannot do the job: listing what this
ffmpeg build can encode and mux, joining parallel segments, encoding audio its writer mangles,
and drawing the picture of a whole waveform."""
import functools
import re
import subprocess
from typing import Optional

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"


@functools.lru_cache(maxsize=1)
def _listing(flag: str) -> str:
    try:
        done = subprocess.run([FFMPEG, "-hide_banner", flag], capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout


@functools.lru_cache(maxsize=1)
def encoders() -> dict:
    """``{encoder_name: "V" | "A" | "S"}`` for every encoder of this ffmpeg build (cached)."""
    found = {}
    for line in _listing("-encoders").splitlines():
        match = re.match(r"^\s([VAS])[\w.]{5}\s+(\S+)\s", line)
        if match and match.group(2) != "=":
            found[match.group(2)] = match.group(1)
    return found


@functools.lru_cache(maxsize=1)
def muxers() -> frozenset:
    """Names of every muxer of this ffmpeg build (cached)."""
    found = set()
    for line in _listing("-muxers").splitlines():
        match = re.match(r"^\s[D ]?E\s+(\S+)\s", line)
        if match and match.group(1) != "=":
            found.update(match.group(1).split(","))
    return frozenset(found)


def base_command() -> list:
    """The start of every ffmpeg call: quiet, never waiting for a key, overwriting."""
    return [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]


def raw_audio_input(path: str, sample_rate: int, channels: int) -> list:
    """Input arguments for the interleaved float samples written by the render child."""
    return ["-f", "f32le", "-ar", str(sample_rate), "-ac", str(channels), "-i", path]


def audio_output_args(codec: str, bit_rate: int, sample_rate: int, channels: int) -> list:
    """Output arguments that encode audio like libopenshot's writer would have been told to."""
    args = ["-c:a", codec, "-ar", str(sample_rate), "-ac", str(channels)]
    if bit_rate and not codec.startswith("pcm_") and codec not in ("flac", "alac"):
        args += ["-b:a", str(bit_rate)]
    if codec in ("opus", "vorbis"):
        args += ["-strict", "experimental"]
    return args


def concat_list(paths: list, list_path: str) -> str:
    """Write an ffmpeg concat-demuxer list of ``paths``; return ``list_path``."""
    with open(list_path, "w", encoding="utf-8") as out:
        for path in paths:
            escaped = path.replace("'", "'\\''")
            out.write(f"file '{escaped}'\n")
    return list_path


def mux_command(video_paths: list, list_path: str, raw_audio: Optional[str], audio: Optional[dict],
                muxer: str, output: str) -> list:
    """ffmpeg arguments that copy the rendered video (one file or segments joined in order) and,
    when ``raw_audio`` is given, encode those samples as ``audio`` (codec, bit_rate, sample_rate,
    channels) into ``output`` written with ``muxer``."""
    cmd = base_command()
    if video_paths:
        if len(video_paths) == 1:
            cmd += ["-i", video_paths[0]]
        else:
            cmd += ["-f", "concat", "-safe", "0", "-i", concat_list(video_paths, list_path)]
    if raw_audio:
        cmd += raw_audio_input(raw_audio, audio["sample_rate"], audio["channels"])
    if video_paths:
        cmd += ["-map", "0:v:0", "-c:v", "copy"]
    if raw_audio:
        cmd += ["-map", f"{1 if video_paths else 0}:a:0"]
        cmd += audio_output_args(audio["codec"], audio["bit_rate"], audio["sample_rate"], audio["channels"])
    if muxer in ("mp4", "mov", "ipod", "3gp"):
        cmd += ["-movflags", "+faststart"]
    return cmd + ["-f", muxer, output]


def color_arg(rgba) -> str:
    """An ffmpeg colour (``0xRRGGBB@alpha``) from an ``(r, g, b, a)`` tuple of 0-255 values."""
    r, g, b, a = rgba
    return f"0x{r:02x}{g:02x}{b:02x}@{a / 255:.3f}"


def waveform_image_command(raw_audio: str, sample_rate: int, channels: int, width: int, height: int,
                           wave_rgba, background_rgba, output: str, codec: str) -> list:
    """ffmpeg arguments drawing the whole of ``raw_audio`` as one waveform picture: channels mixed
    to one, every column scaled to the loudest sample, ``wave_rgba`` over ``background_rgba``."""
    graph = (f"[0:a]aformat=channel_layouts=mono,showwavespic=s={width}x{height}:"
             f"colors={color_arg(wave_rgba)}:scale=lin[wave];"
             f"color=c={color_arg(background_rgba)}:s={width}x{height},format=rgba[bg];"
             f"[bg][wave]overlay=format=auto,format=rgba[out]")
    cmd = base_command() + raw_audio_input(raw_audio, sample_rate, channels)
    cmd += ["-filter_complex", graph, "-map", "[out]", "-frames:v", "1", "-c:v", codec]
    if codec == "mjpeg":
        cmd += ["-pix_fmt", "yuvj444p", "-q:v", "2"]
    return cmd + ["-f", "image2", "-update", "1", output]


def attached_picture(path: str) -> bool:
    """True when the only video in ``path`` is cover art (an attached picture), as in MP3s."""
    try:
        done = subprocess.run(
            [FFPROBE, "-v", "error", "-select_streams", "v", "-show_entries",
             "stream_disposition=attached_pic", "-of", "csv=p=0", path],
            capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    flags = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    return bool(flags) and all(flag == "1" for flag in flags)
