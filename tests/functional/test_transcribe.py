"""Transcription through the API: the job runs on the transcribe queue; the transcript is kept per
language and can be imported into a clip's captions."""
import subprocess
import time

import pytest

from tests.conftest import ffmpeg
from tests.factories import create_clip, create_project, upload_file
from tests.functional.test_exports import download, wait_for
from tests.media_checks import frame_at

SENTENCE = "hello world this is a test of the transcription service"


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech")
    wav = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "140", "-w", str(wav), SENTENCE], check=True)
    video = folder / "speech.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=320x240:r=30", "-i", str(wav), "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(video))
    return str(video)


def wait_for_transcript(api, file, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = api.get(file["url"]).json["json"].get("transcribe", {})
        if job.get("status") in ("completed", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"transcription stayed {job}")


def test_speech_is_transcribed_and_imported_into_captions(api, speech, worker, tmp_path):
    project = create_project(api)
    file = upload_file(api, project, speech)
    queued = api.post_json(f"{file['url']}transcribe/", {"model": "tiny", "language": "", "translate": False}).json
    assert queued["json"]["transcribe"]["status"] == "pending"
    job = wait_for_transcript(api, file)
    assert job["status"] == "completed", job
    vtt = api.get(f"{file['url']}transcribe/?format=vtt&language=en").text
    assert vtt.startswith("WEBVTT")
    heard = vtt.lower()
    assert sum(word in heard for word in ("hello", "world", "this", "test", "transcription", "service")) >= 3, vtt
    srt = api.get(f"{file['url']}transcribe/?format=srt").text
    assert srt.startswith("1\n") and " --> " in srt and "," in srt.split("\n")[1]

    clip = create_clip(api, project, file, end=3.0)
    api.post_json(f"{clip['url']}captions/", {"caption_text": "", "append_file_transcript": True,
                                              "file_transcript_language": ""})
    done = wait_for(api, api.post_json(f"{project['url']}exports/", {"audio_codec": "aac"}, status=201).json)
    width, height, raw = frame_at(download(api, done, tmp_path, "captioned.mp4"), 1.5)
    bright = sum(1 for i in range(0, len(raw), 3) if raw[i] > 180 and raw[i + 1] > 180 and raw[i + 2] > 180)
    assert bright > 50


def test_transcription_refuses_what_it_cannot_do(api, media):
    project = create_project(api)
    silent = upload_file(api, project, media["green.png"])
    assert "media" in api.post_json(f"{silent['url']}transcribe/", {"model": "tiny"}, status=400).json
    voiced = upload_file(api, project, media["tone.wav"])
    assert "model" in api.post_json(f"{voiced['url']}transcribe/", {"model": "gigantic"}, status=400).json
    assert "args" in api.post_json(f"{voiced['url']}transcribe/", {"model": "tiny", "args": {"warp": 9}},
                                   status=400).json
    assert "model" in api.post_json(f"{voiced['url']}transcribe/", {"model": "tiny.en", "translate": True},
                                    status=400).json
    clip = create_clip(api, project, voiced, end=1.0)
    missing = api.post_json(f"{clip['url']}captions/", {"append_file_transcript": True}, status=400).json
    assert "append_file_transcript" in missing
