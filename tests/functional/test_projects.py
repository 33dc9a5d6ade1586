"""Projects: fields and defaults, the three body encodings, PUT/PATCH/DELETE, pages, errors."""
import json

import pytest

from tests.factories import create_project

SPEC_FIELDS = {"url", "id", "name", "width", "height", "fps_num", "fps_den", "sample_rate", "channels",
               "channel_layout", "files", "clips", "effects", "exports", "actions", "json",
               "date_created", "date_updated"}


def test_project_is_created_from_json_with_every_field_of_the_spec(api):
    project = api.post_json("/projects/", {"name": "Example Project", "width": 1920, "height": 1080,
                                           "fps_num": 30, "fps_den": 1, "sample_rate": 44100,
                                           "channels": 2, "channel_layout": 3, "json": "{}"},
                            status=201).json
    assert set(project) == SPEC_FIELDS
    assert project["url"] == f"http://testserver/projects/{project['id']}/"
    assert project["json"] == {}
    assert project["files"] == project["clips"] == project["effects"] == project["exports"] == []
    assert f"http://testserver/projects/{project['id']}/load/" in project["actions"]
    assert f"http://testserver/projects/{project['id']}/json/" in project["actions"]
    assert project["date_created"].endswith("Z")


def test_project_is_created_from_a_form_with_json_as_an_escaped_string(api):
    project = api.post("/projects/", {"name": "Form", "width": "640", "height": "360",
                                      "json": '{"client": {"ref": 7}}'}, status=201).json
    assert project["width"] == 640 and project["height"] == 360
    assert project["json"] == {"client": {"ref": 7}}
    assert project["fps_num"] == 30 and project["sample_rate"] == 44100  # defaults


def test_project_is_created_from_multipart(api):
    project = api.post("/projects/", {"name": "Multipart", "fps_num": "24"},
                       content_type="multipart/form-data", status=201).json
    assert project["fps_num"] == 24


def test_json_may_be_sent_as_an_object(api):
    project = api.post_json("/projects/", {"name": "Obj", "json": {"a": [1, 2]}}, status=201).json
    assert api.get(project["url"]).json["json"] == {"a": [1, 2]}


def test_unknown_fields_are_ignored(api):
    project = api.post_json("/projects/", {"name": "X", "colour": "blue"}, status=201).json
    assert "colour" not in project


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "name"),
    ("width", "wide", "width"),
    ("width", 0, "width"),
    ("height", 1081, "height"),
    ("fps_num", -1, "fps_num"),
    ("fps_den", 0, "fps_den"),
    ("sample_rate", 12.5, "sample_rate"),
    ("channels", 99, "channels"),
    ("channel_layout", 12345, "channel_layout"),
    ("json", "{not json", "json"),
    ("json", "[1, 2]", "json"),
])
def test_bad_project_field_is_a_400_naming_it(api, field, value, message):
    body = {"name": "Bad"}
    body[field] = value
    response = api.post_json("/projects/", body, status=400).json
    assert message in response and response["detail"].startswith(message)


def test_missing_name_is_required(api):
    assert api.post_json("/projects/", {}, status=400).json["name"] == ["This field is required."]


def test_a_layout_that_contradicts_channels_is_refused(api):
    response = api.post_json("/projects/", {"name": "x", "channels": 2, "channel_layout": 4}, status=400)
    assert "channel_layout" in response.json


def test_malformed_json_body_is_a_400(api):
    response = api.post("/projects/", "{oops", content_type="application/json", status=400)
    assert "JSON parse error" in response.json["detail"]


def test_put_replaces_and_patch_updates_only_given_fields(api):
    project = create_project(api, name="Before")
    api.put_json(project["url"], {"name": "After", "width": 640, "height": 480}, status=200)
    after = api.get(project["url"]).json
    assert (after["name"], after["width"], after["height"]) == ("After", 640, 480)
    api.patch_json(project["url"], {"fps_num": 25}, status=200)
    patched = api.get(project["url"]).json
    assert patched["fps_num"] == 25 and patched["name"] == "After"
    assert api.put_json(project["url"], {"width": 640}, status=400).json["name"] == ["This field is required."]


def test_delete_removes_the_project(api):
    project = create_project(api)
    response = api.delete(project["url"], status=204)
    assert response.body == b""
    api.get(project["url"], status=404)


def test_every_route_works_with_and_without_the_trailing_slash(api):
    project = create_project(api)
    assert api.get(f"/projects/{project['id']}").json["id"] == project["id"]
    created = api.post_json("/projects", {"name": "no slash"}, status=201).json
    api.patch_json(f"/projects/{created['id']}", {"name": "patched"}, status=200)
    assert api.get(created["url"]).json["name"] == "patched"
    api.delete(f"/projects/{created['id']}", status=204)


def test_pages_hold_page_size_items_in_id_order_with_links(api):
    ids = [create_project(api, name=f"p{i}")["id"] for i in range(7)]
    first = api.get("/projects/").json
    assert first["count"] == 7 and first["previous"] is None
    assert [p["id"] for p in first["results"]] == ids[:5]
    assert first["next"] == "http://testserver/projects/?page=2"
    second = api.get(first["next"]).json
    assert [p["id"] for p in second["results"]] == ids[5:]
    assert second["next"] is None and second["previous"] == "http://testserver/projects/"
    assert api.get("/projects/?page=3", status=404).json["detail"] == "Invalid page."
    api.get("/projects/?page=zero", status=404)


def test_wrong_method_is_a_405_with_detail(api):
    response = api.put_json("/projects/", {"name": "x"}, status=405)
    assert response.json["detail"] == 'Method "PUT" not allowed.'


def test_unknown_route_is_a_404_with_detail(api):
    assert api.get("/nothing-here/", status=404).json == {"detail": "Not found."}


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(api):
    project = create_project(api)
    got = api.get(project["url"], headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}).json
    assert got["url"].startswith("http://testserver/")


def test_json_is_returned_as_an_object_even_when_sent_escaped_twice(api):
    project = api.post_json("/projects/", {"name": "x", "json": json.dumps({"k": "v"})}, status=201).json
    assert project["json"] == {"k": "v"}
