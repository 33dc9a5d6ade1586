"""What each output format is: its ffmpeg muxer, MIME type, default codecs and the codecs it can
hold. Pure data plus small lookups; no ffmpeg or libopenshot here."""
from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Container:
    """An output file format chosen by its extension (``video_format``)."""

    extension: str
    muxer: str
    content_type: str
    video_codec: Optional[str] = None      # default when the export names none
    audio_codec: Optional[str] = None
    has_video: bool = True
    has_audio: bool = True
    # When set, only these encoders are accepted (the muxer rejects the rest).
    video_codecs: frozenset = field(default_factory=frozenset)
    audio_codecs: frozenset = field(default_factory=frozenset)
    # Parallel segments are joined with ffmpeg's concat demuxer and a stream copy.
    concat_safe: bool = True


_VP = frozenset({"libvpx", "libvpx-vp9", "libaom-av1", "libsvtav1", "librav1e"})
_OGG_AUDIO = frozenset({"libvorbis", "vorbis", "libopus", "opus", "flac", "libspeex"})
_NOT_PCM_MP4 = frozenset({"aac", "libfdk_aac", "alac", "ac3", "eac3", "libmp3lame", "mp3",
                          "libopus", "opus", "flac", "libvorbis", "mp2", "libtwolame"})

VIDEO_CONTAINERS = {c.extension: c for c in (
    Container("mp4", "mp4", "video/mp4", "libx264", "aac", audio_codecs=_NOT_PCM_MP4),
    Container("m4v", "ipod", "video/x-m4v", "libx264", "aac", audio_codecs=frozenset({"aac", "alac", "ac3"})),
    Container("mov", "mov", "video/quicktime", "libx264", "aac"),
    Container("mkv", "matroska", "video/x-matroska", "libx264", "aac"),
    Container("webm", "webm", "video/webm", "libvpx-vp9", "libopus", video_codecs=_VP,
              audio_codecs=frozenset({"libvorbis", "vorbis", "libopus", "opus"})),
    Container("avi", "avi", "video/x-msvideo", "mpeg4", "libmp3lame"),
    Container("ogv", "ogg", "video/ogg", "libtheora", "libvorbis",
              video_codecs=frozenset({"libtheora"}), audio_codecs=_OGG_AUDIO),
    Container("flv", "flv", "video/x-flv", "libx264", "aac"),
    Container("mpg", "mpeg", "video/mpeg", "mpeg2video", "mp2"),
    Container("mpeg", "mpeg", "video/mpeg", "mpeg2video", "mp2"),
    Container("ts", "mpegts", "video/mp2t", "libx264", "aac"),
    Container("wmv", "asf", "video/x-ms-wmv", "wmv2", "wmav2"),
    Container("3gp", "3gp", "video/3gpp", "libx264", "aac"),
    Container("mxf", "mxf", "application/mxf", "mpeg2video", "pcm_s16le"),
    Container("nut", "nut", "video/x-nut", "libx264", "aac"),
    # An animated GIF has no sound; an audio codec on a GIF export is ignored.
    Container("gif", "gif", "image/gif", "gif", None, has_audio=False,
              video_codecs=frozenset({"gif"}), concat_safe=False),
)}

AUDIO_CONTAINERS = {c.extension: c for c in (
    Container("mp3", "mp3", "audio/mpeg", None, "libmp3lame", has_video=False,
              audio_codecs=frozenset({"libmp3lame", "libshine", "mp3"})),
    Container("wav", "wav", "audio/wav", None, "pcm_s16le", has_video=False),
    Container("ogg", "ogg", "audio/ogg", None, "libvorbis", has_video=False, audio_codecs=_OGG_AUDIO),
    Container("oga", "ogg", "audio/ogg", None, "libvorbis", has_video=False, audio_codecs=_OGG_AUDIO),
    Container("opus", "opus", "audio/ogg", None, "libopus", has_video=False,
              audio_codecs=frozenset({"libopus", "opus"})),
    Container("m4a", "ipod", "audio/mp4", None, "aac", has_video=False,
              audio_codecs=frozenset({"aac", "alac", "libfdk_aac"})),
    Container("aac", "adts", "audio/aac", None, "aac", has_video=False,
              audio_codecs=frozenset({"aac", "libfdk_aac"})),
    Container("ac3", "ac3", "audio/ac3", None, "ac3", has_video=False,
              audio_codecs=frozenset({"ac3", "ac3_fixed"})),
    Container("eac3", "eac3", "audio/eac3", None, "eac3", has_video=False,
              audio_codecs=frozenset({"eac3"})),
    Container("flac", "flac", "audio/flac", None, "flac", has_video=False,
              audio_codecs=frozenset({"flac"})),
    Container("mka", "matroska", "audio/x-matroska", None, "flac", has_video=False),
    Container("aiff", "aiff", "audio/aiff", None, "pcm_s16be", has_video=False),
    Container("wma", "asf", "audio/x-ms-wma", None, "wmav2", has_video=False),
)}

# Still images written by Qt (QImage::save) through libopenshot's Frame; these are the formats the
# Qt build libopenshot links against can write without extra image plugins.
IMAGE_FORMATS = {
    "png": ("PNG", "image/png"),
    "jpg": ("JPG", "image/jpeg"),
    "jpeg": ("JPEG", "image/jpeg"),
    "bmp": ("BMP", "image/bmp"),
    "ppm": ("PPM", "image/x-portable-pixmap"),
    "xbm": ("XBM", "image/x-xbitmap"),
    "xpm": ("XPM", "image/x-xpixmap"),
}

# Friendly names clients use for codecs, mapped to the encoder ffmpeg knows.
CODEC_ALIASES = {
    "h264": "libx264", "h.264": "libx264", "avc": "libx264", "x264": "libx264",
    "h265": "libx265", "h.265": "libx265", "hevc": "libx265", "x265": "libx265",
    "vp8": "libvpx", "vp9": "libvpx-vp9", "av1": "libaom-av1", "theora": "libtheora",
    "mp4video": "mpeg4", "xvid": "libxvid",
    "mp3": "libmp3lame", "vorbis": "libvorbis", "opus": "libopus",
}

# Audio encoders libopenshot 0.2.7's FFmpegWriter writes correctly with the FFmpeg 5 it is built
# against (checked by encoding and decoding back). Others (pcm_*, flac, libopus, libvorbis,
# libmp3lame, mp2 ...) come out empty, cut short or with broken timestamps, so their samples are
# taken from libopenshot's mixed frames and encoded by ffmpeg instead.
WRITER_AUDIO_CODECS = frozenset({"aac", "ac3", "eac3"})


def image_format(extension: str):
    """Return ``(qt_format, content_type)`` for an image extension, or None."""
    return IMAGE_FORMATS.get(extension.lower().lstrip("."))


def container(extension: str, audio_only: bool = False) -> Optional[Container]:
    """The container for ``extension``; audio exports look in the audio table first."""
    ext = extension.lower().lstrip(".")
    tables = (AUDIO_CONTAINERS, VIDEO_CONTAINERS) if audio_only else (VIDEO_CONTAINERS, AUDIO_CONTAINERS)
    for table in tables:
        if ext in table:
            return table[ext]
    return None


def canonical_codec(name: Optional[str]) -> str:
    """The ffmpeg encoder name for a codec as a client may write it ('' when none)."""
    if not name:
        return ""
    name = str(name).strip()
    return CODEC_ALIASES.get(name.lower(), name)
