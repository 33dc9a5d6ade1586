"""Three things real clients tripped on: a deleted object's id handed out again (SQLite), stored
media without a Content-Type (S3 served it as binary), and a bare transcription request
refused because the default model was not installed."""
import pytest

from tests.factories import create_clip, create_project, upload_file
from tests.functional.test_cloud_storage_e2e import (
    build_app,
    client_for,
    key_of,
    moto_s3,
)
from tests.functional.test_transcribe import wait_for_transcript

# --- ids are never reused, on SQLite and PostgreSQL ---------------------------------------------

def assert_not_reused(api, make):
    """Delete the newest object of a kind and make another: it must get a new id."""
    newest = make()
    api.delete(newest["url"], status=204)
    again = make()
    assert again["id"] > newest["id"], (newest["url"], again["url"])
    return again


def test_a_deleted_objects_id_is_never_handed_out_again(api, media):
    project = assert_not_reused(api, lambda: create_project(api))
    file = assert_not_reused(api, lambda: upload_file(api, project, media["red.mp4"]))
    assert_not_reused(api, lambda: create_clip(api, project, file, end=1.0))
    assert_not_reused(api, lambda: api.post_json("/effects/", {
        "type": "Negate", "project": project["url"], "position": 0.0, "start": 0.0, "end": 1.0,
        "layer": 1, "json": "{}"}, status=201).json)
    assert_not_reused(api, lambda: api.post_json("/exports/", {"project": project["url"]}, status=201).json)


# --- stored media has its Content-Type, in an S3 bucket (moto) ----------------------------------

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48">'
       b'<rect width="64" height="48" fill="#0f0"/></svg>')


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with moto_s3(tmp_path_factory.mktemp("s3-emulator")) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def s3_api(s3, tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("s3-app"), **s3.settings(tmp_path_factory.mktemp("s3-cache")))
    yield client_for(app)
    app.registry["db_engine"].dispose()


def stored_type(s3, file):
    return s3.sdk.head_object(Bucket=s3.media_bucket, Key="site/" + key_of(s3, file))["ContentType"]


@pytest.mark.slow
def test_media_is_stored_with_the_type_its_bytes_show_never_svg(s3, s3_api, media, tmp_path):
    project = create_project(s3_api)
    # The client's name says nothing: the bytes do.
    assert stored_type(s3, upload_file(s3_api, project, media["red.mp4"], name="clip.bin")) == "video/mp4"
    assert stored_type(s3, upload_file(s3_api, project, media["green.png"])) == "image/png"
    assert stored_type(s3, upload_file(s3_api, project, media["tone.wav"])) == "audio/wav"
    s3.put("incoming/blue.mp4", media["blue.mp4"])
    imported = s3_api.post_json("/files/", {"project": project["url"], "json": s3.import_spec("incoming/blue.mp4")},
                                status=201).json
    assert stored_type(s3, imported) == "video/mp4"
    # SVG runs script on the bucket's origin if served as image/svg+xml: never typed so.
    svg = tmp_path / "shape.svg"
    svg.write_bytes(SVG)
    assert stored_type(s3, upload_file(s3_api, project, str(svg), name="shape.png")) == "application/octet-stream"
    title = s3_api.post_json(f"{project['url']}title/", {"text": "Hello"}, status=201).json
    assert stored_type(s3, title) == "application/octet-stream"


# --- transcription's default model ------------------------------------------------------------

def test_a_bare_transcribe_request_uses_the_installed_default_model(api, media, worker):
    project = create_project(api)
    file = upload_file(api, project, media["tone.wav"])
    queued = api.post_json(f"{file['url']}transcribe/", {}, status=200).json
    assert queued["json"]["transcribe"]["model"] == "tiny.en"
    job = wait_for_transcript(api, file)
    assert job["status"] == "completed", job


def test_the_default_model_follows_the_setting_and_the_language():
    from openshot_api.resources.transcribe import default_model
    assert default_model({}, "", False) == "tiny.en"
    assert default_model({"openshot_api.transcribe.default_model": "base"}, "fr", False) == "base"
    # An English-only default asked for French or a translation: its multilingual form.
    assert default_model({"openshot_api.transcribe.default_model": "small.en"}, "fr", False) == "small"
    assert default_model({"openshot_api.transcribe.default_model": "small.en"}, "en", True) == "small"
    assert default_model({"openshot_api.transcribe.default_model": "small.en"}, "en", False) == "small.en"
