"""Everything that calls libopenshot. Imported only inside the render child (see child.py)."""
import array
import ctypes
import json
import os
import time
import zipfile

import openshot

from . import ffmpeg_tools
from .qt import ensure_gui_application

# Extensions of still pictures, read by an image reader first as OpenShot itself does; an
# FFmpegReader reports them as zero-length videos.
STILL_EXTENSIONS = {"png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp", "svg", "svgz", "ppm", "pgm",
                    "pbm", "xpm", "xbm", "ico", "tga"}
COVER_ART_CODECS = {"mjpeg", "png", "bmp", "gif", "tiff", "webp"}
PROGRESS_EVERY = 0.2  # seconds between progress messages


class Cancelled(Exception):
    """The parent asked the child to stop."""


def warm_up() -> None:
    """What every job needs, done before the job is known: libopenshot's logger (its first use
    sleeps 250 ms) and the QGuiApplication."""
    openshot.ZmqLogger.Instance()
    ensure_gui_application()


def setup(settings: dict) -> None:
    """Thread counts for libopenshot and its ffmpeg codecs; its debug socket moved off the network.

    libopenshot 0.2.7 binds a ZeroMQ publisher on tcp://*:5556 the first time it logs; outside
    the sandbox it is re-bound to an in-process address at once so the child listens on no port.
    In the sandbox (``private_network``) the port is in the child's own network namespace, which
    nothing can reach, and each bind costs libopenshot a 250 ms sleep: it is left alone.
    """
    threads = max(1, int(settings.get("threads") or os.cpu_count() or 2))
    config = openshot.Settings.Instance()
    config.OMP_THREADS = threads
    config.FF_THREADS = threads
    config.HIGH_QUALITY_SCALING = False
    if not settings.get("private_network"):
        openshot.ZmqLogger.Instance().Connection("inproc://openshot-api-render")
    # SVG titles and the Caption effect draw text, which needs a QGuiApplication.
    ensure_gui_application()


def _reader_info(reader) -> dict:
    reader.Open()
    try:
        return json.loads(reader.Json())
    finally:
        reader.Close()


def _is_still(info: dict) -> bool:
    frames = int(info.get("video_length") or 0)
    return bool(info.get("has_video")) and not info.get("has_audio") and frames <= 1


def probe(path: str) -> dict:
    """Reader info of ``path`` as libopenshot's reader json, plus ``media_type`` (video, audio,
    image), the real ``file_size`` and ``path``."""
    if not os.path.isfile(path):
        raise ValueError(f"{os.path.basename(path)} does not exist")
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    # Only the readers user json may name (openshot_api.readers.READER_TYPES): ImageMagick's
    # ImageReader parses far more formats than a still picture needs.
    image_readers = [openshot.QtImageReader]
    order = image_readers + [openshot.FFmpegReader] if ext in STILL_EXTENSIONS \
        else [openshot.FFmpegReader] + image_readers
    info, errors = None, []
    for reader_class in order:
        try:
            found = _reader_info(reader_class(path))
        except Exception as exc:  # libopenshot raises RuntimeError subclasses with a message
            errors.append(str(exc).strip() or type(exc).__name__)
            continue
        if reader_class is openshot.FFmpegReader and _is_still(found) and info is None:
            info = found  # keep it, but an image reader describes a still picture better
            continue
        info = found
        break
    if info is None or not (info.get("has_video") or info.get("has_audio")):
        reason = errors[0] if errors else "no audio or video found"
        raise ValueError(f"cannot read {os.path.basename(path)} as media: {reason}")
    if info.get("has_single_image"):
        media_type = "image"
    elif info.get("has_video") and not (
            info.get("has_audio") and info.get("vcodec") in COVER_ART_CODECS
            and ffmpeg_tools.attached_picture(path)):
        media_type = "video"
    else:
        media_type = "audio"
    info["media_type"] = media_type
    info["file_size"] = str(os.path.getsize(path))
    info["path"] = path
    if not isinstance(info.get("metadata"), dict):
        info["metadata"] = {}
    return info


