"""The service contracts that plugins implement.

The core talks to media, clouds and models only through these classes. A backend subclasses one of
them, is registered through a hook in ``hookspecs.py`` and is chosen by name in the ini (see
``services.py``). Every method is documented; ``tests/unit/test_plugins.py`` fails when one is not.
"""
from __future__ import annotations

import abc
from typing import BinaryIO, Callable, Iterator, Optional


class ConfigurationError(Exception):
    """A setting is missing or wrong; the message names the key."""


class BackendError(Exception):
    """A backend could not do what was asked; ``str(exc)`` is safe to show to the API client."""


class WorkerFault(BackendError):
    """The job's process was killed from outside (a signal: the OOM killer, SIGKILL, a crash)
    rather than refusing the job: the core retries the job like one whose worker died."""


class Storage(abc.ABC):
    """Where media files and renders live, addressed by keys such as ``video/files/12/clip.mp4``.

    Keys always use forward slashes, never start with ``/`` and never contain ``..``; the core
    builds them. Implementations must stream: no method may hold a whole file in memory.
    """

    #: The name used in ``openshot_api.storage = <name>``.
    name: str = ""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: dict, prefix: str = "openshot_api.storage.") -> "Storage":
        """Build the backend from ini settings whose keys start with ``prefix``.

        Raises ConfigurationError naming the key when a required setting is missing.
        """

    @abc.abstractmethod
    def save(self, key: str, stream: BinaryIO, content_type: Optional[str] = None) -> int:
        """Store the bytes read from ``stream`` (read in chunks) under ``key``, replacing any
        object already there. Returns the number of bytes stored."""

    @abc.abstractmethod
    def open(self, key: str) -> BinaryIO:
        """Return a readable binary file object for ``key``. Raises KeyError when it is absent."""

    @abc.abstractmethod
    def size(self, key: str) -> int:
        """Return the size in bytes of ``key``. Raises KeyError when it is absent."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Return True when an object is stored under ``key``."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; removing an absent key is not an error."""

    @abc.abstractmethod
    def copy(self, src: str, dst: str) -> None:
        """Duplicate the object at ``src`` to ``dst``. Raises KeyError when ``src`` is absent."""

    @abc.abstractmethod
    def list(self, prefix: str) -> Iterator[tuple[str, int]]:
        """Yield ``(key, size)`` for every object whose key starts with ``prefix``."""

    @abc.abstractmethod
    def url(self, key: str) -> Optional[str]:
        """Return a URL a client can fetch the object from (public or presigned), or None when the
        app itself serves it under ``/media/`` (the local backend)."""

    @abc.abstractmethod
    def local_path(self, key: str) -> str:
        """Return a path on this machine holding the object's bytes, for the renderer.

        Local storage returns the file itself; cloud storage downloads into a bounded local cache
        and returns the cached copy. Raises KeyError when the object is absent.
        """

    def heartbeat(self) -> bool:
        """Return True when the backend answers (used by the health check)."""
        return True


class CloudTransfer(abc.ABC):
    """Moves objects between this service and a client's own cloud account.

    Used for ``POST /files/`` imports (``{"url": ..., "bucket": ...}`` and the like) and for the
    upload of a finished export (``{"bucket", "url", "acl"}`` in the export's ``json``).
    """

    #: Short name shown in errors and in the export's json, e.g. ``"s3"``.
    name: str = ""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: dict) -> "CloudTransfer":
        """Build the transfer from ini settings. Raises ConfigurationError naming a missing key."""

    @abc.abstractmethod
    def accepts(self, spec: dict) -> bool:
        """Return True when ``spec`` (a file import or export upload json) is meant for this cloud,
        e.g. it has a ``bucket`` key for S3 or a ``container`` key for Azure."""

    @abc.abstractmethod
    def download(self, spec: dict, dst: BinaryIO, max_bytes: int) -> str:
        """Stream the object named by ``spec`` into ``dst``; return its base file name.

        Raises BackendError (missing object, no access, larger than ``max_bytes``).
        """

    @abc.abstractmethod
    def upload(self, spec: dict, src_path: str, content_type: str) -> dict:
        """Upload the local file ``src_path`` where ``spec`` says; return a json-able description
        of the result (at least ``{"url": ...}``). Raises BackendError."""


