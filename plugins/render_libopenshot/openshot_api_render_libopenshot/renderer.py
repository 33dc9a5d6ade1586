"""``LibopenshotRenderer``: the Renderer backed by libopenshot 0.2.7 (``import openshot``).

Probes, thumbnails and renders run in child processes (child.py), never in the caller: the
bindings hold the GIL for every call and a crash in libopenshot must not take the web or worker
process down. Clip and effect defaults are computed in the caller (no media involved).

How an export is rendered
-------------------------
* video (and waveform to a video format): an ``openshot.Timeline`` built from the project at the
  export's size, frame rate and audio settings is written frame by frame with
  ``openshot.FFmpegWriter``. Long renders are cut into up to ``segments`` frame ranges rendered
  by parallel children (libopenshot composes frames on one thread) and joined in order with
  ffmpeg's concat demuxer, copying the video.
* Sound: with one segment and an audio codec libopenshot's writer encodes correctly (aac, ac3,
  eac3) the writer does it; otherwise each child saves the timeline's mixed samples exactly as
  libopenshot produced them and ffmpeg encodes them (libopenshot 0.2.7's writer drops or
  corrupts pcm, flac, opus, vorbis and mp3 with the FFmpeg 5 it is built against, and segments
  need sample-exact joins).
* audio: the same timeline, its pictures shrunk to a few pixels (nothing is shown), sound only.
* image: frame ``start_frame`` saved by Qt (png, jpg, jpeg, bmp, ppm, xbm, xpm).
* image sequence: frames ``start_frame``..``end_frame`` saved by Qt into ONE zip, members named
  by the ``video_format`` pattern with the timeline frame number ("%05d.png" when only an
  extension is given: 00001.png, 00002.png ...).
* waveform: every clip with sound is drawn as libopenshot's waveform of that sound (the clip's
  picture replaced by it, its keyframes still applied; clips without sound hidden) in
  ``wave_color`` over ``wave_background_color`` (the background's alpha is ignored in videos).
  To a video format: a video of those waveform frames, with the sound when an audio codec is
  given. To an image format: ONE picture of the whole range's mixed sound (channels mixed to
  one, linear scale, full width = start_frame..end_frame), drawn by ffmpeg's showwavespic from
  libopenshot's mixed samples, ``wave_background_color`` alpha kept for png.
"""
import copy
import math
import os
import shutil
import tempfile
from typing import Callable, Optional

from openshot_api.interfaces import BackendError, Renderer
from openshot_api.settings import Setting, SettingGroup

from . import defaults, ffmpeg_tools, formats, project, runner
from .exports import ExportPlan, ExportProblem, parse_export
from .warm import WarmPool, make_spawn, rewrite
from .sandbox import Limits, Sandbox

THUMBNAIL_FORMATS = ("BMP", "JPG", "JPEG", "PNG", "PPM", "XBM", "XPM")
AUDIO_PREVIEW = (16, 16)   # picture size while only sound is wanted (pictures are thrown away)
# A child costs about half a second to start; past a second of frames two run faster than one,
# even for a 3-second export on two cores.
DEFAULT_SEGMENT_FRAMES = 30
MAX_DEFAULT_SEGMENTS = 4   # each 1080p child holds about 1 GB of frame caches


# Resource limits of each sandboxed process (see sandbox.py); settings override each number.
RENDER_LIMITS = Limits(memory_mb=16384, cpu_seconds=6 * 3600, file_mb=64 * 1024, processes=4096)
QUICK_LIMITS = Limits(memory_mb=8192, cpu_seconds=120, file_mb=512, processes=4096)


