"""Server memory during large multipart uploads to POST /files/.

Serves a copy of development.ini (SQLite, local storage, embedded broker and worker threads) from
a temporary folder with pserve (waitress), and uploads to it:

  1. a large file (default 1 GiB, sparse or --random) that is not media: the server must take
     all of it before answering 400, so the transfer measures the upload path alone;
  2. a real H.264 video (default ~100 MB, made by ffmpeg at a constant high bitrate) that is
     probed and kept (201).

The client streams its body too (a generator with a known length, no chunked encoding). A thread
samples the server's RSS, its child processes included, every 50 ms; for each upload the script
prints the baseline RSS before it, the peak during it, the difference, and the throughput.

    python benchmarks/upload_memory.py [--size-mb 1024] [--video-mb 100] [--random] [--keep DIR]
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import psutil
import requests

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
MiB = 1024 * 1024
CHUNK = MiB
SAMPLE_SECONDS = 0.05


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environment():
    """This environment without OPENSHOT_API_* overrides, so the copied ini is what is served."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENSHOT_API_")}


def start_server(folder, port):
    """initdb, a user, and pserve on ``port``; returns (process, username, password, log path)."""
    ini = os.path.join(folder, "development.ini")
    # A copy in another folder is a fresh instance (its state lives in var/ beside it).
    shutil.copyfile(os.path.join(REPO_ROOT, "development.ini"), ini)
    env = clean_environment()
    cli = os.path.join(BIN, "openshot-api")
    subprocess.run([cli, "initdb", ini], check=True, env=env, capture_output=True)
    username, password = f"bench-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    subprocess.run([cli, "create-user", ini, "--username", username, "--password", password],
                   check=True, env=env, capture_output=True)
    log_path = os.path.join(folder, "server.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen([os.path.join(BIN, "pserve"), ini, f"http_port={port}"], stdout=log, stderr=subprocess.STDOUT,
                                   env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_server(process)
                raise RuntimeError(f"the server did not start on port {port}; see {log_path}")
            time.sleep(0.1)
    return process, username, password, log_path


def stop_server(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class RssSampler:
    """Samples the RSS of a process and of all its descendants in a background thread; each
    sample is ``(time, server RSS, children RSS)``."""

    def __init__(self, pid):
        self.process = psutil.Process(pid)
        self.samples = []
        self._stop = threading.Event()
        self._thread = None

    def sample(self):
        """``(monotonic time, bytes resident in the server, bytes resident in its children)``."""
        children = 0
        for proc in self.process.children(recursive=True):
            try:
                children += proc.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return time.monotonic(), self.process.memory_info().rss, children

    def rss(self):
        """Bytes resident now in the process and its children."""
        _, own, children = self.sample()
        return own + children

    def start(self):
        self.samples = []
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(self.sample())
            self._stop.wait(SAMPLE_SECONDS)

    def stop(self):
        """Stop sampling (one last sample is taken)."""
        self._stop.set()
        self._thread.join()
        self.samples.append(self.sample())

    def peak(self, until=None, since=None):
        """Peak total RSS (server + children) over the samples between ``since`` and ``until``."""
        return max((own + children for at, own, children in self.samples
                    if (since is None or at >= since) and (until is None or at <= until)), default=0)

    def peak_own(self):
        """Peak RSS of the server process alone."""
        return max(own for _at, own, _children in self.samples)


class MultipartBody:
    """A multipart/form-data body (``project`` and ``json`` fields, then the file as ``media``)
    produced in 1 MiB pieces from disk; ``len()`` gives requests its Content-Length."""

    def __init__(self, path, filename, fields):
        self.path = path
        self.boundary = uuid.uuid4().hex
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items())
        head += (f'--{self.boundary}\r\nContent-Disposition: form-data; name="media"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n").encode()
        self.head, self.tail = head, f"\r\n--{self.boundary}--\r\n".encode()
        self.sent = 0
        self.finished_at = None

    @property
    def content_type(self):
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self):
        return len(self.head) + os.path.getsize(self.path) + len(self.tail)

    def __iter__(self):
        yield self._count(self.head)
        with open(self.path, "rb") as src:
            while chunk := src.read(CHUNK):
                yield self._count(chunk)
        yield self._count(self.tail)
        self.finished_at = time.monotonic()

    def _count(self, data):
        self.sent += len(data)
        return data


def make_big_file(path, size, random):
    """``size`` bytes: a sparse file of zeros, or random bytes written in 8 MiB blocks."""
    with open(path, "wb") as out:
        if not random:
            out.truncate(size)
            return
        block = os.urandom(8 * MiB)
        written = 0
        while written < size:
            piece = block[:min(len(block), size - written)]
            out.write(piece)
            written += len(piece)


def make_video(path, megabytes):
    """An H.264 MP4 of about ``megabytes`` MB: 720p at a constant 40 Mb/s (padded with filler)."""
    seconds = max(1, round(megabytes * 8 / 40))
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=s=1280x720:r=30:d={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-b:v", "40M", "-minrate", "40M", "-maxrate", "40M", "-bufsize", "20M",
                    "-x264-params", "nal-hrd=cbr", "-pix_fmt", "yuv420p", path], check=True)


