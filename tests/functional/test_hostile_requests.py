"""Requests a hostile user sends to pages and routes: redirects after login stay on this site,
HTML pages cannot be framed, ids nobody could have are a 404, and bad input (bodies the parsers
cannot read, numbers nothing can render, json of the wrong kinds, also stored before it was
checked) is a 400 naming the field, never a 500."""
import json
import re
from types import SimpleNamespace

import pytest
import webtest

from tests.factories import create_clip, create_project, upload_file


def _login_to(app, username, password, next_url):
    page = app.get("/api-auth/login/", {"next": next_url})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return app.post("/api-auth/login/?" + webtest.utils.urlencode({"next": next_url}),
                    {"username": username, "password": password, "csrf_token": token}, status=302)


@pytest.mark.parametrize("target", ["http://testserver@evil.example/phish", "//evil.example/x", "/\\evil.example",
                                    "https://evil.example/", "http://testserver.evil.example/",
                                    "javascript:alert(1)", "/\x00x", "evil.example"])
def test_next_after_login_never_leaves_the_site(wsgi_app, make_user, target):
    username, password, _ = make_user()
    browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    location = _login_to(browser, username, password, target).headers["Location"]
    assert location == "http://testserver/", location


def test_next_after_login_keeps_a_path_on_the_site(wsgi_app, make_user):
    username, password, _ = make_user()
    browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    location = _login_to(browser, username, password, "/demo/projects/?page=1").headers["Location"]
    assert location == "http://testserver/demo/projects/?page=1"


@pytest.mark.parametrize("path", ["/api-auth/login/", "/"])
def test_html_pages_cannot_be_framed_by_other_sites(anon, path):
    page = anon.get(path, headers={"Accept": "text/html"})
    assert page.content_type == "text/html"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("ident", [str(2 ** 63), str(2 ** 64), "99999999999999999999999", "0"])
def test_ids_too_large_for_the_database_are_a_404(api, ident):
    for kind in ("projects", "files", "clips", "effects", "exports"):
        api.get(f"/{kind}/{ident}/", status=404)
    for reference in (ident, f"http://testserver/projects/{ident}/"):
        api.post_json("/files/", {"project": reference, "json": {"url": "x"}}, status=404)


def test_a_superscript_digit_is_not_an_id(api):
    api.post_json("/clips/", {"project": "\u00b9", "file": "\u00b9"}, status=400)
    api.get("/projects/%C2%B9/", status=404)


def test_the_login_form_carries_next_back_and_lands_there(wsgi_app, make_user):
    username, password, _ = make_user()
    browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    form = browser.get("/api-auth/login/", {"next": "/demo/exports/"}).forms[0]
    form["username"], form["password"] = username, password
    assert form.submit(status=302).headers["Location"] == "http://testserver/demo/exports/"


# --- bad input: each of these was a 500 ---------------------------------------------------------

def _store(registry, model, ident, **fields):
    """Write ``fields`` straight to a row, as data stored before a check existed would be."""
    import transaction

    from openshot_api.db import get_tm_session
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        row = get_tm_session(registry["dbsession_factory"], tm).get(model, ident)
        for key, value in fields.items():
            setattr(row, key, value)


@pytest.fixture
def clip_project(api, media):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    return project, file, create_clip(api, project, file, end=2.0)


@pytest.mark.parametrize("raw, field", [
    (b'{"name": "\\ud800"}', "name"), (b'{"name": "x", "json": {"a": ["\\udc00"]}}', "json"),
    (b'{"name": "\xed\xa0\x80"}', None), (b'{"\\ud800": 1, "name": "x"}', None)])
def test_a_lone_surrogate_in_a_json_body_is_a_400(api, raw, field):
    answer = api.post("/projects/", raw, content_type="application/json", status=400).json
    assert answer["detail"]
    if field:
        assert answer[field] and "surrogate" in answer[field][0]


