"""Speech to text with Whisper models run by faster-whisper (CTranslate2), for
``POST /files/{id}/transcribe/``."""
from openshot_api import hookimpl

from .transcriber import WhisperTranscriber


@hookimpl
def openshot_api_transcribers():
    return {WhisperTranscriber.name: WhisperTranscriber}
