"""Readers inside the libopenshot json users send may only name the project's own files or the
renderer's built-in transitions, on every route that takes such json; what is stored is the
safe form, and renders never open anything else."""
import json
import subprocess

import pytest
from sqlalchemy import update

from openshot_api.models import Effect
from tests.factories import create_clip, create_project, upload_file
from tests.functional.test_exports import download, wait_for
from tests.functional.test_interchange import _zip
from tests.media_checks import close, pixel_at

HOSTILE_PATHS = [
    "concat:subfile,,start,0,end,99,,:{upload}|/etc/passwd|{upload}",
    "subfile:,,start,0,end,99,,:/etc/passwd",
    "/etc/passwd",
    "file:///etc/passwd",
    "file:/etc/passwd",
    "http://127.0.0.1:9/x.png",
    "https://example.com/x.png",
    "gopher://127.0.0.1:5432/_x",
    "tcp://127.0.0.1:5672",
    "pipe:0",
    "data:image/png;base64,iVBORw0KGgo=",
    "../../var/session_secret",
    "video/files/../../session_secret",
    "",
    "\x00",
]


@pytest.fixture
def picture(tmp_path):
    """A mask picture: left half black, right half white (320x240)."""
    path = str(tmp_path / "mask.png")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=160x240", "-f", "lavfi",
                    "-i", "color=c=white:s=160x240", "-filter_complex", "hstack", "-frames:v", "1", path], check=True)
    return path


@pytest.fixture
def scene(api, media, picture):
    """A project with a red clip and a mask picture among its files."""
    project = create_project(api)
    red = upload_file(api, project, media["red.mp4"])
    mask = upload_file(api, project, picture)
    create_clip(api, project, red, end=3.0)
    return project, red, mask


def _mask(path, kind="QtImageReader", **extra):
    return {"reader": {"type": kind, "path": path}, "replace_image": True, **extra}


def _thumbnail(api, project):
    return api.get(f"{project['url']}thumbnail/", {"frame_number": 10, "width": 320, "height": 240,
                                                  "image_format": "PNG"}).body


def _pixels(png, tmp_path, *points):
    path = tmp_path / "frame.png"
    path.write_bytes(png)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return [tuple(raw[(y * 320 + x) * 3:(y * 320 + x) * 3 + 3]) for x, y in points]


def test_hostile_reader_paths_are_a_400_on_every_route_and_nothing_is_stored(api, scene):
    project, red, mask = scene
    effect = api.post_json("/effects/", {"type": "Mask", "project": project["url"]}, status=201).json
    clip = create_clip(api, project, red)
    for path in HOSTILE_PATHS:
        _refused_everywhere(api, project, red, effect, clip, path.format(upload=mask["media"]))
    assert api.get(effect["url"]).json["json"].get("reader") in ({}, None)
    assert "effects" not in api.get(clip["url"]).json["json"] or not api.get(clip["url"]).json["json"]["effects"]


def _refused_everywhere(api, project, red, effect, clip, path):
    attempts = [
        ("post", "/effects/", {"type": "Mask", "project": project["url"], "json": _mask(path)}),
        ("post", "/effects/", {"type": "Mask", "project": project["url"], "json": json.dumps(_mask(path))}),
        ("put", effect["url"], {"type": "Mask", "project": project["url"], "json": _mask(path)}),
        ("patch", effect["url"], {"json": _mask(path, "FFmpegReader")}),
        ("post", "/clips/", {"file": red["url"], "project": project["url"],
                             "json": {"effects": [{"type": "Mask", "class_name": "Mask", **_mask(path)}]}}),
        ("patch", clip["url"], {"json": {"effects": [{"type": "Mask", **_mask(path, "FFmpegReader")}]}}),
    ]
    for method, url, body in attempts:
        answer = getattr(api, f"{method}_json")(url, body, status=400).json
        assert "json" in answer and "reader" in answer["detail"], (path, answer)
    # The same as a form, with json as an escaped string.
    answer = api.post("/effects/", {"type": "Mask", "project": project["url"], "json": json.dumps(_mask(path))},
                      status=400).json
    assert "reader" in answer["json"][0], (path, answer)