def test_a_surrogate_pair_is_one_character_and_kept(api):
    project = api.post("/projects/", b'{"name": "\\ud83d\\ude00"}', content_type="application/json", status=201).json
    assert project["name"] == "\U0001F600"
    form = api.post("/projects/", {"name": "x", "json": '{"a": "\\udbff"}'}, status=400).json
    assert "surrogate" in form["json"][0]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "9" * 400])
def test_numbers_json_cannot_hold_are_a_400(api, clip_project, number):
    _, _, clip = clip_project
    raw = ('{"json": {"alpha": {"Points": [{"co": {"X": 1, "Y": %s}}]}}}' % number).encode()
    answer = api.patch(clip["url"], raw, content_type="application/json", status=400).json
    assert "JSON parse error" in answer["detail"]


@pytest.mark.parametrize("content_type", [
    "multipart/form-data", "multipart/form-data; boundary=", 'multipart/form-data; boundary=""',
    "multipart/form-data; boundary=" + "b" * 300, "multipart/form-data; boundary=x; charset=latin-7",
    "application/x-www-form-urlencoded; charset=koi8-r"])
@pytest.mark.parametrize("path", ["/projects/", "{project}merge/", "/files/", "/clips/", "{project}load/",
                                  "{project}title/", "{project}thumbnail/", "{project}files/find/"])
def test_a_form_body_the_parser_cannot_read_is_a_400_naming_the_header(api, path, content_type):
    project = create_project(api)
    body = b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nabc\r\n--x--\r\n'
    answer = api.post(path.format(project=project["url"]), body, headers={"Content-Type": content_type},
                      status=400).json
    assert answer["Content-Type"], answer


def test_a_nested_part_without_a_boundary_is_a_400(api):
    body = (b'--x\r\nContent-Disposition: form-data; name="name"\r\nContent-Type: multipart/mixed\r\n\r\n'
            b'abc\r\n--x--\r\n')
    api.post("/projects/", body, headers={"Content-Type": "multipart/form-data; boundary=x"}, status=400)


@pytest.mark.parametrize("fields, field", [
    ({"end": 1e308}, "end"), ({"position": 1e300}, "position"), ({"start": 1e20, "end": 2e20}, "start"),
    ({"end": "1e400"}, "end"), ({"layer": 2 ** 70}, "layer"), ({"json": {"end": 1e308}}, "json")])
def test_times_libopenshot_cannot_render_are_a_400_naming_the_field(api, clip_project, fields, field):
    project, file, clip = clip_project
    assert field in api.post_json("/clips/", {"project": project["url"], "file": file["url"], **fields},
                                  status=400).json
    assert field in api.patch_json(clip["url"], fields, status=400).json
    effect = {"project": project["url"], "type": "Blur", **fields}
    assert field in api.post_json("/effects/", effect, status=400).json


def test_a_clip_longer_than_libopenshot_counts_is_refused_at_write_but_renders_up_to_it(api, clip_project):
    project, file, clip = clip_project
    api.patch_json(clip["url"], {"end": 3.7e13}, status=200)
    api.get(f"{project['url']}thumbnail/", {"width": 64, "height": 48}, status=200)


@pytest.mark.parametrize("path, body, field", [
    ("{clip}keyframes/", {"property": "alpha", "position_in_seconds": 1e308, "value": 1}, "position_in_seconds"),
    ("{clip}presets/", {"preset": "Fade In", "length_in_seconds": 1e308}, "length_in_seconds"),
    ("{project}merge/", {"project": "{other}", "position": 1e308}, "position"),
    ("{project}merge/", {"project": "{other}", "layer": 2 ** 40}, "layer"),
    ("{project}merge/", {"project": "{other}", "json": [{"offset": "inf", "target": "{clip_id}"}]}, "json"),
    ("{project}merge/", {"project": "{other}", "json": [{"offset": 1e308, "target": "{clip_id}"}]}, "json"),
    ("{project}merge/", {"project": "{other}", "json": [{"source_attribute": "layer", "target_attribute": "layer",
                                                         "offset": 1e12, "target": "{clip_id}"}]}, "json")])