def upload(base, auth, project_url, path, filename, sampler):
    """Stream one multipart upload while sampling; return the figures of it."""
    body = MultipartBody(path, filename, {"project": project_url, "json": "{}"})
    baseline = sampler.rss()
    sampler.start()
    started = time.monotonic()
    response = requests.post(f"{base}/files/", data=body, auth=auth, timeout=3600,
                             headers={"Content-Type": body.content_type})
    elapsed = time.monotonic() - started
    sampler.stop()
    assert body.sent == len(body), "the client stopped before the end of its body"
    return {"status": response.status_code, "answer": response.text[:160], "bytes": len(body),
            "seconds": elapsed, "sending": body.finished_at - started, "baseline": baseline,
            "peak_sending": sampler.peak(until=body.finished_at), "peak_after": sampler.peak(since=body.finished_at),
            "peak_server": sampler.peak_own(), "samples": len(sampler.samples)}


def report(title, figures):
    mb = figures["bytes"] / 1e6
    print(f"\n{title}")
    print(f"  HTTP {figures['status']}: {figures['answer']}")
    print(f"  body {mb:.1f} MB sent in {figures['sending']:.1f} s = {mb / figures['sending']:.1f} MB/s; "
          f"answered after {figures['seconds']:.1f} s = {mb / figures['seconds']:.1f} MB/s overall")
    base = figures["baseline"]

    def growth(peak):
        return f"{peak / MiB:.1f} MiB ({(peak - base) / MiB:+.1f})"
    print(f"  RSS, server + children: baseline {base / MiB:.1f} MiB; peak while the body was sent "
          f"{growth(figures['peak_sending'])}; peak after it (store, probe) {growth(figures['peak_after'])}")
    print(f"  RSS of the server process alone: peak {growth(figures['peak_server'])} "
          f"({figures['samples']} samples every {SAMPLE_SECONDS * 1000:.0f} ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the non-media upload in MiB")
    parser.add_argument("--video-mb", type=int, default=100, help="approximate size of the video in MB (0: skip)")
    parser.add_argument("--random", action="store_true", help="random bytes instead of a sparse file")
    parser.add_argument("--keep", help="folder to work in and keep (default: a temporary one, removed)")
    args = parser.parse_args()

    folder = args.keep or tempfile.mkdtemp(prefix="openshot-upload-bench-")
    os.makedirs(folder, exist_ok=True)
    port = free_port()
    server, username, password, log_path = start_server(folder, port)
    try:
        base, auth = f"http://127.0.0.1:{port}", (username, password)
        sampler = RssSampler(server.pid)
        project = requests.post(f"{base}/projects/", auth=auth, timeout=30, json={
            "name": "upload benchmark", "width": 1280, "height": 720, "fps_num": 30, "fps_den": 1,
            "sample_rate": 44100, "channels": 2, "channel_layout": 3, "json": "{}"})
        project.raise_for_status()
        project_url = project.json()["url"]
        print(f"server pid {server.pid} on port {port}; idle RSS {sampler.rss() / MiB:.1f} MiB; log {log_path}")

        big = os.path.join(folder, "large.mp4")
        started = time.monotonic()
        make_big_file(big, args.size_mb * MiB, args.random)
        print(f"made a {args.size_mb} MiB {'random' if args.random else 'sparse'} file in "
              f"{time.monotonic() - started:.1f} s")
        figures = upload(base, auth, project_url, big, "large.mp4", sampler)
        os.unlink(big)
        report(f"{args.size_mb} MiB of non-media ({'random' if args.random else 'zeros'}); expected 400", figures)

        if args.video_mb:
            video = os.path.join(folder, "video.mp4")
            started = time.monotonic()
            make_video(video, args.video_mb)
            print(f"\nmade a {os.path.getsize(video) / 1e6:.1f} MB H.264 video in {time.monotonic() - started:.1f} s")
            figures = upload(base, auth, project_url, video, "video.mp4", sampler)
            report("a real H.264 video; expected 201", figures)
    finally:
        stop_server(server)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