PREFIX = "openshot_api.render."
SETTINGS = SettingGroup(
    PREFIX,
    Setting(PREFIX + "threads", "int", None, "CPU threads one render may use (empty: all).",
            minimum=1),
    Setting(PREFIX + "cache_mb", "int", None, "Timeline frame cache of each render process "
            "(empty: libopenshot's, a few frames).", minimum=1),
    Setting(PREFIX + "segments", "int", None, "Most parallel render processes of one export "
            f"(empty: threads, at most {MAX_DEFAULT_SEGMENTS}).", minimum=1),
    Setting(PREFIX + "segment_frames", "int", DEFAULT_SEGMENT_FRAMES, "Fewest frames of one "
            "parallel segment.", minimum=1),
    Setting(PREFIX + "work_dir", "path", None, "Scratch folder of renders (empty: beside the "
            "output file)."),
    Setting(PREFIX + "python", "path", None, "Interpreter that runs libopenshot in child "
            "processes (empty: this one; set it when this process is not a plain Python)."),
    Setting(PREFIX + "sandbox", "str", "bwrap", "bwrap: every libopenshot child and ffmpeg "
            "command runs in a bubblewrap sandbox; none only where workers are isolated "
            "otherwise.", choices=("bwrap", "none")),
    Setting(PREFIX + "sandbox_user", "str", "nobody", "User (name or uid) the sandbox runs as "
            "when the server runs as root."),
    Setting(PREFIX + "probe_timeout", "int", 30, "Seconds a probe may take inside a request.",
            minimum=1),
    Setting(PREFIX + "thumbnail_timeout", "int", 15, "Seconds a thumbnail may take inside a "
            "request.", minimum=1),
    Setting(PREFIX + "max_memory_mb", "int", RENDER_LIMITS.memory_mb, "Memory limit of each "
            "render, probe and thumbnail process.", minimum=1),
    Setting(PREFIX + "max_cpu_seconds", "int", RENDER_LIMITS.cpu_seconds, "CPU time limit of "
            "each render process (probes and thumbnails keep a tighter one).", minimum=1),
    Setting(PREFIX + "max_file_mb", "int", RENDER_LIMITS.file_mb, "Largest file a render process "
            "may write.", minimum=1),
    Setting(PREFIX + "max_processes", "int", RENDER_LIMITS.processes, "Processes and threads of "
            "the sandbox user.", minimum=1),
    Setting(PREFIX + "unsafe_skip_reader_check", "bool", False, "Tests only: do not check readers "
            "against the project's files before libopenshot opens them."),
    Setting(PREFIX + "nice", "int", 10, "Niceness of export renders (libopenshot children and "
            "their ffmpeg commands): the API's requests, probes and thumbnails on the same cores "
            "come first.", minimum=0, maximum=19),
    Setting(PREFIX + "warm_children", "int", 2, "Probe and thumbnail processes kept started, "
            "sandboxed, ahead of need (each serves one job); 0: start one per job.", minimum=0),
)


