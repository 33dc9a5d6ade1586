"""The small jobs users wait on, through a real server (development.ini: waitress, SQLite, the
embedded worker), beside one ffmpeg command doing the same work in the same run:

- a 3 s 1280x720 export, from its POST to ``completed`` (polled every 20 ms), beside one ffmpeg
  command encoding the same clip to the same codecs;
- a project thumbnail of a warm instance (after a first one);
- the upload and probe of a 10 s 1280x720 file (POST /files/), beside the same bytes posted to
  a route that does nothing with them (the transfer alone).

    python benchmarks/small_jobs.py [--repeat 3]

Prints medians, then the ratios last.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upload_memory import free_port, start_server, stop_server  # noqa: E402

FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]


def make_clip(path, seconds):
    subprocess.run(FF + ["-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=30:d={seconds}", "-f", "lavfi", "-i",
                         f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                         "-c:a", "aac", "-shortest", path], check=True)


def timed(action):
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def export_once(session, base, project):
    export = session.post(base + "/exports/", json={"project": project["url"], "audio_codec": "aac",
                                                    "video_codec": "libx264"}).json()
    while True:
        state = session.get(export["url"]).json()
        if state["status"] in ("completed", "failed"):
            assert state["status"] == "completed", state
            return
        time.sleep(0.02)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        short, ten = os.path.join(folder, "three.mp4"), os.path.join(folder, "ten.mp4")
        make_clip(short, 3)
        make_clip(ten, 10)
        port = free_port()
        server, username, password, _log = start_server(folder, port)
        base = f"http://127.0.0.1:{port}"
        try:
            session = requests.Session()
            session.auth = (username, password)
            project = session.post(base + "/projects/", json={"name": "small jobs", "width": 1280,
                                                              "height": 720}).json()
            uploads, transfers = [], []
            for _ in range(args.repeat):
                with open(ten, "rb") as src:
                    data = src.read()
                uploads.append(timed(lambda: session.post(base + "/files/", data={"project": project["url"]},
                                                          files={"media": ("ten.mp4", data)}).raise_for_status()))
                # The same bytes to a route that refuses them once read: the transfer alone.
                transfers.append(timed(lambda: session.post(base + "/projects/", data={"name": ""},
                                                            files={"media": ("ten.mp4", data)})))
            with open(short, "rb") as src:
                file = session.post(base + "/files/", data={"project": project["url"]},
                                    files={"media": ("three.mp4", src)}).json()
            session.post(base + "/clips/", json={"project": project["url"], "file": file["url"],
                                                 "end": 3.0}).raise_for_status()
            thumbnail = f"{project['url']}thumbnail/?frame_number=30&width=320&height=180"
            session.get(thumbnail).raise_for_status()
            thumbnails = [timed(lambda: session.get(thumbnail).raise_for_status()) for _ in range(5)]
            export_once(session, base, project)  # warm-up
            exports = [timed(lambda: export_once(session, base, project)) for _ in range(args.repeat)]
            reference = os.path.join(folder, "ref.mp4")
            ffmpegs = [timed(lambda: subprocess.run(FF + ["-i", short, "-c:v", "libx264", "-b:v", "8M", "-c:a",
                                                          "aac", "-b:a", "192k", reference], check=True))
                       for _ in range(args.repeat)]
        finally:
            stop_server(server)
    export, ffmpeg = statistics.median(exports), statistics.median(ffmpegs)
    upload, transfer = statistics.median(uploads), statistics.median(transfers)
    thumb = statistics.median(thumbnails)
    print(f"3 s 720p export, POST to completed: {export:.2f} s; one ffmpeg command: {ffmpeg:.2f} s")
    print(f"warm project thumbnail: {thumb * 1000:.0f} ms")
    print(f"upload + probe of a 10 s 720p file: {upload:.2f} s; the transfer alone: {transfer:.2f} s")
    print(f"ratio export / ffmpeg: {export / ffmpeg:.2f} (target 1.5)")
    print(f"probe beyond the transfer: {upload - transfer:.2f} s (target 0.3)")
    print(f"thumbnail: {thumb:.2f} s (target 0.3)")


if __name__ == "__main__":
    main()
