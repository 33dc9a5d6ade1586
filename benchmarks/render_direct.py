"""Render speed: the libopenshot renderer against ONE equivalent ffmpeg command, side by side.

The composition (20 s at 1920x1080, 30 fps):
  layer 1  video A (testsrc2 pattern) with its sound (a 440 Hz tone)
  layer 2  video B (SMPTE bars) faded in and out by alpha keyframes 0 -> 1 (10 s) -> 0 (20 s),
           with its sound (a 660 Hz tone at 44.1 kHz, resampled) mixed with A's
  layer 3  a half-transparent PNG drawn at its own size in the top left corner
exported as MP4: libx264 at 8 Mb/s (keyframe every 12 frames and no B-frames, which is what
libopenshot 0.2.7's writer asks x264 for) and AAC at 192 kb/s, 48 kHz stereo. The ffmpeg command
does the same with overlay, fade (alpha) and amix (sum, as libopenshot mixes) filters.

    python benchmarks/render_direct.py [--repeat 1] [--threads N] [--segments N] [--seconds 20]
                                       [--media DIR]

Prints each tool's speed as multiples of real time and the ratio (renderer / ffmpeg), plus the
CPU time each used (less sensitive to other load on the machine); with --repeat the runs
alternate and the best of each is compared. The source media are made once with ffmpeg and kept in
--media (default: a folder in the system's temporary directory).
"""
import argparse
import json
import os
import resource
import subprocess
import tempfile
import time

from openshot_api_render_libopenshot import LibopenshotRenderer

WIDTH, HEIGHT, FPS = 1920, 1080, 30


def make_media(folder, seconds):
    """Create the two videos and the PNG (once); return their paths."""
    os.makedirs(folder, exist_ok=True)
    a = os.path.join(folder, f"a-{seconds}s.mp4")
    b = os.path.join(folder, f"b-{seconds}s.mp4")
    logo = os.path.join(folder, "logo.png")
    ff = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
    video = ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-ac", "2", "-shortest"]
    if not os.path.exists(a):
        subprocess.run(ff + ["-f", "lavfi", "-i", f"testsrc2=s={WIDTH}x{HEIGHT}:r={FPS}:d={seconds}",
                             "-f", "lavfi", "-i", f"sine=f=440:r=48000:d={seconds}"] + video + [a], check=True)
    if not os.path.exists(b):
        subprocess.run(ff + ["-f", "lavfi", "-i", f"smptehdbars=s={WIDTH}x{HEIGHT}:r={FPS}:d={seconds}",
                             "-f", "lavfi", "-i", f"sine=f=660:r=44100:d={seconds}"] + video + [b], check=True)
    if not os.path.exists(logo):
        subprocess.run(ff + ["-f", "lavfi", "-i", "color=c=orange@0.5:s=480x270,format=rgba",
                             "-frames:v", "1", logo], check=True)
    return a, b, logo


def keyframes(*points):
    return {"Points": [{"co": {"X": x, "Y": y}, "interpolation": 1} for x, y in points]}


