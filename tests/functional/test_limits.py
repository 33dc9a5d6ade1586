"""Limits every user's requests meet, from settings with defaults: JSON bodies (size, nesting),
export length and size, project size, the settings and the archive of /projects/{id}/load/, and
who may add fonts to the instance."""
import contextlib
import io
import json
import os
import random
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest
import webtest

from tests.factories import create_clip, create_project, upload_file

MiB = 1 << 20


@pytest.fixture
def limit(registry, monkeypatch):
    """``limit(key, value)`` changes one ``openshot_api.*`` setting for the test."""
    def set_limit(key, value):
        monkeypatch.setitem(registry.settings, f"openshot_api.{key}", str(value))
    return set_limit


class Source(io.RawIOBase):
    """A request body made as the server reads it, counting what it read."""

    def __init__(self, size, fill=b" "):
        super().__init__()
        self.size, self.fill, self.read_bytes = size, fill, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = self.fill * n
        self.read_bytes += n
        return n


def send(api, path, source, content_type="application/json", length=True, status=413):
    """POST ``source`` to ``path``, with its Content-Length or, ``length=False``, chunked."""
    environ = api._make_environ()
    environ.update({"REQUEST_METHOD": "POST", "CONTENT_TYPE": content_type, "wsgi.input": source})
    if length:
        environ["CONTENT_LENGTH"] = str(source.size)
    else:  # chunked: the server learns the size only by reading
        environ["wsgi.input_terminated"] = True
    return api.do_request(webtest.TestRequest.blank(path, environ), status=status)


def nested(depth):
    return "[" * depth + "]" * depth


# --- JSON bodies ------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_max_json_bytes_is_a_413_before_it_is_read(api, registry, content_type):
    source = Source(int(registry.settings["openshot_api.max_json_bytes"]) + 1)
    response = send(api, "/projects/", source, content_type)
    assert "bytes" in response.json["detail"]
    assert source.read_bytes == 0


def test_a_chunked_body_is_read_only_up_to_the_limit(api, limit):
    limit("max_json_bytes", MiB)
    source = Source(8 * MiB, b"[")
    assert "bytes" in send(api, "/projects/", source, length=False).json["detail"]
    assert source.read_bytes <= MiB + 64 * 1024
    small = Source(100, b" ")
    assert "name" in send(api, "/projects/", small, length=False, status=400).json  # read, and parsed


def test_a_json_body_nested_5000_deep_is_a_400_naming_the_nesting(api):
    body = '{"name": "deep", "json": {"a": ' + nested(5000) + "}}"
    response = api.post("/projects/", body, content_type="application/json", status=400)
    assert "deeper than the 100 levels" in response.json["detail"]


@pytest.mark.parametrize("post", ["form", "json"])
def test_an_escaped_json_string_nested_5000_deep_is_a_400_naming_json(api, post):
    body = {"name": "deep", "json": '{"a": ' + nested(5000) + "}"}
    response = api.post("/projects/", body, status=400) if post == "form" else \
        api.post_json("/projects/", body, status=400)
    assert "deeper than the 100 levels" in response.json["json"][0]


def test_nesting_up_to_max_json_depth_is_accepted(api, limit):
    limit("max_json_depth", 20)
    inner = '{"a": ' + nested(19) + "}"
    assert api.post("/projects/", {"name": "ok", "json": inner}, status=201).json["json"]["a"]
    too_deep = '{"a": ' + nested(20) + "}"
    assert "deeper than the 20 levels" in api.post("/projects/", {"name": "no", "json": too_deep},
                                                   status=400).json["json"][0]
    # Brackets inside strings are text, not nesting.
    assert api.post_json("/projects/", {"name": "[" * 50, "json": {"k": "{" * 50}}, status=201)


# --- exports ----------------------------------------------------------------------------------

@pytest.fixture
def two_seconds(api, media):
    """A 320x240 project at 30 fps whose timeline lasts 2 s (60 frames)."""
    project = create_project(api)
    create_clip(api, project, upload_file(api, project, media["red.mp4"]), end=2.0)
    return project


