"""Files: multipart uploads probed into json, imports by URL and by media path, download, delete."""
import re
import http.server
import os
import threading

import pytest

from tests.factories import create_project, upload_file


def test_uploaded_video_is_probed_like_the_spec_shows(api, media):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    assert set(file) == {"url", "id", "media", "project", "actions", "json", "date_created", "date_updated"}
    assert file["project"] == project["url"]
    assert re.fullmatch(rf"http://testserver/media/video/files/{project['id']}/[0-9a-f]{{12}}/red\.mp4", file["media"])
    info = file["json"]
    assert info["has_video"] and info["has_audio"]
    assert (info["width"], info["height"]) == (320, 240)
    assert info["fps"] == {"num": 30, "den": 1}
    assert abs(info["duration"] - 3.0) < 0.1
    assert info["vcodec"] == "h264" and info["media_type"] == "video"
    assert f"{file['url']}thumbnail/" in file["actions"]
    assert api.get(project["url"]).json["files"] == [file["url"]]


def test_media_url_and_download_return_the_uploaded_bytes(api, anon, media):
    project = create_project(api)
    file = upload_file(api, project, media["green.png"])
    original = open(media["green.png"], "rb").read()
    download = api.get(f"{file['url']}download/")
    assert download.content_type == "image/png" and download.body == original
    assert anon.get(file["media"].replace("http://testserver", "")).body == original


def test_two_uploads_with_one_name_do_not_overwrite_each_other(api, media):
    project = create_project(api)
    first = upload_file(api, project, media["red.mp4"], name="clip.mp4")
    second = upload_file(api, project, media["blue.mp4"], name="clip.mp4")
    assert first["media"] != second["media"]
    assert api.get(f"{first['url']}download/").body == open(media["red.mp4"], "rb").read()


def test_a_file_that_is_not_media_is_a_400_and_leaves_nothing_behind(api, media, registry):
    project = create_project(api)
    with open(media["notes.txt"], "rb") as src:
        response = api.post("/files/", {"project": project["url"]},
                            upload_files=[("media", "notes.txt", src.read())], status=400)
    assert "media" in response.json
    storage = registry["services"].storage
    assert list(storage.list(f"video/files/{project['id']}/")) == []


def test_file_without_media_or_url_is_a_400(api):
    project = create_project(api)
    assert "media" in api.post("/files/", {"project": project["url"]}, status=400).json


def test_file_without_project_is_a_400(api, media):
    with open(media["green.png"], "rb") as src:
        response = api.post("/files/", {}, upload_files=[("media", "g.png", src.read())], status=400)
    assert response.json["project"] == ["This field is required."]


def test_nested_list_and_post_use_the_project_of_the_url(api, media):
    project = create_project(api)
    with open(media["tone.wav"], "rb") as src:
        file = api.post(f"{project['url']}files/", {"json": '{"name": "voice.wav"}'},
                        upload_files=[("media", "tone.wav", src.read())], status=201).json
    assert file["project"] == project["url"] and file["json"]["name"] == "voice.wav"
    assert file["json"]["media_type"] == "audio"
    assert [f["id"] for f in api.get(f"{project['url']}files/").json["results"]] == [file["id"]]


@pytest.fixture
def http_media(media):
    """A tiny HTTP server on loopback serving the media folder."""
    folder = os.path.dirname(media["red.mp4"])

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=folder, **kw)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_file_is_imported_from_a_url_with_a_custom_name(api, http_media):
    project = create_project(api)
    file = api.post_json("/files/", {"project": project["url"], "media": None,
                                     "json": '{"url": "%s/blue.mp4", "name": "Custom-Filename.mp4"}' % http_media},
                         status=201).json
    assert file["media"].endswith("/Custom-Filename.mp4")
    assert file["json"]["width"] == 320


def test_file_is_imported_from_a_path_in_the_media_folder(api, media):
    project = create_project(api)
    first = upload_file(api, project, media["green.png"])
    key = first["media"].split("/media/", 1)[1]
    copy = api.post_json("/files/", {"project": project["url"], "json": {"url": key, "name": "copy.png"}},
                         status=201).json
    assert api.get(f"{copy['url']}download/").body == open(media["green.png"], "rb").read()


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "video/../../x", "a\\..\\b"])
def test_a_media_path_outside_the_media_folder_is_refused(api, path):
    project = create_project(api)
    response = api.post_json("/files/", {"project": project["url"], "json": {"url": path}}, status=400)
    assert "json" in response.json


def test_deleting_a_file_deletes_its_media(api, media, registry):
    project = create_project(api)
    file = upload_file(api, project, media["green.png"])
    key = file["media"].split("/media/", 1)[1]
    storage = registry["services"].storage
    assert storage.exists(key)
    api.delete(file["url"], status=204)
    assert not storage.exists(key)
    api.get(file["url"], status=404)


def test_patch_merges_json_and_keeps_the_reader_info(api, media):
    project = create_project(api)
    file = upload_file(api, project, media["green.png"])
    patched = api.patch_json(file["url"], {"json": {"tag": "logo"}}).json
    assert patched["json"]["tag"] == "logo" and patched["json"]["width"] == 160


def test_another_users_file_is_invisible(api, other_api, media):
    project = create_project(api)
    file = upload_file(api, project, media["green.png"])
    other_api.get(file["url"], status=404)
    other_api.get(f"{file['url']}download/", status=404)
    mine = create_project(other_api)
    response = other_api.post_json("/clips/", {"project": mine["url"], "file": file["url"]}, status=404)
    assert response.json["file"] == ["Invalid hyperlink - Object does not exist."]


def test_media_urls_work_without_credentials_but_never_for_another_user(api, other_api, anon, media):
    project = create_project(api)
    file = upload_file(api, project, media["green.png"])
    path = file["media"].replace("http://testserver", "")
    assert anon.get(path).body == open(media["green.png"], "rb").read()
    assert api.get(path).status_int == 200
    other_api.get(path, status=404)


def test_another_users_media_path_cannot_be_imported(api, other_api, media):
    project = create_project(api)
    key = upload_file(api, project, media["green.png"])["media"].split("/media/", 1)[1]
    mine = create_project(other_api)
    refused = other_api.post_json("/files/", {"project": mine["url"], "json": {"url": key}}, status=400).json
    assert "does not exist" in refused["json"][0]