def check_readers(timeline: dict) -> None:
    """Open every clip's media once, so an unreadable file fails the render with its name instead
    of rendering black (the timeline ignores readers that fail to open)."""
    seen = set()
    for clip in timeline.get("clips") or []:
        reader = clip.get("reader") or {}
        key = (reader.get("type"), reader.get("path"))
        if key in seen:
            continue
        seen.add(key)
        reader_class = getattr(openshot, str(reader.get("type")), None)
        if reader_class not in (openshot.FFmpegReader, openshot.QtImageReader):
            raise ValueError(f"clip {clip.get('id')}: unknown reader type {reader.get('type')!r}")
        try:
            _reader_info(reader_class(reader["path"]))
        except Exception as exc:
            raise ValueError(f"cannot read {os.path.basename(reader['path'])}: "
                             f"{str(exc).strip() or type(exc).__name__}") from None


class TimelineSession:
    """An open ``openshot.Timeline`` built from timeline json; close() releases it in the order
    libopenshot needs (timeline before the cache it was given)."""

    def __init__(self, data: dict, cache_mb=None, background=None, preview=None):
        fps = openshot.Fraction(int(data["fps"]["num"]), int(data["fps"]["den"]))
        self.cache = None
        self.timeline = openshot.Timeline(int(data["width"]), int(data["height"]), fps,
                                          int(data["sample_rate"]), int(data["channels"]),
                                          int(data["channel_layout"]))
        if cache_mb:
            self.cache = openshot.CacheMemory(int(float(cache_mb) * 1024 * 1024))
            self.timeline.SetCache(self.cache)
        self.timeline.SetJson(json.dumps(data))
        if background is not None:
            color = json.loads(openshot.Color("#%02x%02x%02x" % tuple(background[:3])).Json())
            self.timeline.ApplyJsonDiff(json.dumps([{"type": "update", "key": ["color"], "value": color}]))
        if preview:
            self.timeline.SetMaxSize(int(preview[0]), int(preview[1]))
        self.timeline.Open()

    def frame(self, number: int):
        """The composed frame ``number`` (1 is the first)."""
        return self.timeline.GetFrame(number)

    def close(self) -> None:
        """Close the timeline and drop it before its cache."""
        if self.timeline is not None:
            self.timeline.Close()
            self.timeline = None
        self.cache = None


def _open_writer(spec: dict, data: dict):
    writer = openshot.FFmpegWriter(spec["path"])
    fps = openshot.Fraction(int(data["fps"]["num"]), int(data["fps"]["den"]))
    video, audio = spec.get("video"), spec.get("audio")
    if video:
        writer.SetVideoOptions(True, video["codec"], fps, int(data["width"]), int(data["height"]),
                               openshot.Fraction(1, 1), bool(video.get("interlaced")),
                               bool(video.get("top_field_first", True)), int(video["bit_rate"]))
    if audio:
        writer.SetAudioOptions(True, audio["codec"], int(data["sample_rate"]), int(data["channels"]),
                               int(data["channel_layout"]), int(audio.get("bit_rate") or 0))
    writer.PrepareStreams()
    if video and video.get("quality"):
        mode, value = video["quality"]
        if mode == "qp" and video["codec"] not in ("libx265", "libaom-av1", "libsvtav1", "librav1e"):
            mode = "cqp"  # libopenshot honours "qp" only for HEVC and AV1; cqp is the same control
        writer.SetOption(openshot.VIDEO_STREAM, mode, str(int(value)))
    if video and video.get("interlaced"):
        # libopenshot records the field order only while setting an option, and never tells
        # the encoder; x264 is told through its own parameters, other encoders only get the
        # field order marked (re-setting libopenshot's own GOP of 12 frames).
        field = "tff" if video.get("top_field_first", True) else "bff"
        if video["codec"] == "libx264":
            writer.SetOption(openshot.VIDEO_STREAM, "x264-params", f"interlaced=1:{field}=1")
        else:
            writer.SetOption(openshot.VIDEO_STREAM, "g", "12")
    if video and spec.get("faststart"):
        writer.SetOption(openshot.VIDEO_STREAM, "muxing_preset", "mp4_faststart")
    writer.Open()
    return writer