@pytest.mark.parametrize("end_frame", [None, 0, -1, 60])
def test_an_export_longer_than_max_export_frames_is_a_400_naming_end_frame(api, two_seconds, limit, end_frame):
    limit("max_export_frames", 59)
    body = {"project": two_seconds["url"]}
    if end_frame is not None:
        body["end_frame"] = end_frame
    response = api.post_json("/exports/", body, status=400).json
    assert "60 frames" in response["end_frame"][0] and "59" in response["end_frame"][0]
    assert api.post_json("/exports/", {"project": two_seconds["url"], "end_frame": 59}, status=201)


def test_the_frame_count_is_taken_at_the_exports_own_frame_rate(api, two_seconds):
    fast = {"project": two_seconds["url"], "json": {"fps": {"num": 1000000, "den": 1}}}
    assert "2000000 frames" in api.post_json("/exports/", fast, status=400).json["end_frame"][0]


def test_an_export_longer_than_max_export_seconds_is_a_400_naming_end_frame(api, two_seconds, limit):
    limit("max_export_seconds", 1)
    response = api.post_json("/exports/", {"project": two_seconds["url"]}, status=400).json
    assert "2.0 seconds" in response["end_frame"][0]
    assert api.post_json("/exports/", {"project": two_seconds["url"], "end_frame": 30}, status=201)
    slow = {"project": two_seconds["url"], "json": {"fps": {"num": 1, "den": 1}}}  # 2 frames, still 2 s
    assert "2.0 seconds" in api.post_json("/exports/", slow, status=400).json["end_frame"][0]


def test_an_export_larger_than_max_pixels_is_a_400(api, two_seconds, limit):
    big = {"project": two_seconds["url"], "json": {"width": 8192, "height": 8192}}
    assert "pixels" in api.post_json("/exports/", big, status=400).json["json"][0]
    export = api.post_json("/exports/", {"project": two_seconds["url"]}, status=201).json
    assert "pixels" in api.patch_json(export["url"], {"json": big["json"]}, status=400).json["json"][0]
    limit("max_pixels", 320 * 240 - 1)  # the project itself is now too large
    assert "pixels" in api.post_json("/exports/", {"project": two_seconds["url"]}, status=400).json["project"][0]


def test_a_retry_checks_the_limits_again(api, two_seconds, limit):
    export = api.post_json("/exports/", {"project": two_seconds["url"]}, status=201).json
    assert api.post(f"{export['url']}cancel/", status=200).json["status"] == "failed"
    limit("max_export_frames", 30)
    assert "frames" in api.post(f"{export['url']}retry/", status=400).json["end_frame"][0]
    assert api.get(export["url"]).json["status"] == "failed"


# --- projects ---------------------------------------------------------------------------------

def test_a_project_larger_than_max_pixels_is_a_400_on_post_put_and_patch(api, limit):
    assert "pixels" in api.post_json("/projects/", {"name": "big", "width": 8192, "height": 8192},
                                     status=400).json["width"][0]
    project = create_project(api)
    api.put_json(project["url"], {"name": "big", "width": 8192, "height": 8192}, status=400)
    api.patch_json(project["url"], {"width": 8192}, status=200)  # 8192 x 240 fits
    assert "pixels" in api.patch_json(project["url"], {"height": 8192}, status=400).json["width"][0]
    limit("max_pixels", 640 * 480 - 1)
    api.post_json("/projects/", {"name": "vga", "width": 640, "height": 480}, status=400)
    assert api.get(project["url"]).json["height"] == 240


# --- /projects/{id}/load/: the project's settings -----------------------------------------------

def osp(**settings):
    return {"files": [], "clips": [], "effects": [], **settings}


