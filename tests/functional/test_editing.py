"""Editing endpoints judged by the rendered video: keyframes, presets, reset, captions, titles,
copy, merge, find, storage, text-replace."""
import json

import pytest

from tests.factories import create_clip, create_project, upload_file
from tests.functional.test_exports import download, wait_for
from tests.media_checks import close, pixel_at


@pytest.fixture
def white(tmp_path):
    from tests.conftest import ffmpeg
    path = tmp_path / "white.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=white:s=320x240", "-frames:v", "1", str(path))
    return str(path)


def render(api, project, tmp_path, name="out.mp4", **fields):
    done = wait_for(api, api.post_json(f"{project['url']}exports/", {"audio_codec": "aac", **fields}, status=201).json)
    assert done["status"] == "completed", done["json"]
    return download(api, done, tmp_path, name)


def test_keyframe_endpoint_adds_points_and_rejects_unknown_names(api, media):
    project = create_project(api)
    clip = create_clip(api, project, upload_file(api, project, media["green.png"]), end=2.0)
    url = f"{clip['url']}keyframes/"
    updated = api.post_json(url, {"property": "alpha", "position_in_seconds": 1.0, "curve": "Linear",
                                  "value": "0.5"}).json
    points = updated["json"]["alpha"]["Points"]
    assert {"X": 31, "Y": 0.5} in [p["co"] for p in points]
    again = api.post_json(url, {"property": "alpha", "position_in_seconds": 1.0, "curve": "Ease In (Cubic)",
                                "value": 0.25}).json["json"]["alpha"]["Points"]
    assert [p["co"]["Y"] for p in again if p["co"]["X"] == 31] == [0.25]
    bad = api.post_json(url, {"property": "sparkle", "position_in_seconds": 1, "value": 1}, status=400).json
    assert "alpha" in bad["property"][0]
    assert "Linear" in api.post_json(url, {"property": "alpha", "position_in_seconds": 1, "value": 1,
                                           "curve": "Wobbly"}, status=400).json["curve"][0]
    assert "position_in_seconds" in api.post_json(url, {"property": "alpha", "position_in_seconds": -1,
                                                        "value": 1}, status=400).json
    assert "alpha" in api.get(url).json["properties"]


def test_fade_in_preset_gives_a_grey_ramp(api, white, worker, tmp_path):
    project = create_project(api)
    clip = create_clip(api, project, upload_file(api, project, white), end=2.0)
    api.post_json(f"{clip['url']}presets/", {"preset": "Fade In", "length_in_seconds": 2.0, "curve": "Linear"})
    path = render(api, project, tmp_path)
    early, middle, late = (pixel_at(path, t, 160, 120)[0] for t in (0.1, 1.0, 1.9))
    assert early < 40 and 100 < middle < 160 and late > 215, (early, middle, late)


def test_zoom_in_changes_the_visible_size(api, worker, tmp_path):
    from tests.conftest import ffmpeg
    band = str(tmp_path / "band.png")
    ffmpeg("-f", "lavfi", "-i", "color=c=white:s=320x120", "-frames:v", "1", band)
    project = create_project(api)
    clip = create_clip(api, project, upload_file(api, project, band), end=2.0)
    assert "Zoom In" in api.get(f"{clip['url']}presets/").json["presets"]
    api.post_json(f"{clip['url']}presets/", {"preset": "Zoom In", "length_in_seconds": 2.0, "curve": "Linear"})
    path = render(api, project, tmp_path)
    # The 320x120 band fits the width (rows 60..180) and grows to 1.5x (rows 30..210).
    assert pixel_at(path, 0.05, 160, 40)[0] < 40
    assert close(pixel_at(path, 0.05, 160, 70), (255, 255, 255))
    assert close(pixel_at(path, 1.95, 160, 40), (255, 255, 255))


def test_slide_moves_the_picture_and_reset_brings_it_back(api, white, worker, tmp_path):
    project = create_project(api)
    clip = create_clip(api, project, upload_file(api, project, white), end=2.0)
    api.post_json(f"{clip['url']}presets/", {"preset": "Left to Right", "length_in_seconds": 2.0, "curve": "Linear"})
    path = render(api, project, tmp_path, "slide.mp4")
    # A quarter of the way the picture is still half off the left edge.
    assert close(pixel_at(path, 0.5, 20, 120), (255, 255, 255)) and pixel_at(path, 0.5, 300, 120)[0] < 40
    api.post(f"{clip['url']}reset/")
    path = render(api, project, tmp_path, "reset.mp4")
    assert close(pixel_at(path, 0.5, 20, 120), (255, 255, 255)) and close(pixel_at(path, 0.5, 300, 120), (255, 255, 255))


