"""OpenShot project files and archives in and out: json, load, download, download/format."""
import io
import json
import zipfile

import pytest

from tests.factories import create_clip, create_project, upload_file
from tests.functional.test_exports import download, wait_for
from tests.media_checks import close, pixel_at


@pytest.fixture
def edited(api, media):
    """A project with two files, clips on two layers with keyframes, and a project effect."""
    project = create_project(api)
    red = upload_file(api, project, media["red.mp4"])
    png = upload_file(api, project, media["green.png"])
    create_clip(api, project, red, end=2.0)
    fade = {"alpha": {"Points": [{"co": {"X": 1, "Y": 0.0}, "interpolation": 1},
                                 {"co": {"X": 31, "Y": 1.0}, "interpolation": 1}]}, "scale": 2}
    create_clip(api, project, png, position=1.0, end=1.0, layer=2, json=json.dumps(fade))
    api.post_json(f"{project['url']}effects/", {"type": "Negate", "position": 0.0, "end": 0.5, "layer": 3})
    return project


def comparable(api, project):
    """What must survive a round trip: clip timing, layers, keyframes, effects, file names."""
    data = api.get(project["url"]).json
    clips = []
    for url in data["clips"]:
        clip = api.get(url).json
        name = api.get(clip["file"]).json["json"]["name"]
        clips.append((name, clip["position"], clip["start"], clip["end"], clip["layer"],
                      clip["json"]["alpha"], clip["json"]["scale"]))
    effects = [(e["type"], e["position"], e["end"], e["layer"])
               for e in (api.get(url).json for url in data["effects"])]
    return sorted(clips), sorted(effects)


def test_json_is_an_openshot_project_file(api, edited):
    osp = api.get(f"{edited['url']}json/").json
    for key in ("id", "fps", "width", "height", "sample_rate", "channels", "channel_layout", "clips", "effects",
                "files", "duration", "layers", "markers", "profile", "version", "display_ratio", "pixel_ratio"):
        assert key in osp, key
    assert len(osp["clips"]) == 2 and len(osp["files"]) == 2 and osp["effects"][0]["class_name"] == "Negate"
    assert osp["duration"] == 2.0


def test_json_loaded_into_a_new_project_gives_the_same_edit_and_frames(api, edited, worker, tmp_path):
    osp = api.get(f"{edited['url']}json/").text
    target = create_project(api)
    loaded = api.post(f"{target['url']}load/", {"json": osp}).json
    assert len(loaded["clips"]) == 2 and len(loaded["files"]) == 2
    assert comparable(api, loaded) == comparable(api, edited)
    frames = []
    for project, name in ((edited, "a.mp4"), (loaded, "b.mp4")):
        done = wait_for(api, api.post_json(f"{project['url']}exports/", {"audio_codec": "aac"}, status=201).json)
        frames.append([pixel_at(download(api, done, tmp_path, name), t, 160, 120) for t in (0.25, 1.2, 1.8)])
    assert all(close(a, b, 12) for a, b in zip(*frames)), frames


def test_download_zip_loads_back_into_a_new_project(api, edited):
    archive = api.get(f"{edited['url']}download/")
    assert archive.content_type == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.body)).namelist()
    assert sorted(n for n in names if not n.endswith(".osp")) == ["green.png", "red.mp4"]
    osp = json.loads(zipfile.ZipFile(io.BytesIO(archive.body)).read(next(n for n in names if n.endswith(".osp"))))
    assert sorted(f["path"] for f in osp["files"]) == ["green.png", "red.mp4"]
    target = create_project(api)
    loaded = api.post(f"{target['url']}load/", upload_files=[("archive", "project.zip", archive.body)]).json
    assert comparable(api, loaded) == comparable(api, edited)