def test_reader_types_are_an_allow_list(api, scene):
    project, _, mask = scene
    for kind in ("Timeline", "ChunkReader", "ImageReader", "TextReader", "DummyReader", "QtHtmlReader",
                 "FrameMapper"):
        answer = api.post_json("/effects/", {"type": "Mask", "project": project["url"],
                                             "json": _mask(mask["url"], kind)}, status=400).json
        assert kind in answer["detail"]


def test_paths_outside_readers_and_readers_that_are_not_objects_are_refused(api, scene):
    project, _, _ = scene
    for body in ({"reader": "/etc/passwd"}, {"reader": ["/etc/passwd"]}, {"protobuf_data_path": "/etc/passwd"},
                 {"nested": {"deeper": [{"path": "/etc/passwd"}]}}):
        api.post_json("/effects/", {"type": "Mask", "project": project["url"], "json": body}, status=400)


def test_a_mask_may_name_its_picture_by_url_id_name_media_url_or_key_and_renders_it(api, scene, tmp_path):
    project, red, mask = scene
    plain = _pixels(_thumbnail(api, project), tmp_path, (40, 120), (280, 120))
    assert all(close(p, (255, 0, 0)) for p in plain)
    key = mask["media"].split("/media/", 1)[1]
    for reference in (mask["url"], mask["id"], str(mask["id"]), "mask.png", mask["media"], key,
                      "/home/someone/Videos/mask.png", "C:\\Users\\me\\mask.png"):
        effect = api.post_json("/effects/", {"type": "Mask", "project": project["url"], "end": 3.0,
                                             "json": _mask(reference)}, status=201).json
        assert effect["json"]["reader"] == {"type": "QtImageReader", "path": "mask.png",
                                            "file_id": str(mask["id"])}
        left, right = _pixels(_thumbnail(api, project), tmp_path, (40, 120), (280, 120))
        assert sum(left) < 60 and min(right) > 200, (reference, left, right)  # the mask's own picture
        api.delete(effect["url"], status=204)


def test_an_effect_inside_a_clip_reads_its_mask_from_the_project(api, scene, tmp_path):
    project, red, mask = scene
    clip = create_clip(api, project, red, layer=2,
                       json={"effects": [{"id": "E1", "type": "Mask", "class_name": "Mask",
                                          **_mask(mask["url"])}]})
    assert clip["json"]["effects"][0]["reader"]["file_id"] == str(mask["id"])
    assert clip["json"]["reader"]["path"] == "red.mp4"
    left, right = _pixels(_thumbnail(api, project), tmp_path, (40, 120), (280, 120))
    # The clip became the mask's picture: clear where it is black (the red clip below shows).
    assert close(left, (255, 0, 0)) and min(right) > 200


def test_a_clip_reader_always_comes_from_its_file(api, scene, tmp_path):
    project, red, mask = scene
    clip = create_clip(api, project, red, json={"reader": {"type": "Timeline", "path": "/etc/passwd"}})
    assert clip["json"]["reader"]["path"] == "red.mp4" and clip["json"]["reader"]["type"] == "FFmpegReader"
    changed = api.patch_json(clip["url"], {"json": {"reader": {"path": "concat:/etc/passwd"}}}).json
    assert changed["json"]["reader"]["path"] == "red.mp4"


def test_another_users_file_is_a_404_and_another_projects_file_a_400(api, other_api, scene, media):
    project, _, _ = scene
    theirs = create_project(other_api)
    their_file = upload_file(other_api, theirs, media["blue.mp4"])
    for reference in (their_file["url"], their_file["id"], str(2 ** 64), f"http://testserver/files/{2 ** 70}/"):
        api.post_json("/effects/", {"type": "Mask", "project": project["url"], "json": _mask(reference)}, status=404)
    mine_elsewhere = upload_file(api, create_project(api), media["blue.mp4"])
    answer = api.post_json("/effects/", {"type": "Mask", "project": project["url"],
                                         "json": _mask(mine_elsewhere["url"])}, status=400).json
    assert "not one of this project's files" in answer["detail"]


