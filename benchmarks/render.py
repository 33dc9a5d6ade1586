"""Render speed through the whole pipeline, beside ONE equivalent ffmpeg command.

The composition of render_direct.py (20 s at 1920x1080, 30 fps: two video layers with an alpha
fade, a PNG overlay, two sounds mixed) is built through the HTTP API of a real server started
from development.ini (embedded worker): files uploaded, clips and keyframes posted, an export
requested and polled until completed. The clock runs from the export's POST to its completion, so
it includes queueing, the worker, storage and the database — everything but the uploads.

    python benchmarks/render.py [--seconds 20] [--repeat 1]

Prints both speeds as multiples of real time and the ratio (pipeline / ffmpeg).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from render_direct import FPS, HEIGHT, WIDTH, describe, ffmpeg_command, keyframes, make_media  # noqa: E402
from upload_memory import free_port, start_server, stop_server  # noqa: E402


def build_project(base, auth, a, b, logo, seconds):
    session = requests.Session()
    session.auth = auth
    project = session.post(f"{base}/projects/", json={
        "name": "render benchmark", "width": WIDTH, "height": HEIGHT, "fps_num": FPS, "fps_den": 1,
        "sample_rate": 48000, "channels": 2, "channel_layout": 3}).json()
    frames = seconds * FPS
    layers = [(a, {}), (b, {"alpha": keyframes((1, 0.0), (frames // 2, 1.0), (frames, 0.0))}),
              (logo, {"scale": 3, "gravity": 0})]
    for layer, (path, extra) in enumerate(layers, start=1):
        with open(path, "rb") as media:
            file = session.post(f"{base}/files/", data={"project": project["url"]},
                                files={"media": (os.path.basename(path), media)}).json()
        response = session.post(f"{base}/clips/", json={
            "file": file["url"], "project": project["url"], "position": 0, "start": 0, "end": seconds,
            "layer": layer, "json": json.dumps(extra)})
        response.raise_for_status()
    return session, project


def render_through_api(session, project):
    export = session.post(f"{project['url']}exports/", json={
        "video_codec": "libx264", "video_bitrate": 8000000, "audio_codec": "aac", "audio_bitrate": 192000,
        "json": {"sample_rate": 48000}}).json()
    started = time.monotonic()
    while export["status"] in ("pending", "in-progress"):
        time.sleep(0.25)
        export = session.get(export["url"]).json()
    elapsed = time.monotonic() - started
    if export["status"] != "completed":
        raise RuntimeError(f"export failed: {export['json']}")
    return elapsed, export


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--media", default=os.path.join(tempfile.gettempdir(), "openshot-api-bench-media"))
    args = parser.parse_args()
    a, b, logo = make_media(args.media, args.seconds)
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        server, username, password, log = start_server(folder, port)
        try:
            session, project = build_project(f"http://127.0.0.1:{port}", (username, password), a, b, logo,
                                             args.seconds)
            pipeline, ffmpeg = [], []
            for _ in range(args.repeat):
                elapsed, export = render_through_api(session, project)
                pipeline.append(elapsed)
                output = os.path.join(folder, "ffmpeg.mp4")
                started = time.monotonic()
                subprocess.run(ffmpeg_command(a, b, logo, args.seconds, os.cpu_count() or 2, output), check=True)
                ffmpeg.append(time.monotonic() - started)
            rendered = os.path.join(folder, "pipeline.mp4")
            with open(rendered, "wb") as out:
                out.write(session.get(f"{export['url']}download/").content)
        finally:
            stop_server(server)
        best_pipeline, best_ffmpeg = min(pipeline), min(ffmpeg)
        print(f"composition: {args.seconds} s at {WIDTH}x{HEIGHT} {FPS} fps, 2 video layers + fade + PNG + 2 sounds")
        print(f"pipeline (API -> worker -> libopenshot -> storage): {best_pipeline:.1f} s = "
              f"{args.seconds / best_pipeline:.2f}x real time  {describe(rendered)}")
        print(f"ffmpeg, one command:                               {best_ffmpeg:.1f} s = "
              f"{args.seconds / best_ffmpeg:.2f}x real time")
        print(f"ratio (pipeline speed / ffmpeg speed): {best_ffmpeg / best_pipeline:.2f}")


if __name__ == "__main__":
    main()
