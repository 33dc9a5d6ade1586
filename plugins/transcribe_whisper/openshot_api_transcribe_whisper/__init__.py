"""Speech to text with Whisper models run by faster-whisper (CTranslate2), for
``POST /files/{id}/transcribe/``.

A request that names no ``model`` uses ``openshot_api.transcribe.default_model`` (``tiny.en``
when unset: the model packaged with this plugin, the only one a default instance has). Name a
model installed under ``openshot_api.transcribe.model_dir`` (``base``, ``small`` ...) to change
it; an English-only default (``*.en``) asked for another language or a translation falls back
to its multilingual form, which must then be installed too."""
from openshot_api import hookimpl

from .transcriber import SETTINGS, WhisperTranscriber


@hookimpl
def openshot_api_transcribers():
    return {WhisperTranscriber.name: WhisperTranscriber}


@hookimpl
def openshot_api_settings():
    return list(SETTINGS)
