"""Reading an export dict (the keys ``Renderer.render`` receives): bit rates, quality values,
colours, formats and codecs, with one readable message per bad field.

``parse_export`` turns a dict into an ``ExportPlan`` or raises ``ExportProblem`` naming the field;
``check_export`` in the renderer is that, returning the message instead of raising.
"""
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from . import ffmpeg_tools, formats

EXPORT_TYPES = ("video", "audio", "image", "image sequence", "waveform")
MAX_SIZE = 8192
QUALITY_RANGES = {"crf": 63, "cqp": 63, "qp": 255}
# ChannelLayout values of libopenshot (the same bit masks as ffmpeg's AV_CH_LAYOUT_*) and the
# number of channels each carries.
LAYOUT_CHANNELS = {4: 1, 3: 2, 11: 3, 259: 3, 7: 3, 15: 4, 263: 4, 271: 5, 1539: 4, 51: 4, 1543: 5,
                   1551: 6, 55: 5, 63: 6, 1799: 6, 1731: 6, 311: 6, 1807: 7, 319: 7, 1739: 7, 1591: 7,
                   1735: 7, 1599: 8, 1743: 8, 255: 8, 1847: 8, 1610612736: 2}


class ExportProblem(ValueError):
    """An export setting that cannot be rendered; the message starts with the field's name."""


@dataclass
class ExportPlan:
    """An export reduced to what the render needs, every value checked."""

    export_type: str
    extension: str            # of the delivered file: mp4, mp3, png, zip ...
    content_type: str
    muxer: Optional[str]      # ffmpeg muxer of a video/audio file
    image_format: Optional[str]  # Qt's name (PNG, JPG ...) for image outputs
    name_pattern: Optional[str]  # image sequence member names, e.g. "%05d.png"
    video_codec: str
    audio_codec: str
    video_bit_rate: int       # bits/s, or the quality value when ``quality`` is set
    quality: Optional[tuple]  # ("crf" | "cqp" | "qp", value)
    audio_bit_rate: int
    start_frame: int
    end_frame: int
    width: int
    height: int
    fps: Fraction
    sample_rate: int
    channels: int
    channel_layout: int
    wave_color: tuple         # (r, g, b, a) 0-255
    wave_background: tuple
    interlaced: bool
    top_field_first: bool
    concat_safe: bool = True

    @property
    def has_video(self) -> bool:
        """True when the output is a video stream (video, or waveform as a video)."""
        return self.muxer is not None and bool(self.video_codec)

    @property
    def has_audio(self) -> bool:
        """True when the output carries sound."""
        return self.muxer is not None and bool(self.audio_codec)


# Most bits per second per channel some encoders accept; above it they refuse to open. The
# spec's examples ask for 1920000 (a video-era default), so asks are lowered to the maximum.
PER_CHANNEL_BIT_RATE_LIMITS = {"libopus": 256000, "opus": 256000, "libvorbis": 240000, "vorbis": 240000}
MP2_BIT_RATES = (32000, 48000, 56000, 64000, 80000, 96000, 112000, 128000, 160000, 192000, 224000,
                 256000, 320000, 384000)


def fit_audio_bit_rate(codec: str, bit_rate: int, channels: int) -> int:
    """``bit_rate`` lowered to what ``codec`` accepts for ``channels`` (0 stays 0: the default)."""
    if not bit_rate:
        return 0
    if codec in PER_CHANNEL_BIT_RATE_LIMITS:
        return min(bit_rate, PER_CHANNEL_BIT_RATE_LIMITS[codec] * channels)
    if codec in ("mp2", "libtwolame"):
        return max([rate for rate in MP2_BIT_RATES if rate <= bit_rate] or [MP2_BIT_RATES[0]])
    if codec == "ac3":
        return min(bit_rate, 640000)
    return bit_rate


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000_000, "mb": 1000_000, "g": 1000_000_000}