def project(renderer, a, b, logo, seconds):
    """The composition as the project dict the core passes to Renderer.render."""
    frames = seconds * FPS
    clips = []
    for number, (path, extra) in enumerate([
            (a, {}),
            (b, {"alpha": keyframes((1, 0.0), (frames // 2, 1.0), (frames, 0.0))}),
            (logo, {"scale": 3, "gravity": 0})], start=1):
        clip = renderer.clip_defaults(renderer.probe(path))
        clip.update(id=str(number), layer=number, position=0.0, start=0.0, end=float(seconds), **extra)
        clips.append(clip)
    return {"fps": {"num": FPS, "den": 1}, "width": WIDTH, "height": HEIGHT, "sample_rate": 48000,
            "channels": 2, "channel_layout": 3, "duration": float(seconds), "clips": clips, "effects": []}


def export_settings(seconds):
    return {"export_type": "video", "video_format": "mp4", "video_codec": "libx264",
            "video_bitrate": 8000000, "audio_codec": "aac", "audio_bitrate": 192000,
            "start_frame": 1, "end_frame": seconds * FPS, "width": WIDTH, "height": HEIGHT,
            "fps": {"num": FPS, "den": 1}, "sample_rate": 48000, "channels": 2, "channel_layout": 3,
            "interlaced": False, "top_field_first": True}


def ffmpeg_command(a, b, logo, seconds, threads, output):
    """The same composition as one ffmpeg command."""
    half = seconds / 2
    graph = (f"[1:v]format=yuva420p,fade=t=in:st=0:d={half}:alpha=1,"
             f"fade=t=out:st={half}:d={half}:alpha=1[b];"
             f"[0:v][b]overlay=format=auto[ab];[ab][2:v]overlay=0:0:shortest=1,format=yuv420p[v];"
             f"[0:a][1:a]amix=inputs=2:normalize=0[a]")
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", a, "-i", b,
            "-loop", "1", "-framerate", str(FPS), "-i", logo, "-filter_complex", graph,
            "-map", "[v]", "-map", "[a]", "-frames:v", str(seconds * FPS), "-r", str(FPS),
            "-c:v", "libx264", "-b:v", "8M", "-g", "12", "-bf", "0", "-threads", str(threads),
            "-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2", output]


def child_cpu_seconds():
    """CPU time (user + system) used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(action):
    """Run ``action``; return (wall seconds, CPU seconds of the processes it started)."""
    cpu, started = child_cpu_seconds(), time.monotonic()
    action()
    return time.monotonic() - started, child_cpu_seconds() - cpu


def describe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                          "stream=codec_name,width,height,nb_frames,duration", "-of", "json", path],
                         capture_output=True, text=True, check=True).stdout
    return [{k: s.get(k) for k in ("codec_name", "width", "height", "nb_frames", "duration") if k in s}
            for s in json.loads(out)["streams"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each; the best is shown")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--segments", type=int, default=None,
                        help="most parallel render processes (default: the renderer's)")
    parser.add_argument("--media", default=os.path.join(tempfile.gettempdir(), "openshot-api-bench"))
    args = parser.parse_args()

    a, b, logo = make_media(args.media, args.seconds)
    renderer = LibopenshotRenderer(threads=args.threads, segments=args.segments)
    timeline = project(renderer, a, b, logo, args.seconds)
    settings = export_settings(args.seconds)
    print(f"composition: {args.seconds} s, {WIDTH}x{HEIGHT} @ {FPS} fps, 2 video layers + PNG, "
          f"2 sounds; threads={args.threads}, renderer segments={renderer.segments}")

    best = {}
    with tempfile.TemporaryDirectory() as out_dir:
        ours, theirs = os.path.join(out_dir, "renderer.mp4"), os.path.join(out_dir, "ffmpeg.mp4")
        runs = {
            "renderer": lambda: renderer.render(timeline, settings, ours, lambda p: None, lambda: False),
            "ffmpeg": lambda: subprocess.run(ffmpeg_command(a, b, logo, args.seconds, args.threads, theirs),
                                             check=True),
        }
        for run in range(args.repeat):
            line = []
            for name, action in runs.items():  # alternated, so both see the same machine load
                wall, cpu = timed(action)
                line.append(f"{name} {wall:.1f} s ({cpu:.1f} s CPU)")
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, cpu)
            print(f"run {run + 1}: " + ", ".join(line), flush=True)
        print("renderer output:", describe(ours))
        print("ffmpeg output:  ", describe(theirs))
    ours_speed = args.seconds / best["renderer"][0]
    ffmpeg_speed = args.seconds / best["ffmpeg"][0]
    print(f"renderer (libopenshot): {ours_speed:.2f}x real time ({best['renderer'][0]:.1f} s, "
          f"{best['renderer'][1]:.1f} s CPU)")
    print(f"ffmpeg, one command:    {ffmpeg_speed:.2f}x real time ({best['ffmpeg'][0]:.1f} s, "
          f"{best['ffmpeg'][1]:.1f} s CPU)")
    print(f"ratio renderer/ffmpeg:  {ours_speed / ffmpeg_speed:.2f} (CPU time ratio "
          f"{best['ffmpeg'][1] / best['renderer'][1]:.2f})")


if __name__ == "__main__":
    main()
