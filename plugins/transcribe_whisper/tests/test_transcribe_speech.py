"""Real transcriptions of espeak-ng speech with the packaged tiny.en model."""
import re
import subprocess

import pytest

from openshot_api.interfaces import BackendError
from openshot_api_transcribe_whisper.transcriber import load_model

CUE_TIMING = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2}):(\d{2}):(\d{2})\.(\d{3})$")


@pytest.fixture
def heard(sentence):
    """Return the share of the spoken words found in a transcript."""
    def share(vtt):
        found = set(re.findall(r"[a-z]+", vtt.lower()))
        spoken = sentence.split()
        return sum(word in found for word in spoken) / len(spoken)
    return share


def parse_vtt(vtt):
    """Return the cues ``(start, end, text)`` of a WebVTT document, asserting its shape."""
    assert vtt.startswith("WEBVTT\n")
    cues = []
    for block in vtt.split("\n\n")[1:]:
        lines = block.strip("\n").split("\n")
        match = CUE_TIMING.match(lines[0])
        assert match, f"bad timing line {lines[0]!r}"
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, match.groups())
        start = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000
        end = h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        text = "\n".join(lines[1:])
        assert text.strip() and "-->" not in text
        cues.append((start, end, text))
    return cues


def media_duration(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                          "-of", "default=nw=1:nk=1", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return float(out)


def test_transcript_of_a_video_contains_most_of_the_spoken_words(video_transcript, heard):
    result, _calls = video_transcript
    assert heard(result["vtt"]) >= 0.7, result["vtt"]


def test_detected_language_is_english_when_no_language_is_given(video_transcript):
    assert video_transcript[0]["language"] == "en"


def test_vtt_is_well_formed_with_increasing_timestamps(video_transcript, speech_video):
    cues = parse_vtt(video_transcript[0]["vtt"])
    assert cues
    starts = [start for start, _end, _text in cues]
    assert starts == sorted(starts)
    assert all(start < end for start, end, _text in cues)
    assert cues[-1][1] <= media_duration(speech_video) + 0.5


def test_progress_rises_from_0_to_100(video_transcript):
    calls = video_transcript[1]
    assert calls[0] == 0 and calls[-1] == 100
    assert calls == sorted(calls)
    assert len(calls) >= 3  # at least one report between start and end


def test_language_en_is_used_when_asked_for(transcriber, speech_wav, heard):
    result = transcriber.transcribe(str(speech_wav), "tiny.en", "EN", False, {}, lambda p: None)
    assert result["language"] == "en"
    assert heard(result["vtt"]) >= 0.7, result["vtt"]


def test_decoding_args_are_applied_with_float32_weights(transcriber, speech_wav, heard):
    args = {"fp16": False, "beam_size": 1, "best_of": 1, "temperature": [0.0, 0.5],
            "logprob_threshold": -1.0, "no_speech_threshold": 0.6,
            "compression_ratio_threshold": 2.4, "condition_on_previous_text": False,
            "device": "cpu"}
    result = transcriber.transcribe(str(speech_wav), "tiny.en", "", False, args, lambda p: None)
    assert heard(result["vtt"]) >= 0.7, result["vtt"]


def test_models_are_cached_per_folder_device_and_compute_type(transcriber, video_transcript):
    path = transcriber.library.path("tiny.en")
    threads = transcriber.cpu_threads
    int8 = load_model(path, "cpu", 0, "int8", threads)
    assert load_model(path, "cpu", 0, "int8", threads) is int8
    assert load_model(path, "cpu", 0, "float32", threads) is not int8


def test_translate_with_an_english_only_model_is_rejected_with_a_clear_message(
        transcriber, speech_wav):
    # faster-whisper itself would silently transcribe instead; the API client asked for a
    # translation, so it is told why it cannot have one.
    with pytest.raises(BackendError, match=r"'tiny.en' is English-only and cannot translate"):
        transcriber.transcribe(str(speech_wav), "tiny.en", "", True, {}, lambda p: None)


def test_another_language_with_an_english_only_model_is_rejected(transcriber, speech_wav):
    with pytest.raises(BackendError, match=r"English-only: language must be 'en'"):
        transcriber.transcribe(str(speech_wav), "tiny.en", "fr", False, {}, lambda p: None)


def test_unknown_args_make_transcribe_raise_backend_error(transcriber, speech_wav):
    with pytest.raises(BackendError, match="unknown Whisper argument.*verbose"):
        transcriber.transcribe(str(speech_wav), "tiny.en", "", False, {"verbose": True},
                               lambda p: None)


def test_a_missing_model_makes_transcribe_raise_backend_error(transcriber, speech_wav):
    with pytest.raises(BackendError, match="'medium' is not installed"):
        transcriber.transcribe(str(speech_wav), "medium", "", False, {}, lambda p: None)


def test_file_with_no_audio_raises_backend_error(transcriber, media_dir, ffmpeg):
    path = media_dir / "silent-film.mp4"
    ffmpeg("-f", "lavfi",
        "-i", "testsrc=size=320x240:rate=25", "-t", "2", "-pix_fmt", "yuv420p", str(path))
    with pytest.raises(BackendError, match="no audio stream"):
        transcriber.transcribe(str(path), "tiny.en", "", False, {}, lambda p: None)


def test_file_that_is_not_media_raises_backend_error(transcriber, media_dir):
    path = media_dir / "notes.mp4"
    path.write_text("these are not the frames you are looking for\n" * 20)
    with pytest.raises(BackendError, match="could not be read as media"):
        transcriber.transcribe(str(path), "tiny.en", "", False, {}, lambda p: None)


@pytest.mark.parametrize("name, source", [
    ("silence", "anullsrc=r=16000:cl=mono"),
    ("tone", "sine=frequency=440:sample_rate=16000"),
    ("chord", "aevalsrc=0.3*sin(2*PI*262*t)+0.3*sin(2*PI*330*t)+0.3*sin(2*PI*392*t):s=16000"),
    ("noise", "anoisesrc=color=pink:sample_rate=16000:amplitude=0.3:seed=7"),
])
def test_silence_tones_and_noise_give_a_vtt_with_no_cues(transcriber, media_dir, ffmpeg, name, source):
    path = media_dir / f"{name}.wav"
    ffmpeg("-f", "lavfi", "-i", source, "-t", "4", "-ac", "1", str(path))
    for _ in range(2):  # and the same answer every time
        result = transcriber.transcribe(str(path), "tiny.en", "", False, {}, lambda p: None)
        assert result["vtt"] == "WEBVTT\n"


def test_without_the_voice_filter_the_model_alone_drops_what_it_calls_no_speech(transcriber, media_dir, ffmpeg):
    path = media_dir / "quiet.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "2", str(path))
    result = transcriber.transcribe(str(path), "tiny.en", "", False, {"vad_filter": False}, lambda p: None)
    assert result["vtt"] == "WEBVTT\n"