def _write_samples(frame, out, channels: int) -> None:
    """Append the frame's mixed audio to ``out`` as interleaved 32-bit floats."""
    count = frame.GetAudioSamplesCount()
    if count <= 0:
        return
    have = frame.GetAudioChannelsCount()
    samples = array.array("f", bytes(4 * count * channels))
    for channel in range(min(have, channels)):
        address = int(frame.GetAudioSamples(channel))  # a float* owned by the frame
        samples[channel::channels] = array.array("f", ctypes.string_at(address, 4 * count))
    out.write(samples.tobytes())


class ImageSink:
    """Saves frames as pictures through Qt: one file, or members of a zip named by a pattern."""

    def __init__(self, spec: dict):
        self.format = spec["format"]
        self.quality = int(spec.get("quality", -1))
        self.pattern = spec.get("pattern")
        self.file = spec.get("file")
        self.zip = None
        if spec.get("zip"):
            compress = zipfile.ZIP_STORED if self.format in ("PNG", "JPG", "JPEG") else zipfile.ZIP_DEFLATED
            self.zip = zipfile.ZipFile(spec["zip"], "w", compression=compress, allowZip64=True)
            self.scratch = os.path.join(os.path.dirname(spec["zip"]), "frame." + self.format.lower())

    def add(self, frame, number: int) -> None:
        """Save ``frame`` (the timeline's frame ``number``)."""
        if self.zip is None:
            frame.Save(self.file, 1.0, self.format, self.quality)
            if not os.path.exists(self.file):
                raise ValueError(f"Qt could not write a {self.format} image")
            return
        frame.Save(self.scratch, 1.0, self.format, self.quality)
        self.zip.write(self.scratch, self.pattern % number)
        os.remove(self.scratch)

    def close(self) -> None:
        """Finish the zip (if any)."""
        if self.zip is not None:
            self.zip.close()
            self.zip = None


def render(job: dict, channel) -> dict:
    """Render frames ``first``..``last`` of the job's timeline into its writer (video and/or
    audio), its raw audio file and/or its image sink, reporting progress and obeying SIGTERM."""
    data = job["timeline"]
    settings = job.get("settings") or {}
    check_readers(data)
    session = writer = raw = images = None
    done, started, last_report = 0, time.monotonic(), 0.0
    try:
        session = TimelineSession(data, settings.get("cache_mb"), job.get("background"), job.get("preview"))
        if job.get("writer"):
            writer = _open_writer(job["writer"], data)
        if job.get("raw_audio"):
            raw = open(job["raw_audio"], "wb")
        if job.get("images"):
            images = ImageSink(job["images"])
        channels = int(data["channels"])
        for number in range(int(job["first"]), int(job["last"]) + 1):
            if channel.cancelled():
                raise Cancelled()
            frame = session.frame(number)
            if writer is not None:
                writer.WriteFrame(frame)
            if raw is not None:
                _write_samples(frame, raw, channels)
            if images is not None:
                images.add(frame, number)
            done += 1
            now = time.monotonic()
            if now - last_report >= PROGRESS_EVERY:
                channel.send(done=done)
                last_report = now
        if writer is not None:
            writer.Close()
            writer = None
        channel.send(done=done)
    finally:
        if writer is not None:
            try:
                writer.Close()
            except Exception:
                pass
        if raw is not None:
            raw.close()
        if images is not None:
            images.close()
        if session is not None:
            session.close()
    return {"frames": done, "seconds": round(time.monotonic() - started, 3)}


def thumbnail(job: dict) -> dict:
    """Save frame ``frame`` of the job's timeline, scaled to exactly ``width`` x ``height``, as
    ``format`` (a Qt image format) to ``output``."""
    data = job["timeline"]
    check_readers(data)
    session = TimelineSession(data)
    try:
        frame = session.frame(int(job["frame"]))
        frame.Thumbnail(job["output"], int(job["width"]), int(job["height"]), "", "", "#000000",
                        True, job["format"], int(job["quality"]), 0.0)
    finally:
        session.close()
    if not os.path.exists(job["output"]) or not os.path.getsize(job["output"]):
        raise ValueError(f"Qt could not write a {job['format']} image")
    return {"path": job["output"]}