def parse_bit_rate(value, field: str) -> int:
    """Bits per second from an int, a numeric string or '192 kb/sec', '8.0 Mb/sec', '8M', '128k'.
    None, '' and 0 mean the encoder's default (0)."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ExportProblem(f"{field}: {value!r} is not a bit rate.")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().lower().replace(" ", "")
        match = re.fullmatch(r"(\d+(?:\.\d+)?(?:e\d+)?)(k|m|g)?(b|bit|bits)?(/s|/sec|ps)?", text)
        if not match:
            raise ExportProblem(f"{field}: {value!r} is not a bit rate (use bits/s such as 8000000, "
                                f"or '8 Mb/sec', '192 kb/sec').")
        number = float(match.group(1)) * _UNITS[match.group(2) or ""]
    if number < 0 or number > 2_000_000_000:
        raise ExportProblem(f"{field}: {value!r} is out of range.")
    return int(number)


def parse_video_bit_rate(value) -> tuple:
    """``(bit_rate, quality)`` from ``video_bitrate``.

    Accepted: bits/s as an int or numeric string (8000000, "8000000", "8 Mb/sec", "8M"); or a
    quality value as {"crf": 23}, "crf 23", "crf:23", "crf=23", "23 crf" (also cqp and qp).
    crf and cqp take 0-63 (x264/x265 clip them to 0-51), qp 0-255. A quality value is returned as
    ``(value, ("crf", value))``, as libopenshot wants it for both its bit rate and its option.
    """
    quality = None
    if isinstance(value, dict):
        keys = [k for k in value if str(k).lower() in QUALITY_RANGES]
        if len(value) != 1 or not keys:
            raise ExportProblem("video_bitrate: a quality object must be one of "
                                "{\"crf\": n}, {\"cqp\": n}, {\"qp\": n}.")
        quality = (keys[0].lower(), value[keys[0]])
    elif isinstance(value, str):
        text = value.strip().lower()
        match = (re.fullmatch(r"(crf|cqp|qp)\s*[:= ]?\s*(\S+)", text)
                 or re.fullmatch(r"(\S+?)\s*(crf|cqp|qp)", text))
        if match:
            mode, number = match.groups() if match.group(1) in QUALITY_RANGES else match.groups()[::-1]
            quality = (mode, number)
    if quality is None:
        bit_rate = parse_bit_rate(value, "video_bitrate")
        if 0 < bit_rate < 1000:
            raise ExportProblem(f"video_bitrate: {value!r} is too low for bits/s; write a quality "
                                f"value as 'crf 23' (or cqp / qp).")
        return bit_rate, None
    mode, number = quality
    try:
        level = int(str(number))
    except ValueError:
        raise ExportProblem(f"video_bitrate: {mode} needs a whole number, not {number!r}.") from None
    if not 0 <= level <= QUALITY_RANGES[mode]:
        raise ExportProblem(f"video_bitrate: {mode} must be between 0 and {QUALITY_RANGES[mode]}.")
    return level, (mode, level)


def _channel(value, field: str) -> int:
    if isinstance(value, dict):  # a libopenshot keyframe: take its first point
        points = value.get("Points") or []
        if not points:
            raise ExportProblem(f"{field}: a colour keyframe needs a point.")
        value = points[0].get("co", {}).get("Y")
    try:
        number = int(round(float(value)))
    except (TypeError, ValueError):
        raise ExportProblem(f"{field}: {value!r} is not a colour value.") from None
    if not 0 <= number <= 255:
        raise ExportProblem(f"{field}: colour values go from 0 to 255.")
    return number


def parse_color(value, field: str) -> tuple:
    """``(r, g, b, a)`` from "#rrggbb", "#rrggbbaa", "#rgb" or {"red", "green", "blue"[, "alpha"]}
    (numbers 0-255 or libopenshot colour keyframes)."""
    if isinstance(value, str):
        text = value.strip().lstrip("#")
        if re.fullmatch(r"[0-9a-fA-F]{3}", text):
            text = "".join(c * 2 for c in text)
        if re.fullmatch(r"[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", text):
            parts = [int(text[i:i + 2], 16) for i in range(0, len(text), 2)]
            return tuple(parts + [255] * (4 - len(parts)))
    elif isinstance(value, dict) and all(k in value for k in ("red", "green", "blue")):
        alpha = value.get("alpha", 255)
        return tuple(_channel(value[k], field) for k in ("red", "green", "blue")) + (_channel(alpha, field),)
    raise ExportProblem(f"{field}: {value!r} is not a colour (use \"#rrggbb\" or "
                        f"{{\"red\": 0-255, \"green\": 0-255, \"blue\": 0-255}}).")


def _int(export: dict, key: str, default=None) -> int:
    value = export.get(key, default)
    if isinstance(value, bool) or value is None:
        raise ExportProblem(f"{key} is required and must be a whole number.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ExportProblem(f"{key}: {value!r} is not a whole number.") from None
    if number != float(value):
        raise ExportProblem(f"{key}: {value!r} is not a whole number.")
    return number


def _fps(export: dict) -> Fraction:
    fps = export.get("fps")
    if not isinstance(fps, dict):
        raise ExportProblem("fps must be {\"num\": n, \"den\": d}.")
    num, den = _int(fps, "num"), _int(fps, "den")
    if num <= 0 or den <= 0:
        raise ExportProblem("fps: num and den must be positive.")
    if not 1 <= num / den <= 240:
        raise ExportProblem("fps must be between 1 and 240 frames per second.")
    return Fraction(num, den)


def _size(export: dict) -> tuple:
    width, height = _int(export, "width"), _int(export, "height")
    for key, value in (("width", width), ("height", height)):
        if value <= 0 or value > MAX_SIZE:
            raise ExportProblem(f"{key} must be between 2 and {MAX_SIZE}, not {value}.")
        if value % 2:
            raise ExportProblem(f"{key} must be an even number, not {value}.")
    return width, height


def _encoder(name: str, kind: str, field: str) -> str:
    known = ffmpeg_tools.encoders()
    if known and known.get(name) != kind:
        what = "video" if kind == "V" else "audio"
        if name in known:
            raise ExportProblem(f"{field}: {name!r} is not a {what} encoder.")
        raise ExportProblem(f"{field}: {name!r} is not a {what} encoder this ffmpeg build has.")
    return name


def _media_format(export: dict, export_type: str, audio_only: bool):
    raw = str(export.get("video_format") or "").strip().lower().lstrip(".")
    if not raw:
        raise ExportProblem("video_format is required (the file extension, e.g. mp4).")
    found = formats.container(raw, audio_only=audio_only)
    if found is None:
        raise ExportProblem(f"video_format: {raw!r} is not a format this renderer writes for "
                            f"{export_type} exports.")
    if audio_only and found.has_video and not found.has_audio:
        raise ExportProblem(f"video_format: {raw!r} cannot hold audio.")
    muxers = ffmpeg_tools.muxers()
    if muxers and found.muxer not in muxers:
        raise ExportProblem(f"video_format: this ffmpeg build cannot write {raw!r} files.")
    return found


def _codecs(export: dict, found: formats.Container, with_video: bool) -> tuple:
    video_codec = audio_codec = ""
    if with_video:
        video_codec = formats.canonical_codec(export.get("video_codec")) or found.video_codec or ""
        if not video_codec:
            raise ExportProblem("video_codec is required for this format.")
        _encoder(video_codec, "V", "video_codec")
        if found.video_codecs and video_codec not in found.video_codecs:
            choices = ", ".join(sorted(found.video_codecs))
            raise ExportProblem(f"video_codec: {video_codec!r} cannot be stored in "
                                f"{found.extension} files (use one of {choices}).")
    if found.has_audio:
        audio_codec = formats.canonical_codec(export.get("audio_codec")) or found.audio_codec or ""
        if audio_codec:
            _encoder(audio_codec, "A", "audio_codec")
            if found.audio_codecs and audio_codec not in found.audio_codecs:
                choices = ", ".join(sorted(found.audio_codecs))
                raise ExportProblem(f"audio_codec: {audio_codec!r} cannot be stored in "
                                    f"{found.extension} files (use one of {choices}).")
        elif not with_video:
            raise ExportProblem("audio_codec is required for audio exports.")
    return video_codec, audio_codec


def _image_pattern(export: dict) -> tuple:
    raw = str(export.get("video_format") or "").strip()
    # [prefix][%0Nd][.]extension; the prefix is kept to letters, digits, - and _ (zip names).
    match = re.fullmatch(r"([\w\-]*?)(%0?\d*d)?\.?([A-Za-z0-9]+)", raw)
    if not match:
        raise ExportProblem(f"video_format: {raw!r} is not an image format (e.g. png or %05d.png).")
    prefix, number, extension = match.group(1), match.group(2) or "%05d", match.group(3).lower()
    if formats.image_format(extension) is None:
        raise ExportProblem(f"video_format: {extension!r} is not an image format this renderer "
                            f"writes (one of {', '.join(formats.IMAGE_FORMATS)}).")
    return extension, f"{prefix}{number}.{extension}"


def parse_export(export: dict) -> ExportPlan:
    """Check ``export`` and return its ``ExportPlan``; raise ExportProblem naming the bad field."""
    if not isinstance(export, dict):
        raise ExportProblem("export settings must be an object.")
    export_type = str(export.get("export_type") or "").strip().lower()
    if export_type not in EXPORT_TYPES:
        raise ExportProblem(f"export_type: {export.get('export_type')!r} is not one of "
                            f"{', '.join(EXPORT_TYPES)}.")
    width, height = _size(export)
    fps = _fps(export)
    sample_rate = _int(export, "sample_rate", 44100)
    if not 8000 <= sample_rate <= 192000:
        raise ExportProblem(f"sample_rate must be between 8000 and 192000, not {sample_rate}.")
    channels = _int(export, "channels", 2)
    if not 1 <= channels <= 8:
        raise ExportProblem(f"channels must be between 1 and 8, not {channels}.")
    layout = _int(export, "channel_layout", 3 if channels == 2 else 4)
    if layout not in LAYOUT_CHANNELS:
        raise ExportProblem(f"channel_layout: {layout} is not a libopenshot channel layout.")
    if LAYOUT_CHANNELS[layout] != channels:
        raise ExportProblem(f"channel_layout {layout} carries {LAYOUT_CHANNELS[layout]} channels, "
                            f"not {channels}.")
    start, end = _int(export, "start_frame", 1), _int(export, "end_frame", None)
    if start < 1:
        raise ExportProblem("start_frame must be 1 or more.")
    if end < start:
        raise ExportProblem(f"end_frame ({end}) is before start_frame ({start}).")
    wave_color = parse_color(export.get("wave_color") or "#00ff00", "wave_color")
    wave_background = parse_color(export.get("wave_background_color") or "#000000",
                                  "wave_background_color")
    video_bit_rate, quality = parse_video_bit_rate(export.get("video_bitrate"))
    audio_bit_rate = parse_bit_rate(export.get("audio_bitrate"), "audio_bitrate")

    muxer = image = pattern = None
    video_codec = audio_codec = ""
    concat_safe = False
    raw_format = str(export.get("video_format") or "").strip().lower().lstrip(".")
    if export_type == "image sequence" or (export_type in ("image", "waveform")
                                          and formats.image_format(re.sub(r".*\.", "", raw_format))):
        extension, pattern = _image_pattern(export)
        image, content_type = formats.image_format(extension)
        if export_type == "image sequence":
            extension, content_type = "zip", "application/zip"
        else:
            pattern = None
    else:
        if export_type == "image":
            _image_pattern(export)  # raises with the image message
        found = _media_format(export, export_type, audio_only=export_type == "audio")
        with_video = export_type != "audio"
        if with_video and not found.has_video:
            raise ExportProblem(f"video_format: {found.extension!r} is an audio format; use "
                                f"export_type \"audio\" or a video format.")
        video_codec, audio_codec = _codecs(export, found, with_video)
        if audio_codec and channels > 2 and audio_codec in ("libmp3lame", "libshine"):
            raise ExportProblem(f"audio_codec: {audio_codec} cannot encode {channels} channels.")
        if audio_codec in ("libopus", "opus") and sample_rate not in (8000, 12000, 16000, 24000, 48000):
            raise ExportProblem(f"audio_codec: {audio_codec} needs a sample_rate of 48000 "
                                f"(or 8000, 12000, 16000, 24000), not {sample_rate}.")
        audio_bit_rate = fit_audio_bit_rate(audio_codec, audio_bit_rate, channels)
        muxer, extension, content_type = found.muxer, found.extension, found.content_type
        concat_safe = found.concat_safe
    return ExportPlan(
        export_type=export_type, extension=extension, content_type=content_type, muxer=muxer,
        image_format=image, name_pattern=pattern, video_codec=video_codec, audio_codec=audio_codec,
        video_bit_rate=video_bit_rate, quality=quality, audio_bit_rate=audio_bit_rate,
        start_frame=start, end_frame=end, width=width, height=height, fps=fps,
        sample_rate=sample_rate, channels=channels, channel_layout=layout,
        wave_color=wave_color, wave_background=wave_background,
        interlaced=bool(export.get("interlaced", False)),
        top_field_first=bool(export.get("top_field_first", True)), concat_safe=concat_safe)
