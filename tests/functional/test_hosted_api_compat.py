"""Requests the hosted OpenShot Cloud API accepts, as real public clients send them: the Go SDK's
zero-valued clip body, the Node client's form-encoded clip past its media, and clips whose
``json`` repeats (and must agree with) their position/start/end/layer."""
import pytest

from tests.factories import create_clip, create_project, upload_file
from tests.functional.test_exports import download, wait_for
from tests.media_checks import probe, stream


def go_sdk_clip(project, file, **fields):
    """The body of the Go SDK's documented clip creation: zero values for what it leaves unset."""
    return {"start": 0, "end": 0, "id": 0, "url": "", "actions": None, "position": 0, "layer": 1,
            "file": file["url"], "project": project["url"], "json": {}, **fields}


def rendered(api, project, tmp_path):
    """ffprobe's view of a default export of ``project``, once the worker has rendered it."""
    export = api.post_json(f"{project['url']}exports/", {}, status=201).json
    done = wait_for(api, export)
    assert done["status"] == "completed", done["json"]
    return probe(download(api, done, tmp_path, "out.mp4"))


def in_step(clip):
    return all(clip["json"][key] == clip[key] for key in ("position", "start", "end", "layer"))


def test_go_sdk_zero_valued_clip_lasts_its_file_and_renders(api, media, worker, tmp_path):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    clip = api.post_json("/clips/", go_sdk_clip(project, file), status=201).json
    assert abs(clip["end"] - 3.0) < 0.1 and clip["start"] == 0.0 and in_step(clip)
    info = rendered(api, project, tmp_path)
    assert abs(float(info["format"]["duration"]) - clip["end"]) < 0.1
    assert abs(int(stream(info, "video")["nb_read_frames"]) - round(clip["end"] * 30)) <= 1


def test_go_sdk_zero_end_on_an_image_gets_the_default_length(api, media):
    project = create_project(api)
    file = upload_file(api, project, media["green.png"])
    clip = api.post_json("/clips/", go_sdk_clip(project, file), status=201).json
    assert clip["end"] == 10.0 and in_step(clip)


def test_clip_past_its_media_exports_with_a_validate_warning(api, media, worker, tmp_path):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    # Form-encoded, as the Node client sends it; the file lasts 3 s.
    clip = api.post("/clips/", {"file": file["url"], "project": project["url"], "position": "0",
                                "start": "0", "end": "5", "layer": "1", "json": "{}"}, status=201).json
    assert clip["end"] == 5.0 and in_step(clip)
    report = api.get(f"{project['url']}validate/", status=200).json
    assert report["problems"] == []
    assert [(w["object"], w["field"]) for w in report["warnings"]] == [(clip["url"], "end")]
    info = rendered(api, project, tmp_path)
    assert abs(float(info["format"]["duration"]) - 5.0) < 0.1
    assert abs(int(stream(info, "video")["nb_read_frames"]) - 150) <= 1


def test_validate_still_refuses_real_problems_and_lists_warnings_too(api, media, registry):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    create_clip(api, project, file, end=9.0)
    registry["services"].storage.delete(file["media"].split("/media/", 1)[1])
    report = api.get(f"{project['url']}validate/", status=400).json
    assert [p["field"] for p in report["problems"]] == ["media"]
    assert [w["field"] for w in report["warnings"]] == ["end"]


@pytest.mark.parametrize("method", ["put_json", "patch_json"])
@pytest.mark.parametrize("end", [0, None])
def test_update_with_end_zero_or_null_means_the_files_end(api, media, method, end):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    clip = create_clip(api, project, file, end=1.0)
    body = go_sdk_clip(project, file, end=end) if method == "put_json" else {"end": end}
    changed = getattr(api, method)(clip["url"], body).json
    assert abs(changed["end"] - 3.0) < 0.1 and in_step(changed)
    assert api.get(clip["url"]).json == changed


def test_end_before_start_stays_a_400(api, media):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    clip = create_clip(api, project, file, end=2.0)
    assert "end" in api.patch_json(clip["url"], {"start": 2.5, "end": 1.0}, status=400).json
    assert "end" in api.post_json("/clips/", go_sdk_clip(project, file, start=4.0), status=400).json


def test_json_and_fields_of_a_clip_stay_in_step(api, media):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    clip = create_clip(api, project, file, end=2.0)
    assert in_step(clip)
    # The json's twin changes the field ...
    api.patch_json(clip["url"], {"json": {"end": 2.5, "position": 1.0, "layer": 3}})
    got = api.get(clip["url"]).json
    assert (got["end"], got["position"], got["layer"]) == (2.5, 1.0, 3) and in_step(got)
    # ... the field changes the json ...
    api.patch_json(clip["url"], {"end": 1.5, "start": 0.5})
    got = api.get(clip["url"]).json
    assert (got["end"], got["start"]) == (1.5, 0.5) and in_step(got)
    # ... and when both are sent, the field wins.
    api.patch_json(clip["url"], {"end": 2.0, "json": {"end": 2.8, "start": 0.25}})
    got = api.get(clip["url"]).json
    assert (got["end"], got["start"]) == (2.0, 0.25) and in_step(got)
    # A clip created with a json that disagrees with its fields keeps the fields.
    made = create_clip(api, project, file, end=2.0, layer=1, json={"end": 2.9, "layer": 0})
    assert (made["end"], made["layer"]) == (2.0, 1) and in_step(made)
    # A bad twin is a 400 naming json.
    assert "json" in api.patch_json(clip["url"], {"json": {"end": "soon"}}, status=400).json


def test_clip_actions_keep_the_json_in_step(api, media):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    clip = create_clip(api, project, file, position=0.5, start=0.5, end=2.5, layer=2)
    for action, body in (("presets/", {"preset": "Fade In"}),
                         ("keyframes/", {"property": "alpha", "position_in_seconds": 1.0, "value": 0.5}),
                         ("reset/", {})):
        assert in_step(api.post_json(f"{clip['url']}{action}", body).json)


def test_effect_json_and_fields_stay_in_step(api):
    project = create_project(api)
    effect = api.post_json(f"{project['url']}effects/", {"type": "Blur", "position": 1.0, "end": 3.0,
                                                         "layer": 2}, status=201).json
    twins = ("position", "start", "end", "layer")
    assert all(effect["json"][key] == effect[key] for key in twins)
    changed = api.patch_json(effect["url"], {"json": {"end": 4.0, "layer": 5}}).json
    assert (changed["end"], changed["layer"]) == (4.0, 5)
    changed = api.put_json(effect["url"], {"type": "Negate", "end": 2.0, "json": {"end": 9.0}}).json
    assert changed["end"] == 2.0 and all(changed["json"][key] == changed[key] for key in twins)

