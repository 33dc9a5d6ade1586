"""Media safety: SVG is sanitised before Qt renders it (uploads, imports, titles, text-replace),
stored media is never served as active content, media links can point at another origin, and
file json never shows where the server keeps files."""
import base64
import gzip
import http.server
import io
import os
import socket
import threading
import time
import xml.etree.ElementTree as ET

import pytest
import transaction

from tests.conftest import ffmpeg
from tests.factories import create_clip, create_project, upload_file
from tests.media_checks import close, frame_at

RED, BLUE = (255, 0, 0), (0, 0, 255)
MEDIA_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"}


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """A bright red PNG the server can read, a blue one, and an SVG holding a red square #x."""
    folder = tmp_path_factory.mktemp("pictures")
    for name, colour in (("red.png", "red"), ("blue.png", "blue")):
        ffmpeg("-f", "lavfi", "-i", f"color=c={colour}:s=64x64", "-frames:v", "1", str(folder / name))
    (folder / "other.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
                                      '<rect id="x" width="64" height="64" fill="#ff0000"/></svg>')
    return {name: str(folder / name) for name in ("red.png", "blue.png", "other.svg")}


@pytest.fixture
def listener():
    """A loopback port that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    hits, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                hits.append(server.accept()[0])
            except OSError:
                continue
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join()
    server.close()


@pytest.fixture
def http_folder(tmp_path):
    """A loopback HTTP server serving ``tmp_path``."""
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(tmp_path), **kw)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def svg(body=""):
    """A 64x64 drawing: a blue square under ``body``."""
    return ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="64" height="64"><rect width="64" height="64" fill="#0000ff"/>{body}</svg>').encode()


def upload(api, project, data, name="drawing.svg", status=201):
    return api.post("/files/", {"project": project["url"], "json": "{}"},
                    upload_files=[("media", name, data)], status=status)


def key_of(url):
    return url.split("/media/", 1)[1]


def stored(registry, file):
    with registry["services"].storage.open(key_of(file["media"])) as src:
        return src.read()


def thumbnail_pixels(api, file, tmp_path):
    body = api.get(f"{file['url']}thumbnail/", {"frame_number": 1, "width": 64, "height": 64,
                                                "image_format": "PNG"}).body
    path = tmp_path / f"thumb-{file['id']}.png"
    path.write_bytes(body)
    _, _, raw = frame_at(str(path), 0)
    return [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]


def assert_media_headers(response):
    for name, value in MEDIA_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)


def set_file_json(registry, file_id, **changes):
    from openshot_api.db import get_tm_session
    from openshot_api.models import File
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        row = get_tm_session(registry["dbsession_factory"], tm).get(File, file_id)
        row.json = {**row.json, **changes}


HOSTILE = {
    "server path": ('<image width="64" height="64" xlink:href="{red}"/>', "{red}"),
    "file url": ('<image width="64" height="64" href="file://{red}"/>', "{red}"),
    "loopback http": ('<image width="64" height="64" xlink:href="http://127.0.0.1:{port}/red.png"/>',
                      "127.0.0.1:{port}"),
    "other document": ('<use xlink:href="{other}#x"/><use href="other.svg#x"/>', "other.svg"),
    "css url": ('<rect width="64" height="64" style="fill:url({red})"/>'
                '<style>@import url(http://127.0.0.1:{port}/a.css); rect {{ fill: url("{red}") }}</style>',
                "{red}"),
}


@pytest.mark.parametrize("name", ["drawing.svg", "x.png"])
@pytest.mark.parametrize("case", HOSTILE)
def test_svg_references_to_anything_outside_the_document_are_stripped(api, registry, pictures, listener,
                                                                      tmp_path, case, name):
    port, hits = listener
    body, reference = (text.format(red=pictures["red.png"], other=pictures["other.svg"], port=port)
                       for text in HOSTILE[case])
    project = create_project(api)
    file = upload(api, project, svg(body), name).json
    assert reference.encode() not in stored(registry, file)
    pixels = thumbnail_pixels(api, file, tmp_path)
    assert not any(close(p, RED, 60) for p in pixels)
    assert sum(close(p, BLUE, 60) for p in pixels) > len(pixels) // 2
    time.sleep(0.3)
    assert hits == []


@pytest.mark.parametrize("dtd", ['<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                                 '<!DOCTYPE svg [<!ENTITY red "#ff0000">]>'])
def test_svg_with_a_dtd_or_entities_is_refused(api, registry, dtd):
    project = create_project(api)
    doc = f'<?xml version="1.0"?>{dtd}'.encode() + svg('<rect width="64" height="64" fill="&red;"/>'
                                                        if "red" in dtd else "<text>&xxe;</text>")
    response = upload(api, project, doc, status=400)
    assert "DOCTYPE" in response.json["media"][0]
    assert list(registry["services"].storage.list(f"video/files/{project['id']}/")) == []


@pytest.mark.parametrize("name, compress", [("drawing.svg", False), ("drawing.png", False), ("drawing.svgz", True)])
def test_a_safe_drawing_still_renders_whatever_its_name_and_svgz_is_stored_inflated(api, registry, tmp_path,
                                                                                   name, compress):
    data = svg('<script>alert(document.domain)</script><rect width="64" height="64" fill="#ff0000" '
               'onload="alert(1)"/>')
    project = create_project(api)
    file = upload(api, project, gzip.compress(data) if compress else data, name).json
    assert file["media"].endswith(name.replace(".svgz", ".svg"))
    content = stored(registry, file)
    assert content.startswith(b"<?xml") and b"script" not in content and b"onload" not in content
    pixels = thumbnail_pixels(api, file, tmp_path)
    assert sum(close(p, RED, 60) for p in pixels) > len(pixels) * 0.9


def test_imported_svg_is_sanitised_from_a_url_and_from_the_media_folder(api, registry, pictures, http_folder):
    folder, base = http_folder
    hostile = svg(f'<image width="64" height="64" xlink:href="{pictures["red.png"]}"/><script>x()</script>')
    (folder / "evil.svg").write_bytes(hostile)
    registry["services"].storage.save("shared/evil.svg", io.BytesIO(hostile))
    project = create_project(api)
    for url in (f"{base}/evil.svg", "shared/evil.svg"):
        file = api.post_json("/files/", {"project": project["url"], "json": {"url": url}}, status=201).json
        content = stored(registry, file)
        assert pictures["red.png"].encode() not in content and b"script" not in content


def test_a_title_with_hostile_fields_holds_them_as_text_only(api, registry, pictures, tmp_path):
    project = create_project(api)
    text = f'</text><image xlink:href="{pictures["red.png"]}" width="1920" height="1080"/><text>'
    title = api.post_json(f"{project['url']}title/", {"text": text, "fill_color": "#0000ff"}, status=201).json
    root = ET.fromstring(stored(registry, title))
    assert not [e for e in root.iter() if e.tag.endswith("}image")]
    assert text in ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("}text")]
    assert not any(close(p, RED, 60) for p in thumbnail_pixels(api, title, tmp_path))
    # A font name is written into an attribute: a url() in it must not survive as one.
    response = api.post_json(f"{project['url']}title/", {"text": "Hi", "font_name": f"url({pictures['red.png']})"},
                             expect_errors=True)
    if response.status_int == 400:
        assert "font_name" in response.json
    else:
        assert response.status_int == 201
        assert pictures["red.png"].encode() not in stored(registry, response.json)


def test_text_replace_cannot_inject_elements_or_references(api, registry, pictures, tmp_path):
    with open(pictures["blue.png"], "rb") as src:
        blue = "data:image/png;base64," + base64.b64encode(src.read()).decode()
    project = create_project(api)
    file = upload(api, project, svg(f'<text x="1" y="20">NAME</text>'
                                    f'<image width="64" height="64" xlink:href="{blue}"/>')).json
    markup = f'</text><image xlink:href="{pictures["red.png"]}" width="64" height="64"/><text>'
    api.post_json(f"{file['url']}text-replace/", {"search": "NAME", "replace": markup}, status=200)
    root = ET.fromstring(stored(registry, file))
    assert len([e for e in root.iter() if e.tag.endswith("}image")]) == 1
    assert markup in ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("}text")]
    # Replacing the picture's data by a server path must not make Qt read that file.
    api.post_json(f"{file['url']}text-replace/", {"search": blue, "replace": pictures["red.png"]},
                  expect_errors=True)
    images = [e for e in ET.fromstring(stored(registry, file)).iter() if e.tag.endswith("}image")]
    assert images and not any(pictures["red.png"] in value for e in images for value in e.attrib.values())
    assert not any(close(p, RED, 60) for p in thumbnail_pixels(api, file, tmp_path))


def test_svg_and_html_named_media_are_never_served_as_active_content(api, anon, media):
    project = create_project(api)
    drawing = upload(api, project, svg("<script>alert(document.domain)</script>")).json
    for response in (anon.get(drawing["media"].replace("http://testserver", "")),
                     api.get(f"{drawing['url']}download/")):
        assert response.content_type == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert b"<script" not in response.body
        assert_media_headers(response)
    with open(media["green.png"], "rb") as src:
        page = upload(api, project, src.read(), "x.html").json
    assert page["media"].endswith("/x.html")
    response = anon.get(page["media"].replace("http://testserver", ""))
    assert response.content_type == "image/png" and "Content-Disposition" not in response.headers
    assert_media_headers(response)
    missing = anon.get(f"/media/video/files/{project['id']}/0123456789ab/none.svg", status=404)
    assert_media_headers(missing)


def test_video_keeps_its_type_and_range_requests(api, anon, media):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"], name="clip.html")
    response = anon.get(file["media"].replace("http://testserver", ""), headers={"Range": "bytes=0-99"}, status=206)
    assert response.content_type == "video/mp4" and len(response.body) == 100
    with open(media["red.mp4"], "rb") as src:
        assert response.body == src.read(100)
    assert_media_headers(response)


def wait_for(api, export, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        current = api.get(export["url"]).json
        if current["status"] in ("completed", "failed"):
            return current
        time.sleep(0.2)
    raise AssertionError("the export did not finish")


def test_export_output_is_served_as_media_and_media_url_moves_every_link(api, anon, media, worker, registry,
                                                                        monkeypatch):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    create_clip(api, project, file, end=1.0)
    export = api.post_json("/exports/", {"project": project["url"]}, status=201).json
    worker.join()
    export = wait_for(api, export)
    assert export["status"] == "completed", export
    for response in (anon.get(export["output"].replace("http://testserver", "")),
                     api.get(f"{export['url']}download/")):
        assert response.content_type == "video/mp4"
        assert_media_headers(response)
    monkeypatch.setitem(registry["services"].settings, "openshot_api.media_url", "https://media.example.com/")
    assert api.get(export["url"]).json["output"] == "https://media.example.com/" + key_of(export["output"])
    assert api.get(file["url"]).json["media"] == "https://media.example.com/" + key_of(file["media"])
    listed = api.get(f"{project['url']}files/").json["results"]
    assert [f["media"] for f in listed] == ["https://media.example.com/" + key_of(file["media"])]


def test_json_path_is_the_files_name_never_a_server_path(api, media, registry, tmp_path):
    root = registry.settings["openshot_api.storage.root"]
    project = create_project(api)
    file = upload_file(api, project, media["green.png"])
    assert file["json"]["path"] == "green.png"
    copy = api.post_json(f"{file['url']}copy/", {"name": "copy.png"}, status=201).json
    assert copy["json"]["path"] == "copy.png"
    # A row stored by an earlier version, with the absolute path.
    set_file_json(registry, file["id"], path=os.path.join(root, key_of(file["media"])))
    assert api.get(file["url"]).json["json"]["path"] == "green.png"
    listed = api.get(f"{project['url']}files/")
    assert sorted(f["json"]["path"] for f in listed.json["results"]) == ["copy.png", "green.png"]
    assert root not in listed.text and root not in api.get(file["url"]).text
    # The renderer still finds the media.
    pixels = thumbnail_pixels(api, file, tmp_path)
    assert sum(close(p, (0, 255, 0), 60) for p in pixels) > len(pixels) * 0.9


@pytest.mark.parametrize("text", [b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n",
                                  b"\xef\xbb\xbf#EXTM3U\nhttp://127.0.0.1:9/x.ts\n",
                                  b"ffconcat version 1.0\nfile /etc/passwd\n",
                                  b"v=0\no=- 0 0 IN IP4 127.0.0.1\nm=video 9 RTP/AVP 96\n"])
def test_playlists_that_point_ffmpeg_elsewhere_are_refused(api, text):
    project = create_project(api)
    for name in ("list.m3u8", "video.mp4"):
        answer = upload(api, project, text, name, status=400).json
        assert "media" in answer and "playlist" in answer["detail"]


def test_svg_inside_a_loaded_archive_is_sanitised(api, registry, pictures, tmp_path):
    import json
    import zipfile
    project = create_project(api)
    hostile = svg(f'<image xlink:href="{pictures["red.png"]}" width="64" height="64"/>')
    osp = {"fps": {"num": 30, "den": 1}, "width": 64, "height": 64, "sample_rate": 44100, "channels": 2,
           "channel_layout": 3, "files": [{"id": "A", "path": "drawing.svg"}],
           "clips": [{"id": "C", "file_id": "A", "layer": 1, "position": 0, "start": 0, "end": 1}], "effects": []}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("p.osp", json.dumps(osp))
        archive.writestr("drawing.svg", hostile)
    loaded = api.post(f"{project['url']}load/", upload_files=[("archive", "p.zip", buffer.getvalue())]).json
    file = api.get(loaded["files"][0]).json
    assert pictures["red.png"].encode() not in stored(registry, file)
    pixels = thumbnail_pixels(api, file, tmp_path)
    assert not any(close(p, RED, 60) for p in pixels)
