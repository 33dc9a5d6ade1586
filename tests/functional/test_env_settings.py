"""Every setting can come from the environment alone, also keys the ini does not name: an app
whose S3 storage is configured only by OPENSHOT_API_* variables stores and serves media there.
(tests/unit/test_settings_registry.py checks the declared keys themselves.)"""
from openshot_api.settings import read_settings
from tests.factories import create_project, upload_file
from tests.functional.test_cloud_storage_e2e import activated, build_app, client_for, moto_s3


def test_a_key_only_in_the_environment_is_read_like_one_in_the_ini():
    settings = read_settings({"openshot_api.storage": "local"},
                             environ={"OPENSHOT_API_STORAGE_S3_BUCKET": "from-env",
                                      "OPENSHOT_API_STORAGE": "s3"})
    assert settings["openshot_api.storage"] == "s3"
    assert settings.get("openshot_api.storage.s3.bucket") == "from-env"
    assert "openshot_api.storage.s3.bucket" in settings
    # In the mapping itself, so Pyramid's copy (registry.settings) has it too.
    assert dict(settings)["openshot_api.storage.s3.bucket"] == "from-env"
    assert settings.sources["openshot_api.storage.s3.bucket"] == "env"
    assert settings.get("openshot_api.storage.s3.region") is None
    assert settings.get("openshot_api.storage.s3.region", "x") == "x"


def test_s3_storage_configured_only_by_environment_variables(tmp_path, media, monkeypatch):
    with moto_s3(tmp_path) as s3:
        for key, value in s3.settings(tmp_path).items():
            monkeypatch.setenv("OPENSHOT_API_" + key[len("openshot_api."):].upper().replace(".", "_"), value)
        app = build_app(tmp_path)  # the ini-like settings name no S3 key at all
        try:
            with activated(app):
                api = client_for(app)
                project = create_project(api)
                file = upload_file(api, project, media["red.mp4"])
                s3.check_media_url(file["media"])
                assert any(key.endswith("/red.mp4") for key in s3.media_objects("video/files/"))
        finally:
            app.registry["db_engine"].dispose()
