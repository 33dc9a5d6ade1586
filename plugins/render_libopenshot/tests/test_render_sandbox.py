"""The sandbox alone holds: with the reader checks switched off (a test-only setting), hostile
readers still cannot read the server's files or reach its network, and every child runs with
the resource limits and the view of the file system it is given."""
import os
import socket
import subprocess
import threading

import pytest

from openshot_api.interfaces import BackendError, ConfigurationError
from openshot_api_render_libopenshot import LibopenshotRenderer
from openshot_api_render_libopenshot.sandbox import Limits, Sandbox

FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]


@pytest.fixture(scope="module", params=[0, 2], ids=["cold", "warm"])
def unchecked(request):
    """A renderer whose reader checks are off: only the sandbox stands in the way; its probes
    and thumbnails run in children started for the job (cold) or ahead of it (warm)."""
    renderer = LibopenshotRenderer(threads=2, segments=1, check_readers=False, warm_children=request.param)
    yield renderer
    renderer.warm.close()


@pytest.fixture(scope="module")
def secret_png(tmp_path_factory):
    """A bright red picture in a private folder of 'the server' that no project lists."""
    folder = tmp_path_factory.mktemp("server-secrets")
    path = str(folder / "secret.png")
    subprocess.run(FF + ["-f", "lavfi", "-i", "color=c=red:s=320x240", "-frames:v", "1", path], check=True)
    os.chmod(path, 0o644)
    return path