def segment_ranges(first: int, last: int, segments: int, min_frames: int) -> list:
    """Split ``first``..``last`` into at most ``segments`` consecutive ranges of at least
    ``min_frames`` frames each (one range when the render is short)."""
    frames = last - first + 1
    count = max(1, min(segments, frames // max(1, min_frames)))
    size = math.ceil(frames / count)
    return [(start, min(last, start + size - 1)) for start in range(first, last + 1, size)]


class LibopenshotRenderer(Renderer):
    """Renders OpenShot projects with libopenshot; see the module docstring for each export."""

    name = "libopenshot"

    def __init__(self, threads: Optional[int] = None, cache_mb: Optional[int] = None,
                 segments: Optional[int] = None, segment_frames: int = DEFAULT_SEGMENT_FRAMES,
                 work_dir: Optional[str] = None, python: Optional[str] = None,
                 sandbox: str = "bwrap", sandbox_user: str = "nobody", probe_timeout: int = 30,
                 thumbnail_timeout: int = 15, render_limits: Limits = RENDER_LIMITS,
                 quick_limits: Limits = QUICK_LIMITS, check_readers: bool = True,
                 warm_children: int = 0, warm_dir: Optional[str] = None, render_nice: int = 10):
        """``threads``: CPU threads one render may use (default: all); ``cache_mb``: the timeline
        frame cache of each render process (default: libopenshot's, a few frames);
        ``segments``: most parallel render processes (default: threads, at most 4);
        ``segment_frames``: fewest frames per parallel segment; ``work_dir``: scratch folder
        (default: beside the output file); ``python``: the interpreter that runs libopenshot in
        child processes (default: this one; set it when this process is not a plain Python,
        e.g. under uWSGI); ``sandbox``: ``bwrap`` or ``none`` (see sandbox.py), run as
        ``sandbox_user`` when this process is root; ``probe_timeout``/``thumbnail_timeout``:
        seconds a probe or thumbnail may take; ``render_limits``/``quick_limits``: resource
        limits of render children and of probe/thumbnail children; ``check_readers=False`` is
        for tests only (proving the sandbox alone holds): readers are then not checked against
        the project's files before libopenshot opens them. ``warm_children``: probe and
        thumbnail children kept started ahead of need (see warm.py), in ``warm_dir`` (best on
        the media's file system, so media can be linked, not copied)."""
        self.threads = threads or os.cpu_count() or 2
        self.cache_mb = cache_mb
        self.segments = segments or max(1, min(self.threads, MAX_DEFAULT_SEGMENTS))
        self.segment_frames = segment_frames
        self.work_dir = work_dir
        self.python = python
        self.sandbox = Sandbox(sandbox, sandbox_user)
        self.probe_timeout = probe_timeout
        self.thumbnail_timeout = thumbnail_timeout
        self.render_limits = render_limits
        self.quick_limits = quick_limits
        self.check_readers = check_readers
        self.render_nice = render_nice
        self.warm = WarmPool(make_spawn(self.sandbox, quick_limits, python, warm_dir or work_dir),
                             warm_children)

    @classmethod
    def from_settings(cls, settings: dict, prefix: str = "openshot_api.render.") -> "LibopenshotRenderer":
        """Build from ini settings, all optional: ``<prefix>threads``, ``<prefix>cache_mb``,
        ``<prefix>segments``, ``<prefix>segment_frames``, ``<prefix>work_dir``, ``<prefix>python``,
        ``<prefix>sandbox``, ``<prefix>sandbox_user``, ``<prefix>probe_timeout``,
        ``<prefix>thumbnail_timeout``, ``<prefix>max_memory_mb``, ``<prefix>max_cpu_seconds``,
        ``<prefix>max_file_mb``, ``<prefix>max_processes`` (renders; probes and thumbnails keep
        their own tighter CPU and file limits) and ``<prefix>unsafe_skip_reader_check`` (tests
        only). Raises ConfigurationError naming a key whose value is not a positive whole number,
        and when the sandbox cannot be set up."""
        def value(name):
            return SETTINGS.read(settings, name, prefix)

        render_limits = Limits(memory_mb=value("max_memory_mb"), cpu_seconds=value("max_cpu_seconds"),
                               file_mb=value("max_file_mb"), processes=value("max_processes"))
        quick_limits = Limits(memory_mb=render_limits.memory_mb, cpu_seconds=QUICK_LIMITS.cpu_seconds,
                              file_mb=QUICK_LIMITS.file_mb, processes=render_limits.processes)
        return cls(threads=value("threads"),
                   cache_mb=value("cache_mb"),
                   segments=value("segments"),
                   segment_frames=value("segment_frames"),
                   work_dir=value("work_dir"),
                   python=value("python"),
                   sandbox=value("sandbox"),
                   sandbox_user=value("sandbox_user"),
                   probe_timeout=value("probe_timeout"),
                   thumbnail_timeout=value("thumbnail_timeout"),
                   render_limits=render_limits, quick_limits=quick_limits,
                   check_readers=not value("unsafe_skip_reader_check"),
                   # Beside the media (the core's work folder), so media can be linked in.
                   warm_children=value("warm_children"), warm_dir=settings.get("openshot_api.work_dir") or None,
                   render_nice=value("nice"))

    def asset_names(self) -> list:
        """The transition masks this plugin ships (``@transitions/common/fade.svg`` ...)."""
        return project.asset_names()

    def _scratch(self, prefix: str, near: Optional[str] = None) -> str:
        """A private folder for one job, writable by the sandboxed child."""
        folder = tempfile.mkdtemp(prefix=prefix, dir=self.work_dir or near)
        self.sandbox.prepare_scratch(folder)
        return folder

    def _child(self, readable: list, scratch: str, limits: Limits) -> list:
        """The command of one render child seeing ``readable`` and writing in ``scratch``."""
        return self.sandbox.python_command(runner.CHILD_MODULE, readable, scratch, limits, self.python)

    # -- reading media -------------------------------------------------------------------

    def _child_settings(self, threads: Optional[int] = None) -> dict:
        return {"threads": threads or self.threads, "cache_mb": self.cache_mb,
                "private_network": self.sandbox.enabled}

    def probe(self, path: str) -> dict:
        """Reader info of ``path`` shaped like the spec's file json (type, has_video, has_audio,
        has_single_image, duration, width, height, fps, video_length, video_timebase,
        audio_timebase, sample_rate, channels, channel_layout, vcodec, acodec, pixel_ratio,
        display_ratio, file_size, metadata, path ...) plus ``media_type``: "image" for stills
        (read by QtImageReader, as OpenShot does: an FFmpegReader calls a PNG a 0-second video),
        "audio" for sound only (cover art in an MP3 included), else "video". Raises
        BackendError when libopenshot cannot read the file."""
        if not os.path.isfile(path):
            raise BackendError(f"{os.path.basename(path)} does not exist.")
        path = os.path.abspath(path)
        job = {"op": "probe", "path": path, "settings": self._child_settings(2)}
        warm = self._warm_child([path])
        if warm is not None:
            try:
                info = runner.run_child(rewrite(job, warm.links), "probe", timeout=self.probe_timeout,
                                        scratch_dir=warm.scratch, started=warm.started)
                info["path"] = path
                return info
            finally:
                warm.discard()
        scratch = self._scratch(".probe-")
        try:
            return runner.run_child(job, "probe", timeout=self.probe_timeout, scratch_dir=scratch,
                                    command=self._child([path], scratch, self.quick_limits))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _warm_child(self, paths: list):
        """A warm child with ``paths`` staged for it, or None (start one for the job instead)."""
        warm = self.warm.take()
        if warm is None:
            return None
        if self.sandbox.enabled:
            self.sandbox.grant_read(paths)
            # Built-in assets are in the box already, with the plugin's own files.
            media = [p for p in paths if os.path.isfile(p) and not p.startswith(project.ASSETS_DIR + os.sep)]
            if warm.stage(media) is None:
                warm.discard()
                return None
        return warm

    def clip_defaults(self, reader: dict) -> dict:
        """libopenshot's json for a new clip of ``reader`` (see defaults.clip_defaults)."""
        return defaults.clip_defaults(reader)

    def effect_types(self) -> list:
        """Every effect of libopenshot with its properties and defaults (see defaults.effect_types)."""
        return defaults.effect_types()

    def effect_defaults(self, effect_type: str) -> dict:
        """The json of a new ``effect_type`` effect; KeyError when unknown."""
        return defaults.effect_defaults(effect_type)

    # -- checking ------------------------------------------------------------------------

    def check_export(self, export: dict) -> Optional[str]:
        """None when ``export`` can be rendered, else a message that starts with the bad field
        (export_type, video_format, video_codec, audio_codec, video_bitrate, audio_bitrate, width,
        height, fps, sample_rate, channels, channel_layout, start_frame, end_frame, wave_color...).
        Formats and codecs are checked against this ffmpeg build's muxers and encoders."""
        try:
            parse_export(export)
        except ExportProblem as exc:
            return str(exc)
        return None

    # -- rendering -----------------------------------------------------------------------

    def render(self, timeline: dict, export: dict, output_path: str,
               progress: Callable[[float], None], cancelled: Callable[[], bool]) -> dict:
        """Render ``timeline`` as ``export`` into ``output_path``; see the module docstring for
        what each export_type writes. ``video_bitrate`` takes bits/s (8000000, "8000000",
        "8 Mb/sec", "8M") or a quality value ({"crf": 23}, "crf 23", "crf:23", "23 crf"; also
        cqp 0-63 and qp 0-255); ``audio_bitrate`` bits/s the same ways. Progress goes 0..100,
        at least once a second; cancelled() is polled every 0.15 s and stops the render
        (BackendError("cancelled")). Returns ``{"content_type", "extension"}``."""
        try:
            plan = parse_export(export)
            project.check_media(timeline)
            waveform = plan.export_type == "waveform"
            timeline = copy.deepcopy(timeline)
            readable = project.allowed_readers(timeline, self.check_readers)
            data = project.timeline_json(timeline, plan, waveform=waveform)
        except (ExportProblem, project.ProjectProblem) as exc:
            raise BackendError(str(exc)) from None
        reporter = runner.Progress(progress)
        reporter.tick(force=True)
        scratch = self._scratch(".render-", os.path.dirname(os.path.abspath(output_path)))
        child = self._child(readable, scratch, self.render_limits)
        try:
            if plan.export_type == "image":
                result = self._render_images(plan, data, scratch, reporter, cancelled, child, sequence=False)
            elif plan.export_type == "image sequence":
                result = self._render_images(plan, data, scratch, reporter, cancelled, child, sequence=True)
            elif plan.export_type == "waveform" and plan.muxer is None:
                result = self._render_waveform_image(plan, data, scratch, reporter, cancelled, child)
            else:
                result = self._render_media(plan, data, scratch, reporter, cancelled, child)
            os.replace(result, output_path)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        reporter.finish()
        return {"content_type": plan.content_type, "extension": plan.extension}

    def _job(self, plan: ExportPlan, data: dict, first: int, last: int, threads: int, **parts) -> dict:
        job = {"op": "render", "timeline": data, "first": first, "last": last,
               "settings": self._child_settings(threads), "nice": self.render_nice}
        if plan.export_type == "waveform":
            job["background"] = list(plan.wave_background)
        job.update(parts)
        return job

    def _ffmpeg(self, cmd: list, scratch: str) -> list:
        """An ffmpeg command over the job's own intermediate files, in the box too, at the
        renders' niceness (nice execs it: the pid and exit status are ffmpeg's)."""
        niceness = ["nice", "-n", str(self.render_nice)] if self.render_nice else []
        return niceness + self.sandbox.wrap(cmd, [], scratch, self.render_limits)

    def _render_media(self, plan: ExportPlan, data: dict, scratch: str, reporter, cancelled, child) -> str:
        """Video, audio and waveform videos: writer output, raw sound, parallel segments."""
        ranges = [(plan.start_frame, plan.end_frame)]
        if plan.concat_safe or not plan.has_video:
            ranges = segment_ranges(plan.start_frame, plan.end_frame, self.segments, self.segment_frames)
        threads = max(1, self.threads // len(ranges))
        final = os.path.join(scratch, f"output.{plan.extension}")
        writer_audio = (len(ranges) == 1 and plan.has_audio
                        and plan.audio_codec in formats.WRITER_AUDIO_CODECS)
        raw_audio = plan.has_audio and not writer_audio
        needs_mux = raw_audio or len(ranges) > 1
        video = None
        if plan.has_video:
            video = {"codec": plan.video_codec, "bit_rate": plan.video_bit_rate,
                     "quality": list(plan.quality) if plan.quality else None,
                     "interlaced": plan.interlaced, "top_field_first": plan.top_field_first}
        jobs, video_paths, raw_paths = [], [], []
        for index, (first, last) in enumerate(ranges):
            parts = {}
            if video or writer_audio:
                path = final if not needs_mux else os.path.join(scratch, f"part-{index:03d}.{plan.extension}")
                writer = {"path": path, "video": video,
                          "faststart": not needs_mux and plan.muxer in ("mp4", "mov", "ipod")}
                if writer_audio:
                    writer["audio"] = {"codec": plan.audio_codec, "bit_rate": plan.audio_bit_rate}
                parts["writer"] = writer
                if video:
                    video_paths.append(path)
            if raw_audio:
                parts["raw_audio"] = os.path.join(scratch, f"part-{index:03d}.f32")
                raw_paths.append(parts["raw_audio"])
            if not video:
                parts["preview"] = list(AUDIO_PREVIEW)
            jobs.append((self._job(plan, data, first, last, threads, **parts), last - first + 1))
        span = (0.0, 95.0 if needs_mux else 99.0)
        runner.run_children(jobs, "render", reporter, cancelled, span, scratch, child)
        if not needs_mux:
            return final
        raw = None
        if raw_paths:
            raw = raw_paths[0] if len(raw_paths) == 1 else self._join_raw(raw_paths, scratch)
        audio = {"codec": plan.audio_codec, "bit_rate": plan.audio_bit_rate,
                 "sample_rate": plan.sample_rate, "channels": plan.channels}
        cmd = ffmpeg_tools.mux_command(video_paths, os.path.join(scratch, "parts.txt"), raw, audio,
                                       plan.muxer, final)
        runner.run_command(self._ffmpeg(cmd, scratch), "encoding the output", reporter, cancelled, scratch)
        return final

    @staticmethod
    def _join_raw(paths: list, scratch: str) -> str:
        joined = os.path.join(scratch, "sound.f32")
        with open(joined, "wb") as out:
            for path in paths:
                with open(path, "rb") as src:
                    shutil.copyfileobj(src, out, 1024 * 1024)
                os.unlink(path)
        return joined

    def _render_images(self, plan: ExportPlan, data: dict, scratch: str, reporter, cancelled, child,
                       sequence: bool) -> str:
        final = os.path.join(scratch, f"output.{plan.extension}")
        quality = 95 if plan.image_format in ("JPG", "JPEG") else -1
        images = {"format": plan.image_format, "quality": quality}
        last = plan.end_frame if sequence else plan.start_frame
        if sequence:
            images.update(zip=final, pattern=plan.name_pattern)
        else:
            images["file"] = final
        job = self._job(plan, data, plan.start_frame, last, self.threads, images=images)
        runner.run_children([(job, last - plan.start_frame + 1)], "render", reporter, cancelled,
                            (0.0, 99.0), scratch, child)
        return final

    def _render_waveform_image(self, plan: ExportPlan, data: dict, scratch: str, reporter, cancelled,
                               child) -> str:
        ranges = segment_ranges(plan.start_frame, plan.end_frame, self.segments, self.segment_frames)
        threads = max(1, self.threads // len(ranges))
        raw_paths, jobs = [], []
        for index, (first, last) in enumerate(ranges):
            raw_paths.append(os.path.join(scratch, f"part-{index:03d}.f32"))
            jobs.append((self._job(plan, data, first, last, threads, raw_audio=raw_paths[-1],
                                   preview=list(AUDIO_PREVIEW)), last - first + 1))
        runner.run_children(jobs, "render", reporter, cancelled, (0.0, 95.0), scratch, child)
        raw = raw_paths[0] if len(raw_paths) == 1 else self._join_raw(raw_paths, scratch)
        if not os.path.getsize(raw):
            raise BackendError("render failed: the project has no sound to draw.")
        final = os.path.join(scratch, f"output.{plan.extension}")
        codec = {"PNG": "png", "JPG": "mjpeg", "JPEG": "mjpeg", "BMP": "bmp", "PPM": "ppm",
                 "XBM": "xbm"}.get(plan.image_format)
        if codec is None:
            raise BackendError(f"video_format: waveform pictures cannot be written as {plan.extension}.")
        cmd = ffmpeg_tools.waveform_image_command(raw, plan.sample_rate, plan.channels, plan.width,
                                                  plan.height, plan.wave_color, plan.wave_background,
                                                  final, codec)
        runner.run_command(self._ffmpeg(cmd, scratch), "drawing the waveform", reporter, cancelled, scratch)
        return final

    # -- thumbnails ----------------------------------------------------------------------

    def thumbnail(self, timeline: dict, frame_number: int, width: int, height: int,
                  image_format: str, quality: int) -> bytes:
        """The encoded image (BMP, JPG, JPEG, PNG, PPM, XBM or XPM) of frame ``frame_number``
        (first frame 1) of ``timeline`` composed at the project's size, then scaled to exactly
        ``width`` x ``height``; ``quality`` 0-100 (JPG). Raises BackendError."""
        fmt = str(image_format or "JPG").upper()
        if fmt not in THUMBNAIL_FORMATS:
            raise BackendError(f"image_format: {image_format!r} is not one of "
                               f"{', '.join(THUMBNAIL_FORMATS)}.")
        for key, value in (("width", width), ("height", height)):
            if not isinstance(value, int) or not 1 <= value <= 8192:
                raise BackendError(f"{key} must be between 1 and 8192.")
        quality = max(0, min(100, int(quality if quality is not None else 100)))
        frame = max(1, int(frame_number or 1))
        # Only the picture matters here: odd sizes are evened, odd frame rates (some files
        # report 90000 fps) replaced, and the sound settings fixed.
        fps = timeline.get("fps") or {}
        try:
            rate = float(fps["num"]) / float(fps["den"])
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            rate = 0.0
        settings = {
            "export_type": "image", "video_format": "png",
            "width": int(timeline.get("width") or width) // 2 * 2 or 2,
            "height": int(timeline.get("height") or height) // 2 * 2 or 2,
            "fps": fps if 1 <= rate <= 240 else {"num": 30, "den": 1},
            "sample_rate": 48000, "channels": 2, "channel_layout": 3,
            "start_frame": frame, "end_frame": frame,
        }
        try:
            plan = parse_export(settings)
            project.check_media(timeline)
            timeline = copy.deepcopy(timeline)
            readable = project.allowed_readers(timeline, self.check_readers)
            data = project.timeline_json(timeline, plan)
        except (ExportProblem, project.ProjectProblem) as exc:
            raise BackendError(str(exc)) from None
        warm = self._warm_child(readable)
        scratch = warm.scratch if warm is not None else self._scratch(".thumbnail-")
        try:
            output = os.path.join(scratch, "thumbnail." + fmt.lower())
            job = {"op": "thumbnail", "timeline": data, "frame": frame, "width": width,
                   "height": height, "format": fmt, "quality": quality, "output": output,
                   "settings": self._child_settings(2)}
            if warm is not None:
                runner.run_child(rewrite(job, warm.links), "thumbnail", timeout=self.thumbnail_timeout,
                                 scratch_dir=scratch, started=warm.started)
            else:
                runner.run_child(job, "thumbnail", timeout=self.thumbnail_timeout, scratch_dir=scratch,
                                 command=self._child(readable, scratch, self.quick_limits))
            with open(output, "rb") as src:
                return src.read()
        finally:
            if warm is not None:
                warm.discard()
            else:
                shutil.rmtree(scratch, ignore_errors=True)