def make_zip(entries, compression=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("settings, named", [
    ({"width": 0}, "width"),
    ({"width": 16000}, "width"),
    ({"width": 8192, "height": 8192}, "pixels"),
    ({"height": 241}, "height"),
    ({"fps": {"num": 30, "den": 0}}, "fps_den"),
    ({"fps": {"num": 1000, "den": 1}}, "frame rate"),
    ({"fps": "30"}, "fps"),
    ({"sample_rate": -1}, "sample_rate"),
    ({"channels": 2, "channel_layout": 4}, "channel_layout"),
    ({"channel_layout": 12345}, "channel_layout"),
])
def test_a_project_file_with_bad_settings_is_a_400_and_changes_nothing(api, settings, named):
    project = create_project(api)
    response = api.post(f"{project['url']}load/", {"json": json.dumps(osp(**settings))}, status=400).json
    assert named in response["json"][0]
    assert api.get(project["url"]).json == project


def test_the_settings_of_a_project_file_in_an_archive_are_checked_and_good_ones_loaded(api):
    project = create_project(api)
    archive = make_zip({"p.osp": json.dumps(osp(width=0))})
    response = api.post(f"{project['url']}load/", upload_files=[("archive", "p.zip", archive)], status=400).json
    assert "width" in response["archive"][0]
    good = osp(width=640, height=480, fps={"num": 25, "den": 1}, sample_rate=48000, channels=1, channel_layout=4)
    archive = make_zip({"p.osp": json.dumps(good)})
    loaded = api.post(f"{project['url']}load/", upload_files=[("archive", "p.zip", archive)], status=200).json
    assert (loaded["width"], loaded["height"], loaded["fps_num"], loaded["fps_den"]) == (640, 480, 25, 1)
    assert (loaded["sample_rate"], loaded["channels"], loaded["channel_layout"]) == (48000, 1, 4)


def test_a_project_file_nested_5000_deep_is_a_400(api):
    project = create_project(api)
    deep = json.dumps(osp())[:-1] + ', "x": ' + nested(5000) + "}"
    assert "deeper" in api.post(f"{project['url']}load/", {"json": deep}, status=400).json["json"][0]


# --- /projects/{id}/load/: archives -------------------------------------------------------------

def folder_bytes(*folders):
    total = 0
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                with contextlib.suppress(OSError):  # deleted while we look
                    total += os.path.getsize(os.path.join(root, name))
    return total


@contextlib.contextmanager
def most_bytes_added(registry):
    """``[n]``: the most bytes the work folder and the media storage held, while the block ran,
    above what they held before it (sampled every few milliseconds)."""
    folders = [registry.settings["openshot_api.work_dir"], registry.settings["openshot_api.storage.root"]]
    start, peak, done = folder_bytes(*folders), [0], threading.Event()

    def sample():
        while not done.wait(0.005):
            peak[0] = max(peak[0], folder_bytes(*folders) - start)
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()
        peak[0] = max(peak[0], folder_bytes(*folders) - start)


def load(api, project, archive, uses=("bomb.mp4",), status=400):
    """Load an archive with a project file (sent as json) that uses the entries ``uses``."""
    files = [{"id": str(i), "path": name} for i, name in enumerate(uses)]
    return api.post(f"{project['url']}load/", {"json": json.dumps(osp(files=files))},
                    upload_files=[("archive", "a.zip", archive)], status=status)


def sparse(size, gap):
    """``size`` bytes that compress about ``gap / 4`` times: zeros with a few random bytes."""
    rnd = random.Random(gap)
    block = bytes(gap) + bytes(rnd.getrandbits(8) for _ in range(4))
    return block * (size // len(block))


def lie(archive, name, **sizes):
    """``archive`` with the central directory claiming other ``compress_size``/``file_size`` for
    ``name`` (the local header, which readers skip, keeps the truth)."""
    data = bytearray(archive)
    at = data.index(b"PK\x01\x02")
    while data[at + 46:at + 46 + int.from_bytes(data[at + 28:at + 30], "little")] != name.encode():
        at = data.index(b"PK\x01\x02", at + 4)
    for field, offset in (("compress_size", 20), ("file_size", 24)):
        if field in sizes:
            data[at + offset:at + offset + 4] = sizes[field].to_bytes(4, "little")
    return bytes(data)


def test_an_entry_compressed_more_than_archive_max_ratio_is_refused_before_it_is_written(api, registry):
    project = create_project(api)
    archive = make_zip({"bomb.mp4": sparse(64 * MiB, 2000)})  # about 500:1
    with most_bytes_added(registry) as added:
        response = load(api, project, archive).json
    assert added[0] < 4 * MiB
    assert "200 times" in response["archive"][0] and "zip bomb" in response["archive"][0]


def test_an_entry_whose_header_hides_its_ratio_is_stopped_while_extracting(api, registry):
    # 64 MiB of zeros (1000:1) whose header claims the random padding after it as compressed
    # bytes too, so the header says about 150:1.
    padding = random.Random(1).randbytes(400 * 1024)
    archive = make_zip({"bomb.mp4": bytes(64 * MiB), "padding.bin": padding})
    info = zipfile.ZipFile(io.BytesIO(archive)).getinfo("bomb.mp4")
    archive = lie(archive, "bomb.mp4", compress_size=info.compress_size + len(padding))
    project = create_project(api)
    with most_bytes_added(registry) as added:
        response = load(api, project, archive).json
    assert added[0] < 8 * MiB
    assert "zip bomb" in response["archive"][0]
    assert api.get(project["url"]).json["files"] == []


def test_an_entry_whose_header_understates_its_size_is_a_400(api, registry):
    archive = lie(make_zip({"bomb.mp4": bytes(64 * MiB)}), "bomb.mp4", file_size=1000)
    project = create_project(api)
    with most_bytes_added(registry) as added:
        response = load(api, project, archive).json
    assert added[0] < 4 * MiB
    assert "cannot be extracted" in response["archive"][0]


def test_an_entry_over_archive_max_entry_bytes_is_refused(api, media, limit):
    red = Path(media["red.mp4"]).read_bytes()
    project = create_project(api)
    limit("archive_max_entry_bytes", len(red) - 1)
    response = load(api, project, make_zip({"red.mp4": red}, zipfile.ZIP_STORED), uses=["red.mp4"]).json
    assert f"more than {len(red) - 1} bytes" in response["archive"][0]
    limit("archive_max_entry_bytes", len(red))
    load(api, project, make_zip({"red.mp4": red}, zipfile.ZIP_STORED), uses=["red.mp4"], status=200)


def test_the_total_counts_every_extraction_and_nothing_stays_stored(api, media, limit, registry):
    # One entry named by four files of the project file: each is extracted again.
    red = Path(media["red.mp4"]).read_bytes()
    project = create_project(api)
    limit("max_upload_bytes", 3 * len(red) + 10)
    folder = os.path.join(registry.settings["openshot_api.storage.root"], "video", "files", str(project["id"]))
    response = load(api, project, make_zip({"red.mp4": red}, zipfile.ZIP_STORED), uses=["red.mp4"] * 4).json
    assert f"more than {3 * len(red) + 10} bytes" in response["archive"][0]
    assert folder_bytes(folder) == 0
    assert api.get(project["url"]).json["files"] == []


def test_a_project_file_in_an_archive_is_read_only_up_to_max_json_bytes(api, limit):
    project = create_project(api)
    limit("max_json_bytes", 1000)
    archive = make_zip({"p.osp": json.dumps(osp()) + " " * 5000})
    response = api.post(f"{project['url']}load/", upload_files=[("archive", "p.zip", archive)], status=400).json
    assert "more than 1000 bytes" in response["archive"][0]


# --- fonts ------------------------------------------------------------------------------------

@pytest.fixture
def font_file():
    path = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True,
                          check=True).stdout
    with open(path, "rb") as src:
        return [("font_file", "limits-test.ttf", src.read())]


@pytest.fixture
def admin_api(wsgi_app, make_user):
    username, password, _ = make_user(is_admin=True)
    app = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    app.authorization = ("Basic", (username, password))
    return app


def test_only_admins_upload_fonts_and_everyone_lists_them(api, admin_api, font_file):
    response = api.post("/info/fonts/", upload_files=font_file, status=403).json
    assert "administrators" in response["detail"]
    assert admin_api.post("/info/fonts/", upload_files=font_file, status=201).json["added"]["file"] == "limits-test.ttf"
    assert any(family["custom"] for family in api.get("/info/fonts/", status=200).json)


def test_everyone_uploads_fonts_when_the_setting_says_so(api, font_file, limit):
    api.post("/info/fonts/", upload_files=font_file, status=403)
    limit("fonts_upload_for_everyone", "true")
    assert api.post("/info/fonts/", upload_files=font_file, status=201).json["added"]["file"] == "limits-test.ttf"