class Renderer(abc.ABC):
    """Reads media and renders OpenShot timelines (libopenshot in the bundled plugin)."""

    name: str = ""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: dict) -> "Renderer":
        """Build the renderer from ini settings."""

    @abc.abstractmethod
    def probe(self, path: str) -> dict:
        """Return the reader info of a media file, as in the spec's file example (``type``,
        ``has_video``, ``has_audio``, ``duration``, ``width``, ``height``, ``fps``, ``video_length``,
        ``sample_rate``, ``channels``, ``channel_layout``, ``vcodec``, ``acodec``, ``metadata``,
        ``media_type`` ...). Raises BackendError when the file cannot be read as media."""

    @abc.abstractmethod
    def clip_defaults(self, reader: dict) -> dict:
        """Return the default OpenShot clip json (keyframes alpha, scale_x, location_x, volume,
        ..., ``scale``, ``gravity``, ``wave_color``, ``reader``...) for a file with reader info
        ``reader``."""

    @abc.abstractmethod
    def effect_types(self) -> list[dict]:
        """Return every effect the renderer knows: ``class_name``, ``name``, ``description``,
        ``has_video``, ``has_audio`` and the effect's properties with their defaults."""

    @abc.abstractmethod
    def effect_defaults(self, effect_type: str) -> dict:
        """Return the default json of a new effect of class ``effect_type``.

        Raises KeyError when the type is unknown."""

    @abc.abstractmethod
    def render(self, timeline: dict, export: dict, output_path: str,
               progress: Callable[[float], None], cancelled: Callable[[], bool]) -> dict:
        """Render ``timeline`` (an OpenShot project dict whose file paths are local) to
        ``output_path``.

        ``export`` holds ``export_type`` (video, audio, image, image sequence, waveform),
        ``video_format``, ``video_codec``, ``video_bitrate``, ``audio_codec``, ``audio_bitrate``,
        ``start_frame``, ``end_frame`` and the resolved ``width``, ``height``, ``fps``
        (``{"num", "den"}``), ``sample_rate``, ``channels``, ``channel_layout``, ``wave_color``,
        ``wave_background_color``, ``interlaced``, ``top_field_first``. ``progress`` is called with
        0..100 at least once a second; when ``cancelled()`` turns True the render stops and raises
        BackendError("cancelled"). Returns ``{"content_type": ..., "extension": ...}`` of what was
        written. Raises BackendError with a readable message on failure."""

    @abc.abstractmethod
    def check_export(self, export: dict) -> Optional[str]:
        """Return None when ``export`` (same keys as for ``render``) can be rendered, else a
        message naming the bad field (unknown codec or format, impossible size)."""

    @abc.abstractmethod
    def thumbnail(self, timeline: dict, frame_number: int, width: int, height: int,
                  image_format: str, quality: int) -> bytes:
        """Return the encoded image (BMP, JPG, PNG, PPM, XBM or XPM) of frame ``frame_number``
        (first frame 1) of ``timeline``, scaled to ``width`` x ``height``."""

    def asset_names(self) -> list[str]:
        """Names of the read-only pictures the renderer ships for readers to use, such as the
        transition masks desktop projects reference (``@transitions/common/fade.svg``); a
        timeline given to ``render``/``thumbnail`` may name them as reader paths."""
        return []


class Transcriber(abc.ABC):
    """Turns speech in a media file into timed text."""

    name: str = ""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: dict) -> "Transcriber":
        """Build the transcriber from ini settings (model folder, device...)."""

    @abc.abstractmethod
    def check(self, model: str, args: dict) -> Optional[str]:
        """Return None when ``model`` is available and ``args`` are understood, else a message."""

    @abc.abstractmethod
    def transcribe(self, path: str, model: str, language: str, translate: bool, args: dict,
                   progress: Callable[[float], None]) -> dict:
        """Return ``{"language": code, "vtt": webvtt_text}`` for the speech in ``path``."""


class TitleRenderer(abc.ABC):
    """Makes SVG title files from templates."""

    name: str = ""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: dict) -> "TitleRenderer":
        """Build the title renderer (template folders) from ini settings."""

    @abc.abstractmethod
    def templates(self) -> list[str]:
        """Return the file names of the available templates, e.g. ``Center-Text.svg``."""

    @abc.abstractmethod
    def render(self, template: str, params: dict) -> bytes:
        """Return the SVG bytes of ``template`` filled with ``params`` (text, font_size, font_name,
        fill_color, fill_opacity, stroke_color, stroke_size, stroke_opacity, drop_shadow,
        background_color, background_opacity). Raises KeyError for an unknown template."""


class FormatConverter(abc.ABC):
    """Writes an OpenShot project dict in another editor's format."""

    name: str = ""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: dict) -> "FormatConverter":
        """Build the converter from ini settings."""

    @abc.abstractmethod
    def formats(self) -> list[str]:
        """Return the format names handled, e.g. ``["edl", "xml", "otio"]``."""

    @abc.abstractmethod
    def export(self, project: dict, fmt: str, options: dict) -> tuple[str, bytes]:
        """Return ``(file_name, bytes)`` of ``project`` written as ``fmt``. Raises ValueError
        with a message naming the option (e.g. a missing ``layer`` for EDL)."""