class Listener:
    """A TCP server on loopback that records every connection it gets."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def _green_with_mask(clip, project, media, path, kind="QtImageReader"):
    """A green still whose Mask effect reads ``path``: a readable mask changes the picture."""
    mask = {"id": "M1", "type": "Mask", "class_name": "Mask", "layer": 1, "position": 0, "start": 0,
            "end": 2, "reader": {"type": kind, "path": path}, "replace_image": True}
    return project(clip("still.png", 1, 1, effects=[mask]))


def _red_share(image_bytes, tmp_path):
    """How much of the picture is clearly red (0..1)."""
    src = tmp_path / "thumb.png"
    src.write_bytes(image_bytes)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    pixels = [raw[i:i + 3] for i in range(0, len(raw), 3)]
    return sum(1 for r, g, b in pixels if r > 150 and g < 80 and b < 80) / len(pixels)


def test_the_reader_check_alone_refuses_a_path_that_is_not_a_project_file(renderer, clip, project, media,
                                                                        secret_png):
    timeline = project(clip("red.mp4", 1, 1))
    timeline["clips"][0]["reader"] = dict(timeline["clips"][0]["reader"], path=secret_png)
    with pytest.raises(BackendError, match="not one of the project's files"):
        renderer.thumbnail(timeline, 1, 64, 48, "PNG", 90)


def test_the_sandbox_hides_server_files_from_a_clip_reader(unchecked, clip, project, probed, secret_png,
                                                          tmp_path):
    control = project(clip("red.mp4", 1, 1))
    assert _red_share(unchecked.thumbnail(control, 1, 64, 48, "PNG", 90), tmp_path) > 0.9
    hostile = project(clip("still.png", 1, 1))
    hostile["clips"][0]["reader"] = dict(probed("still.png"), path=secret_png)
    try:
        image = unchecked.thumbnail(hostile, 1, 64, 48, "PNG", 90)
    except BackendError:
        return  # the reader could not even be opened
    assert _red_share(image, tmp_path) == 0


@pytest.mark.parametrize("reader_path", [
    "{secret}",
    "file:{secret}",
    "concat:{secret}|{secret}",
    "subfile:,,start,0,end,0,,:{secret}",
])
@pytest.mark.parametrize("kind", ["QtImageReader", "FFmpegReader"])
def test_the_sandbox_hides_server_files_from_a_mask_reader(unchecked, clip, project, media, secret_png,
                                                           reader_path, kind):
    """A Mask that reads its picture replaces the frame with it; hidden, it cannot open it."""
    timeline = _green_with_mask(clip, project, media, reader_path.format(secret=secret_png), kind)
    with pytest.raises(BackendError):
        unchecked.thumbnail(timeline, 1, 64, 48, "PNG", 90)


@pytest.mark.parametrize("scheme", ["http://127.0.0.1:{port}/x.mp4", "tcp://127.0.0.1:{port}",
                                    "gopher://127.0.0.1:{port}/_x", "rtmp://127.0.0.1:{port}/a/b"])
def test_the_sandbox_has_no_network(unchecked, clip, project, media, listener, scheme):
    url = scheme.format(port=listener.port)
    as_clip = project(clip("red.mp4", 1, 1))
    as_clip["clips"][0]["reader"] = dict(as_clip["clips"][0]["reader"], path=url)
    for timeline in (_green_with_mask(clip, project, media, url, "FFmpegReader"), as_clip):
        try:
            unchecked.thumbnail(timeline, 1, 64, 48, "PNG", 90)
        except BackendError:
            pass
    assert listener.connections == 0


def test_outside_the_sandbox_the_same_url_does_connect(listener):
    """The listener itself works: a plain connection from this process is counted."""
    socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
    deadline = 50
    while listener.connections == 0 and deadline:
        threading.Event().wait(0.05)
        deadline -= 1
    assert listener.connections == 1


def test_a_sandboxed_program_sees_only_what_it_is_given_with_its_limits(tmp_path, media):
    box = Sandbox("bwrap")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    box.prepare_scratch(str(scratch))
    limits = Limits(memory_mb=1024, cpu_seconds=30, file_mb=10, processes=500, open_files=64)
    script = ("cat /proc/self/limits; echo ids $(id -u) $(id -g); ls /etc; "
              "cat /sys/class/net/*/operstate 2>/dev/null; ls /sys/class/net 2>/dev/null; "
              f"head -c 10 {media['red.mp4']} | wc -c; ls {os.path.dirname(media['red.mp4'])}; "
              "echo hi > written.txt && echo wrote")
    out = subprocess.run(box.wrap(["/bin/sh", "-c", script], [media["red.mp4"]], str(scratch), limits),
                         capture_output=True, text=True, timeout=30).stdout
    limit = {line[:26].strip(): line[26:].split() for line in out.splitlines() if line.startswith("Max ")}
    assert limit["Max address space"][0] == str(1024 * 1024 * 1024)
    assert limit["Max cpu time"][0] == "30"
    assert limit["Max file size"][0] == str(10 * 1024 * 1024)
    assert limit["Max processes"][0] == "500"
    assert limit["Max open files"][0] == "64"
    if os.geteuid() == 0:
        assert "ids 65534 65534" in out  # root's jobs run as nobody, so the process limit counts
    listing = out.split("Max realtime timeout")[1]
    assert "passwd" not in listing and "shadow" not in listing   # /etc holds fonts only
    assert "10\n" in out                                         # the job's own media is readable
    assert "blue.mp4" not in out                                 # ... but not its neighbours
    assert "wrote" in out and (scratch / "written.txt").read_text() == "hi\n"


def test_a_child_over_its_memory_limit_fails_instead_of_taking_the_machine(clip, project, media):
    tiny = LibopenshotRenderer(threads=1, segments=1,
                               quick_limits=Limits(memory_mb=64, cpu_seconds=30, file_mb=10, processes=500))
    with pytest.raises(BackendError):
        tiny.thumbnail(project(clip("red.mp4", 1, 1)), 1, 64, 48, "PNG", 90)


def test_a_missing_sandbox_tool_stops_start_up(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap there
    with pytest.raises(ConfigurationError, match="bubblewrap"):
        LibopenshotRenderer.from_settings({})
    with pytest.raises(ConfigurationError, match="sandbox"):
        LibopenshotRenderer.from_settings({"openshot_api.render.sandbox": "chroot"})
    assert not LibopenshotRenderer.from_settings({"openshot_api.render.sandbox": "none"}).sandbox.enabled


def test_a_sandboxed_childs_logger_port_is_not_reachable_from_the_host(unchecked, clip, project, export,
                                                                       tmp_path):
    """libopenshot binds its ZeroMQ logger on tcp://*:5556; in the sandbox that port lives in the
    child's own network namespace (which is why the child no longer pays for moving it)."""
    import psutil
    timeline = project(*[clip("red.mp4", n + 1, 1, position=2.0 * n) for n in range(5)])
    host_network = os.readlink("/proc/self/ns/net")
    seen, namespaces, done = [], {}, threading.Event()

    def watch():
        while not done.is_set():
            descendants = set()
            for process in psutil.Process().children(recursive=True):
                descendants.add(process.pid)
                try:
                    command = process.cmdline()
                    # The Python child itself, not the bubblewrap around it (which starts outside).
                    if "openshot_api_render_libopenshot.child" in command and os.path.basename(command[0]) != "bwrap":
                        namespaces[process.pid] = os.readlink(f"/proc/{process.pid}/ns/net")
                except (psutil.Error, OSError):
                    pass
            # Only the render's processes: libopenshot loaded in this test process (effect
            # lists) may hold the port here, outside any sandbox.
            seen.extend(c for c in psutil.net_connections("inet")
                        if c.status == psutil.CONN_LISTEN and c.laddr.port == 5556 and c.pid in descendants)
            done.wait(0.05)
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        unchecked.render(timeline, export(end_frame=300), str(tmp_path / "out"), lambda p: None, lambda: False)
    finally:
        done.set()
        watcher.join()
    assert namespaces, "no render child was seen while rendering"
    # Each child's network (and so the logger's port) is its own, not the host's.
    assert host_network not in namespaces.values()
    assert seen == []
