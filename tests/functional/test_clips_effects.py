"""Clips and effects: defaults from libopenshot, validation, updates, isolation."""
import pytest

from tests.factories import create_clip, create_project, upload_file


@pytest.fixture
def project_with_file(api, media):
    project = create_project(api)
    return project, upload_file(api, project, media["red.mp4"])


def test_clip_gets_libopenshot_defaults_merged_with_the_clients_json(api, project_with_file):
    project, file = project_with_file
    clip = create_clip(api, project, file, position=1.5, end=2.0, layer=2,
                       json='{"alpha": {"Points": [{"co": {"X": 1, "Y": 0.5}, "interpolation": 2}]}}')
    assert set(clip) == {"url", "file", "id", "position", "start", "end", "layer", "actions", "project",
                         "json", "date_created", "date_updated"}
    assert clip["file"] == file["url"] and clip["project"] == project["url"]
    assert (clip["position"], clip["start"], clip["end"], clip["layer"]) == (1.5, 0.0, 2.0, 2)
    assert clip["json"]["alpha"]["Points"][0]["co"]["Y"] == 0.5
    assert clip["json"]["scale_x"]["Points"][0]["co"]["Y"] == 1
    assert clip["json"]["reader"]["width"] == 320
    assert sorted(a.rsplit("/", 2)[-2] for a in clip["actions"]) == ["captions", "keyframes", "presets", "reset"]


def test_clip_end_defaults_to_the_files_duration(api, project_with_file):
    project, file = project_with_file
    clip = api.post_json("/clips/", {"file": file["url"], "project": project["url"]}, status=201).json
    assert abs(clip["end"] - 3.0) < 0.1


@pytest.mark.parametrize("fields, field", [
    ({"position": -1}, "position"),
    ({"start": 2.0, "end": 1.0}, "end"),
    ({"start": 1.0, "end": 1.0}, "end"),
    ({"start": "abc"}, "start"),
    ({"layer": 1.5}, "layer"),
    ({"json": "{bad"}, "json"),
])
def test_bad_clip_field_is_a_400_naming_it(api, project_with_file, fields, field):
    project, file = project_with_file
    body = {"file": file["url"], "project": project["url"], **fields}
    assert field in api.post_json("/clips/", body, status=400).json


def test_clip_needs_a_file_of_the_same_project(api, media):
    first, second = create_project(api), create_project(api)
    file = upload_file(api, first, media["green.png"])
    response = api.post_json("/clips/", {"file": file["url"], "project": second["url"]}, status=400)
    assert "file" in response.json


def test_clip_patch_changes_only_what_is_given(api, project_with_file):
    project, file = project_with_file
    clip = create_clip(api, project, file)
    patched = api.patch_json(clip["url"], {"position": 4.0, "json": {"gravity": 1}}).json
    assert patched["position"] == 4.0 and patched["end"] == clip["end"]
    assert patched["json"]["gravity"] == 1 and "reader" in patched["json"]
    api.patch_json(clip["url"], {"start": 5.0}, status=400)
    api.delete(clip["url"], status=204)
    api.get(clip["url"], status=404)


def test_clips_are_listed_per_project_and_posted_by_id(api, project_with_file):
    project, file = project_with_file
    clip = api.post_json(f"{project['url']}clips/", {"file": file["id"], "end": 1.0}, status=201).json
    assert [c["id"] for c in api.get(f"{project['url']}clips/").json["results"]] == [clip["id"]]
    assert api.get(project["url"]).json["clips"] == [clip["url"]]


def test_deleting_a_file_deletes_its_clips(api, project_with_file):
    project, file = project_with_file
    clip = create_clip(api, project, file)
    api.delete(file["url"], status=204)
    api.get(clip["url"], status=404)


def test_effect_gets_libopenshot_defaults(api):
    project = create_project(api)
    effect = api.post_json("/effects/", {"title": "Transition", "type": "Mask", "position": 0.0, "start": 0.0,
                                         "end": 10.0, "layer": 1, "project": project["url"], "json": "{}"},
                           status=201).json
    assert set(effect) == {"url", "id", "title", "type", "position", "start", "end", "layer", "project", "json",
                           "date_created", "date_updated"}
    assert effect["json"]["class_name"] == "Mask"
    assert "brightness" in effect["json"] and "contrast" in effect["json"]


def test_unknown_effect_type_is_a_400_listing_the_known_ones(api):
    project = create_project(api)
    response = api.post_json("/effects/", {"type": "Sparkles", "project": project["url"]}, status=400).json
    assert "Negate" in response["type"][0]


def test_effect_update_and_delete(api):
    project = create_project(api)
    effect = api.post_json(f"{project['url']}effects/", {"type": "Negate"}, status=201).json
    assert effect["title"] == "Negate"
    changed = api.put_json(effect["url"], {"type": "Blur", "title": "Soft", "end": 3}).json
    assert changed["json"]["class_name"] == "Blur" and changed["end"] == 3
    api.delete(effect["url"], status=204)
    assert api.get(f"{project['url']}effects/").json["count"] == 0