def test_captions_draw_text_during_the_cue_only(api, media, worker, tmp_path):
    from tests.conftest import ffmpeg
    black = str(tmp_path / "black.png")
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=320x240", "-frames:v", "1", black)
    project = create_project(api)
    clip = create_clip(api, project, upload_file(api, project, black), end=3.0)
    bad = api.post_json(f"{clip['url']}captions/", {"caption_text": "00:00.000 --> banana\nhello"}, status=400)
    assert "line" in bad.json["caption_text"][0]
    api.post_json(f"{clip['url']}captions/", {"caption_text": "00:00.000 --> 00:01.500\nHELLO WORLD"})
    path = render(api, project, tmp_path, "captions.mp4")
    import subprocess
    def bright_pixels(seconds):
        raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(seconds), "-i", path, "-frames:v", "1",
                              "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
        return sum(1 for b in raw if b > 180)
    assert bright_pixels(0.7) > 50
    assert bright_pixels(2.5) == 0


def test_title_renders_text_in_the_chosen_colour(api, worker, tmp_path):
    project = create_project(api)
    templates = api.get(f"{project['url']}title/").json["templates"]
    assert "Center-Text.svg" in templates
    title = api.post_json(f"{project['url']}title/", {
        "template": "Center-Text.svg", "text": "OK <&>", "font_size": 200, "fill_color": "#ffcc00",
        "fill_opacity": 1.0, "stroke_size": 0, "drop_shadow": False, "background_color": "#000000",
        "background_opacity": 1.0}, status=201).json
    assert title["media"].endswith(".svg") and title["json"]["media_type"] == "image"
    assert "&lt;&amp;&gt;" in api.get(f"{title['url']}download/").text
    create_clip(api, project, title, end=1.0)
    path = render(api, project, tmp_path, "title.mp4")
    import subprocess
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", "0.5", "-i", path, "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    pixels = [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    assert sum(1 for p in pixels if close(p, (255, 204, 0), 45)) > 100
    assert sum(1 for p in pixels if close(p, (0, 0, 0), 20)) > len(pixels) // 2
    assert "template" in api.post_json(f"{project['url']}title/", {"template": "Nope.svg"}, status=400).json
    assert "fill_color" in api.post_json(f"{project['url']}title/", {"text": "x", "fill_color": "yellowish"},
                                         status=400).json


def test_copy_is_a_deep_copy_that_renders_the_same(api, media, worker, tmp_path):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    create_clip(api, project, file, end=1.0)
    api.post_json(f"{project['url']}effects/", {"type": "Negate", "end": 1.0})
    copy = api.post_json(f"{project['url']}copy/", {"name": "Copy"}, status=201).json
    assert copy["name"] == "Copy" and len(copy["files"]) == 1 and len(copy["clips"]) == 1 and len(copy["effects"]) == 1
    copied_file = api.get(copy["files"][0]).json
    assert copied_file["media"] != file["media"]
    api.delete(file["url"])  # the copy owns its media
    path = render(api, copy, tmp_path, "copy.mp4")
    assert close(pixel_at(path, 0.5, 160, 120), (0, 255, 255))  # red, negated


def test_merge_places_clips_where_the_instructions_say(api, media):
    intro, scene = create_project(api), create_project(api)
    red = upload_file(api, intro, media["red.mp4"])
    first = create_clip(api, intro, red, position=0.0, end=3.0)
    blue = upload_file(api, scene, media["blue.mp4"])
    scene_clip = create_clip(api, scene, blue, position=0.0, end=2.0, layer=1)
    merged = api.post_json(f"{intro['url']}merge/", {
        "project": scene["url"], "position": 0, "layer": 1,
        "json": json.dumps([{"source": "all", "source_type": "all", "source_attribute": "position",
                             "target": first["id"], "target_type": "clip", "target_attribute": "end-position",
                             "offset": -1}])}).json
    clips = [api.get(url).json for url in merged["clips"]]
    new = next(c for c in clips if c["id"] != first["id"])
    assert new["json"]["original_merge_id"] == scene_clip["id"]
    assert new["position"] == 2.0 and new["layer"] == 2
    assert len(merged["files"]) == 2
    assert "json" in api.post_json(f"{intro['url']}merge/", {"project": scene["url"], "json": json.dumps(
        [{"source_type": "clip", "source": 1, "source_attribute": "middle", "target": first["id"]}])},
        status=400).json


def test_files_find_returns_files_of_clips_in_the_range(api, media):
    project = create_project(api)
    red, blue = upload_file(api, project, media["red.mp4"]), upload_file(api, project, media["blue.mp4"])
    create_clip(api, project, red, position=0.0, end=3.0)
    create_clip(api, project, blue, position=10.0, end=3.0)
    found = api.post_json(f"{project['url']}files/find/", {"position_in_seconds": 0.0, "length_in_seconds": 5.0,
                                                           "filename_contains": ""}).json
    assert [f["url"] for f in found] == [red["url"]] and found[0]["download"].endswith("/download/")
    assert api.post_json(f"{project['url']}files/find/", {"position_in_seconds": 0, "length_in_seconds": 20,
                                                          "filename_contains": "blue"}).json[0]["url"] == blue["url"]


def test_storage_backends_agree(api, media, worker):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    create_clip(api, project, file, end=1.0)
    wait_for(api, api.post_json(f"{project['url']}exports/", {}, status=201).json)
    sizes = {b: api.post_json(f"{project['url']}storage/", {"backend": b}).json["storage"] for b in ("local", "cloud", "json")}
    assert len(set(sizes.values())) == 1 and sizes["local"] > 0
    file_sizes = {b: api.post_json(f"{file['url']}storage/", {"backend": b}).json["storage"] for b in ("local", "cloud", "json")}
    assert set(file_sizes.values()) == {len(open(media["red.mp4"], "rb").read())}
    assert "backend" in api.post_json(f"{project['url']}storage/", {"backend": "tape"}, status=400).json


def test_text_replace_escapes_markup_in_svg_and_refuses_binaries(api, media):
    project = create_project(api)
    title = api.post_json(f"{project['url']}title/", {"text": "Find Me"}, status=201).json
    api.post_json(f"{title['url']}text-replace/", {"search": "Find Me", "replace": "A <b> & C"})
    svg = api.get(f"{title['url']}download/").text
    assert "A &lt;b&gt; &amp; C" in svg and "Find Me" not in svg
    import xml.dom.minidom
    xml.dom.minidom.parseString(svg)
    video = upload_file(api, project, media["red.mp4"])
    assert "search" in api.post_json(f"{video['url']}text-replace/", {"search": "a", "replace": "b"}, status=400).json


def test_file_copy_duplicates_the_asset_into_another_project(api, media):
    first, second = create_project(api), create_project(api)
    file = upload_file(api, first, media["green.png"])
    copy = api.post_json(f"{file['url']}copy/", {"name": "NewFileName.png", "project": str(second["id"])},
                         status=201).json
    assert copy["project"] == second["url"] and copy["media"].endswith("/NewFileName.png")
    assert api.get(f"{copy['url']}download/").body == open(media["green.png"], "rb").read()


def test_thumbnails_of_files_and_projects(api, media):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    create_clip(api, project, file, end=2.0)
    thumb = api.get(f"{file['url']}thumbnail/")
    assert thumb.content_type == "image/jpeg" and thumb.body[:2] == b"\xff\xd8"
    png = api.post_json(f"{project['url']}thumbnail/", {"frame_number": 10, "width": 160, "height": 120,
                                                        "image_format": "PNG", "image_quality": 100})
    assert png.content_type == "image/png" and png.body[:4] == b"\x89PNG"
    assert "image_format" in api.post_json(f"{project['url']}thumbnail/", {"image_format": "TIFF"}, status=400).json
    assert "frame_number" in api.post_json(f"{project['url']}thumbnail/", {"frame_number": 999}, status=400).json


def test_validate_reports_every_problem(api, media, registry):
    project = create_project(api)
    response = api.get(f"{project['url']}validate/", status=400).json
    assert any("empty" in p["detail"] for p in response["problems"])
    file = upload_file(api, project, media["red.mp4"])
    create_clip(api, project, file, end=9.0)
    registry["services"].storage.delete(file["media"].split("/media/", 1)[1])
    report = api.post_json(f"{project['url']}validate/", {}, status=400).json
    # A clip past its file's end renders (last frame or blank): a warning, not a problem.
    assert {p["field"] for p in report["problems"]} == {"media"}
    assert {w["field"] for w in report["warnings"]} == {"end"}
    refused = api.post_json(f"{project['url']}exports/", {}, status=400).json
    assert "missing" in refused["detail"]