def test_huge_offsets_and_times_in_actions_are_a_400(api, media, clip_project, path, body, field):
    project, _, clip = clip_project
    other = create_project(api)
    create_clip(api, other, upload_file(api, other, media["blue.mp4"]), end=1.0)
    names = {"clip": clip["url"], "project": project["url"], "other": other["url"], "clip_id": clip["id"]}
    body = json.loads(json.dumps(body).replace("{other}", other["url"]).replace('"{clip_id}"', str(clip["id"])))
    assert field in api.post_json(path.format(**names), body, status=400).json


def test_a_clip_stored_with_an_absurd_end_is_refused_by_renders_not_a_500(api, registry, clip_project):
    from openshot_api.models import Clip
    project, _, clip = clip_project
    _store(registry, Clip, clip["id"], end=1e308)
    api.get(f"{project['url']}thumbnail/", {"width": 64, "height": 48}, status=200)
    assert api.get(f"{project['url']}validate/", status=400).json["problems"][0]["field"] == "end"
    api.post_json("/exports/", {"project": project["url"], "end_frame": 3}, status=400)
    api.post_json("/exports/", {"project": project["url"]}, status=400)
    api.post_json(f"{clip['url']}presets/", {"preset": "Fade Out"}, status=400)
    for fmt in ("xml", "edl", "otio"):
        api.post_json(f"{project['url']}download/format/", {"format": fmt, "json": {"layer": 1}}, status=400)


def test_a_file_name_must_be_a_string_and_one_stored_as_an_object_is_not_a_500(api, registry, clip_project):
    from openshot_api.models import File
    project, file, _ = clip_project
    assert "name" in api.patch_json(file["url"], {"json": {"name": {"a": 1}}}, status=400).json["json"][0]
    _store(registry, File, file["id"], json={**file["json"], "name": {"a": 1}})
    assert [f["id"] for f in api.get(f"{project['url']}files/find/").json] == [file["id"]]
    assert api.get(f"{project['url']}files/find/", {"filename_contains": "red"}).json
    osp = api.get(f"{project['url']}json/").json
    assert "name" not in osp["files"][0]  # the project file leaves out what is not a name
    api.post_json(f"{create_project(api)['url']}load/", {"json": osp}, status=200)


@pytest.mark.parametrize("key, value", [("duration", "long"), ("width", "wide"), ("fps", "30"),
                                        ("fps", {"num": "a", "den": 1}), ("video_length", "ninety"),
                                        ("has_audio", "yes"), ("metadata", [1]), ("transcripts", "en"),
                                        ("channels", 2 ** 40), ("url", 5)])
def test_file_json_libopenshot_cannot_read_is_a_400_and_old_rows_do_not_break_reads(api, registry, clip_project,
                                                                                      key, value):
    from openshot_api.models import File
    project, file, clip = clip_project
    assert key in api.patch_json(file["url"], {"json": {key: value}}, status=400).json["json"][0]
    _store(registry, File, file["id"], json={**file["json"], key: value})
    assert api.get(f"{file['url']}thumbnail/", {"width": 64, "height": 48}, expect_errors=True).status_int in (200, 400)
    for fmt in ("xml", "edl", "otio"):
        api.post_json(f"{project['url']}download/format/", {"format": fmt, "json": {"layer": 1}}, status=200)
    api.get(f"{project['url']}files/find/", status=200)
    api.post_json(f"{clip['url']}captions/", {"append_file_transcript": True}, expect_errors=True).status_int in (400,)


@pytest.mark.parametrize("fmt", ["xml", "edl", "otio"])
def test_download_format_of_a_project_slower_than_one_frame_a_second(api, media, fmt):
    project = create_project(api, fps_num=1, fps_den=2)
    create_clip(api, project, upload_file(api, project, media["red.mp4"]), end=2.0)
    api.post_json(f"{project['url']}download/format/", {"format": fmt, "json": {"layer": 1}}, status=200)


@pytest.mark.parametrize("value, interlaced", [("no", False), ("false", False), ("0", False), ("off", False),
                                               (0, False), (False, False), ("yes", True), ("TRUE", True),
                                               (1, True), (True, True), (None, False)])