def test_built_in_transitions_are_listed_and_accepted_the_way_desktop_projects_name_them(api, scene, tmp_path):
    project, _, _ = scene
    names = api.get("/info/transitions/").json["transitions"]
    assert "@transitions/common/wipe_left_to_right.svg" in names and "@transitions/common/fade.svg" in names
    for path in ("@transitions/common/wipe_left_to_right.svg",
                 "/usr/share/openshot-qt/transitions/common/wipe_left_to_right.svg",
                 "C:\\Program Files\\OpenShot Video Editor\\lib\\transitions\\common\\wipe_left_to_right.svg"):
        effect = api.post_json("/effects/", {"type": "Mask", "project": project["url"], "end": 3.0,
                                             "json": _mask(path)}, status=201).json
        assert effect["json"]["reader"] == {"type": "QtImageReader",
                                            "path": "@transitions/common/wipe_left_to_right.svg"}
        left, right = _pixels(_thumbnail(api, project), tmp_path, (10, 120), (310, 120))
        assert sum(left) < 60 and min(right) > 200  # the gradient, dark to light
        api.delete(effect["url"], status=204)
    answer = api.post_json("/effects/", {"type": "Mask", "project": project["url"],
                                         "json": _mask("@transitions/common/../../../etc/passwd")}, status=400).json
    assert "reader" in answer["detail"]
    api.post_json("/effects/", {"type": "Mask", "project": project["url"],
                                "json": _mask("@transitions/none/such.svg")}, status=400)


def test_hostile_json_already_in_the_database_is_never_opened(api, scene, wsgi_app, worker, tmp_path):
    """Rows written before the checks existed (or by hand): the build drops their readers and
    the renderer refuses anything that is not a project file."""
    project, red, mask = scene
    effect = api.post_json("/effects/", {"type": "Mask", "project": project["url"], "end": 3.0,
                                         "json": _mask(mask["url"])}, status=201).json
    hostile = _mask("concat:/etc/passwd|" + "/etc/passwd")
    session = wsgi_app.registry["dbsession_factory"]()
    session.execute(update(Effect).where(Effect.id == effect["id"]).values(json=hostile))
    session.commit()
    session.close()
    thumb = _pixels(_thumbnail(api, project), tmp_path, (40, 120), (280, 120))
    assert all(close(p, (255, 0, 0)) for p in thumb)  # as if the mask had no picture
    done = wait_for(api, api.post_json(f"{project['url']}exports/", {"audio_codec": "aac", "end_frame": 15},
                                       status=201).json)
    assert done["status"] == "completed", done["json"]
    assert close(pixel_at(download(api, done, tmp_path, "out.mp4"), 0.2, 160, 120), (255, 0, 0))


def test_copies_and_merges_point_masks_at_their_own_copies(api, scene):
    project, _, mask = scene
    api.post_json("/effects/", {"type": "Mask", "project": project["url"], "json": _mask(mask["url"])},
                  status=201)
    copy = api.post_json(f"{project['url']}copy/", {"name": "Copy"}, status=201).json
    copied_mask = next(api.get(u).json for u in copy["files"] if api.get(u).json["json"]["name"] == "mask.png")
    copied_effect = api.get(copy["effects"][0]).json
    assert copied_effect["json"]["reader"]["file_id"] == str(copied_mask["id"])
    target = create_project(api)
    merged = api.post_json(f"{target['url']}merge/", {"project": project["url"]}).json
    merged_mask = next(api.get(u).json for u in merged["files"] if api.get(u).json["json"]["name"] == "mask.png")
    assert api.get(merged["effects"][0]).json["json"]["reader"]["file_id"] == str(merged_mask["id"])