def _zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_desktop_project_with_layers_keyframes_effects_and_a_transition_loads_and_renders(api, media, worker,
                                                                                          tmp_path):
    red, blue = open(media["red.mp4"], "rb").read(), open(media["blue.mp4"], "rb").read()
    point = lambda x, y: {"co": {"X": x, "Y": y}, "interpolation": 1}  # noqa: E731
    desktop = {
        "id": "T0", "fps": {"num": 30, "den": 1}, "width": 320, "height": 240, "sample_rate": 44100,
        "channels": 2, "channel_layout": 3, "version": {"openshot-qt": "2.6.1", "libopenshot": "0.2.7"},
        "layers": [{"id": "L1", "number": 1000000, "label": "", "lock": False},
                   {"id": "L2", "number": 2000000, "label": "", "lock": False}],
        "files": [{"id": "AAA", "path": "C:\\Users\\me\\Videos\\red.mp4", "media_type": "video"},
                  {"id": "BBB", "path": "/home/me/blue.mp4", "media_type": "video"}],
        "clips": [{"id": "C1", "file_id": "AAA", "layer": 1000000, "position": 0.0, "start": 0.0, "end": 2.0,
                   "title": "red.mp4", "reader": {"path": "red.mp4"}},
                  {"id": "C2", "file_id": "BBB", "layer": 2000000, "position": 1.0, "start": 0.0, "end": 1.0,
                   "alpha": {"Points": [point(1, 1.0), point(30, 1.0)]}, "title": "blue.mp4",
                   "effects": [{"id": "E9", "type": "Negate", "class_name": "Negate", "layer": 0,
                                "position": 0, "start": 0, "end": 1}]}],
        "effects": [{"id": "TR1", "type": "Mask", "class_name": "Mask", "layer": 2000000, "position": 1.0,
                     "start": 0.0, "end": 0.5, "brightness": {"Points": [point(1, 1.0), point(15, -1.0)]},
                     "contrast": {"Points": [point(1, 3.0)]}, "reader": {}, "replace_image": False}],
        "markers": [], "settings": {}, "duration": 2.0,
    }
    project = create_project(api)
    loaded = api.post(f"{project['url']}load/", {"json": json.dumps(desktop)},
                      upload_files=[("archive", "desktop.zip", _zip({"red.mp4": red, "blue.mp4": blue}))]).json
    clips = sorted((api.get(u).json for u in loaded["clips"]), key=lambda c: c["layer"])
    assert [c["layer"] for c in clips] == [1, 2]
    effects = [api.get(u).json for u in loaded["effects"]]
    assert effects[0]["type"] == "Mask" and effects[0]["layer"] == 2
    done = wait_for(api, api.post_json(f"{loaded['url']}exports/", {"audio_codec": "aac"}, status=201).json)
    assert done["status"] == "completed", done["json"]
    path = download(api, done, tmp_path, "desktop.mp4")
    assert close(pixel_at(path, 0.5, 160, 120), (255, 0, 0))
    assert close(pixel_at(path, 1.9, 160, 120), (255, 255, 0), 60)  # blue, negated by its clip effect


def test_a_file_the_archive_lacks_is_a_400_naming_it_and_nothing_changes(api, edited):
    before = comparable(api, edited)
    osp = api.get(f"{edited['url']}json/").json
    osp["files"][0]["path"] = "missing-video.mp4"
    response = api.post(f"{edited['url']}load/", {"json": json.dumps(osp)},
                        upload_files=[("archive", "x.zip", _zip({"other.mp4": b"x"}))], status=400).json
    assert "missing-video.mp4" in response["detail"]
    assert comparable(api, edited) == before


@pytest.mark.parametrize("entries, message", [
    ({"../evil.mp4": b"x", "p.osp": "{}"}, "leave"),
    ({"/abs/evil.mp4": b"x"}, "leave"),
])
def test_archive_entries_may_not_leave_the_folder(api, entries, message):
    project = create_project(api)
    response = api.post(f"{project['url']}load/", upload_files=[("archive", "a.zip", _zip(entries))], status=400)
    assert message in response.json["archive"][0]


def test_zip_bombs_corrupt_zips_and_bad_json_are_refused(api):
    project = create_project(api)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("p.osp", "{}")
        archive.writestr("zeros.mp4", b"\0" * (20 * 1024 * 1024))
    assert "zip bomb" in api.post(f"{project['url']}load/", upload_files=[("archive", "b.zip", bomb.getvalue())],
                                  status=400).json["archive"][0]
    assert "ZIP" in api.post(f"{project['url']}load/", upload_files=[("archive", "c.zip", b"PK\x03\x04junk")],
                             status=400).json["archive"][0]
    assert "JSON" in api.post(f"{project['url']}load/", {"json": "{not json"}, status=400).json["json"][0]
    assert "json" in api.post(f"{project['url']}load/", {}, status=400).json


def test_edl_and_xml_downloads_carry_the_assets(api, edited):
    import opentimelineio as otio
    refused = api.post_json(f"{edited['url']}download/format/", {"format": "edl", "json": "{}"}, status=400).json
    assert "layer" in refused["json"][0]
    edl = api.post_json(f"{edited['url']}download/format/", {"format": "edl", "json": '{"layer": 1}'})
    archive = zipfile.ZipFile(io.BytesIO(edl.body))
    document = next(n for n in archive.namelist() if n.endswith(".edl"))
    timeline = otio.adapters.read_from_string(archive.read(document).decode(), "cmx_3600", rate=30)
    clip = next(iter(timeline.find_clips()))
    assert clip.source_range.duration.to_frames() == 60
    xml = api.post(f"{edited['url']}download/format/", {"format": "xml", "json": "{}"})
    archive = zipfile.ZipFile(io.BytesIO(xml.body))
    assert {"red.mp4", "green.png"} <= set(archive.namelist())
    sequence = otio.adapters.read_from_string(archive.read(next(n for n in archive.namelist() if n.endswith(".xml"))).decode(),
                                              "fcp_xml")
    assert len(list(sequence.find_clips())) >= 2
    assert "format" in api.post_json(f"{edited['url']}download/format/", {"format": "avid"}, status=400).json