def test_export_json_booleans_are_read_as_booleans(value, interlaced):
    from openshot_api import timeline
    export = SimpleNamespace(json={"interlaced": value, "top_field_first": value}, export_type="video",
                             video_format="mp4", video_codec="libx264", video_bitrate="1", audio_codec="aac",
                             audio_bitrate="1", start_frame=1, end_frame=2)
    project = SimpleNamespace(fps_num=30, fps_den=1, width=320, height=240, sample_rate=44100, channels=2,
                              channel_layout=3)
    settings = timeline.export_settings(export, project)
    assert settings["interlaced"] is interlaced
    assert settings["top_field_first"] is (True if value is None else interlaced)


@pytest.mark.parametrize("json_", [{"alpha": "abc"}, {"alpha": {"Points": [1]}}, {"gravity": "top"},
                                   {"alpha": {"Points": [{"co": {"X": "a", "Y": 1}}]}}, {"scale": 2 ** 40},
                                   {"wave_color": {"red": 5}}, {"volume": {"Points": "loud"}}])
def test_clip_json_libopenshot_cannot_read_is_a_400(api, clip_project, json_):
    project, file, clip = clip_project
    assert "json" in api.patch_json(clip["url"], {"json": json_}, status=400).json
    assert "json" in api.post_json("/clips/", {"project": project["url"], "file": file["url"], "json": json_},
                                   status=400).json


def test_keyframes_and_validate_read_clip_json_stored_before_it_was_checked(api, registry, clip_project):
    from openshot_api.models import Clip
    project, _, clip = clip_project
    _store(registry, Clip, clip["id"], json={**clip["json"], "alpha": {"Points": [1, {"co": {"X": "a"}}]},
                                             "effects": ["Blur", 3]})
    done = api.post_json(f"{clip['url']}keyframes/", {"property": "alpha", "position_in_seconds": 1, "value": 0.5},
                         status=200).json
    assert all(isinstance(p, dict) for p in done["json"]["alpha"]["Points"])
    api.post_json(f"{clip['url']}presets/", {"preset": "Fade In"}, status=200)
    assert api.get(f"{project['url']}validate/", status=400).json["problems"]


def test_a_copy_of_a_project_with_the_longest_name_keeps_a_name_that_fits(api):
    project = create_project(api, name="n" * 255)
    copied = api.post_json(f"{project['url']}copy/", {}, status=201).json
    assert copied["name"].endswith(" (copy)") and len(copied["name"]) <= 255


def test_storage_in_json_counts_only_sizes_that_are_numbers(api, registry, clip_project):
    from openshot_api.models import Export, File
    project, file, _ = clip_project
    export = api.post_json("/exports/", {"project": project["url"], "end_frame": 3}, status=201).json
    _store(registry, Export, export["id"], output="video/output/0/x.mp4", json={"file_size": "big"})
    _store(registry, File, file["id"], json={**file["json"], "file_size": {"a": 1}})
    assert api.get(f"{project['url']}storage/", {"backend": "json"}, status=200).json["storage"] == 0


@pytest.mark.parametrize("part", [b"\r\nx", b"Content-Disposition: form-data\r\n\r\nx"])
def test_a_form_field_without_a_name_is_no_field(api, part):
    """Django's parsers skip such parts; so does this service (they were a 500)."""
    body = b"--b\r\n" + part + b'\r\n--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nKept\r\n--b--\r\n'
    project = api.post("/projects/", body, headers={"Content-Type": "multipart/form-data; boundary=b"},
                       status=201).json
    assert project["name"] == "Kept"
    assert api.post(f"{project['url']}storage/", b"--b\r\n" + part + b"\r\n--b--\r\n",
                    headers={"Content-Type": "multipart/form-data; boundary=b"}, status=200).json["storage"] >= 0
    assert api.post("/projects/", "=x&name=Form", content_type="application/x-www-form-urlencoded",
                    status=201).json["name"] == "Form"