def test_project_json_names_media_without_server_paths(api, scene, app_settings):
    project, _, _ = scene
    text = api.get(f"{project['url']}json/").text
    root = app_settings["openshot_api.storage.root"]
    assert root not in text and "/tmp/" not in text
    osp = json.loads(text)
    assert all(f["path"].startswith("video/files/") for f in osp["files"])


def test_a_files_json_cannot_change_the_reader_libopenshot_uses(api, scene, tmp_path):
    project, red, _ = scene
    api.patch_json(red["url"], {"json": {"type": "Timeline", "path": "/etc/passwd"}})
    left, right = _pixels(_thumbnail(api, project), tmp_path, (40, 120), (280, 120))
    assert close(left, (255, 0, 0)) and close(right, (255, 0, 0))


def _osp_with(api, project, effect_reader=None, clip_effect_reader=None):
    osp = api.get(f"{project['url']}json/").json
    if effect_reader is not None:
        osp["effects"] = [{"id": "T1", "type": "Mask", "class_name": "Mask", "layer": 1, "position": 0,
                           "start": 0, "end": 3, "reader": effect_reader, "replace_image": True}]
    if clip_effect_reader is not None:
        osp["clips"][0]["effects"] = [{"id": "E1", "type": "Mask", "class_name": "Mask",
                                       "reader": clip_effect_reader}]
    return osp


def test_load_refuses_hostile_readers_as_json_and_as_zip_and_changes_nothing(api, scene, media):
    project, _, _ = scene
    before = api.get(project["url"]).json
    for path in ("concat:/etc/passwd|/etc/passwd", "/etc/passwd", "http://127.0.0.1:9/x",
                 "subfile:,,start,0,end,9,,:/etc/passwd"):
        _load_refused(api, project, media, path)
    after = api.get(project["url"]).json
    assert (after["files"], after["clips"], after["effects"]) == (before["files"], before["clips"], before["effects"])


def _load_refused(api, project, media, path):
    for osp in (_osp_with(api, project, {"type": "FFmpegReader", "path": path}),
                _osp_with(api, project, clip_effect_reader={"type": "QtImageReader", "path": path}),
                _osp_with(api, project, {"type": "Timeline", "path": "red.mp4"})):
        answer = api.post(f"{project['url']}load/", {"json": json.dumps(osp)}, status=400).json
        assert "reader" in answer["detail"], answer
        with open(media["red.mp4"], "rb") as red:
            archive = _zip({"p.osp": json.dumps(osp), "red.mp4": red.read()})
        api.post(f"{project['url']}load/", upload_files=[("archive", "p.zip", archive)], status=400)


def test_load_keeps_masks_on_the_loaded_files_and_desktop_transitions(api, scene, tmp_path):
    project, _, mask = scene
    api.post_json("/effects/", {"type": "Mask", "project": project["url"], "end": 3.0,
                                "json": _mask(mask["url"])}, status=201)
    osp = api.get(f"{project['url']}json/").json
    osp["clips"][0]["effects"] = [{"id": "E1", "type": "Mask", "class_name": "Mask", "replace_image": False,
                                   "reader": {"type": "QtImageReader",
                                              "path": "/usr/share/openshot-qt/transitions/extra/ripple.jpg"}}]
    target = create_project(api)
    loaded = api.post(f"{target['url']}load/", {"json": json.dumps(osp)}).json
    files = {api.get(u).json["json"]["name"]: api.get(u).json for u in loaded["files"]}
    effect = api.get(loaded["effects"][0]).json
    assert effect["json"]["reader"]["file_id"] == str(files["mask.png"]["id"])
    clip = next(api.get(u).json for u in loaded["clips"])
    assert clip["json"]["effects"][0]["reader"] == {"type": "QtImageReader", "path": "@transitions/common/fade.svg"}
    left, right = _pixels(_thumbnail(api, loaded), tmp_path, (40, 120), (280, 120))
    assert sum(left) < 60 and min(right) > 200  # the loaded project's own mask picture
