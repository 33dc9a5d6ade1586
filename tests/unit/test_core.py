"""Settings, plugin discovery, documented contracts, bitrate parsing, media names."""
import inspect

import pytest

from openshot_api import hookspecs, interfaces
from openshot_api.errors import APIError
from openshot_api.media import check_media_path, safe_filename
from openshot_api.plugins import make_plugin_manager, plugin_listing
from openshot_api.resources.exports import parse_bitrate
from openshot_api.settings import env_key, read_settings


def test_environment_variables_override_ini_settings():
    settings = read_settings({"sqlalchemy.url": "sqlite://", "openshot_api.storage": "local"},
                             environ={"OPENSHOT_API_SQLALCHEMY_URL": "postgresql://db/x",
                                      "OPENSHOT_API_STORAGE": "s3"})
    assert settings["sqlalchemy.url"] == "postgresql://db/x"
    assert settings["openshot_api.storage"] == "s3"
    assert settings["openshot_api.page_size"] == "25"
    assert env_key("openshot_api.storage.s3.endpoint-url") == "OPENSHOT_API_STORAGE_S3_ENDPOINT_URL"


def test_every_hookspec_and_interface_method_is_documented():
    for name, spec in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("openshot_api_"):
            assert (spec.__doc__ or "").strip(), name
    for _name, cls in inspect.getmembers(interfaces, inspect.isclass):
        if issubclass(cls, Exception) or cls.__module__ != interfaces.__name__:
            continue
        for method_name, method in vars(cls).items():
            func = getattr(method, "__func__", method)
            if callable(func) and not method_name.startswith("_"):
                assert (func.__doc__ or "").strip(), f"{cls.__name__}.{method_name}"


def test_bundled_plugins_are_found_through_entry_points():
    pm = make_plugin_manager()
    names = {entry["name"] for entry in plugin_listing(pm)}
    assert {"storage_local", "render_libopenshot", "titles", "formats"} <= names


def test_a_blocked_plugin_is_not_loaded():
    pm = make_plugin_manager(blocklist=["formats"])
    assert "formats" not in {entry["name"] for entry in plugin_listing(pm)}


@pytest.mark.parametrize("given, expected", [
    (8000000, "8000000"), ("8000000", "8000000"), ("8.0 Mb/sec", "8000000"), ("192 kb/sec", "192000"),
    ("128k", "128000"), ("5 Mbps", "5000000"), ("crf 23", "crf 23"), ("crf:18", "crf 18"), ("23 crf", "crf 23"),
    ({"qp": 30}, "qp 30"), ("cqp=10", "cqp 10"),
])
def test_bitrates_are_parsed_from_the_forms_clients_send(given, expected):
    assert parse_bitrate(given, "video_bitrate") == expected


@pytest.mark.parametrize("given", ["fast", "-5", 0, True, "crf 64", "qp 256"])
def test_nonsense_bitrates_are_refused(given):
    with pytest.raises(APIError) as caught:
        parse_bitrate(given, "video_bitrate")
    assert caught.value.status == 400 and "video_bitrate" in caught.value.fields


def test_file_names_are_made_safe():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\My Clip (1).mp4") == "My_Clip_(1).mp4"
    assert safe_filename("") == "file"
    assert safe_filename(".hidden") == "hidden"


@pytest.mark.parametrize("path", ["../x", "/abs", "a/../b", "a//b", "a\\b", "C:/x", "a/./b", "x\x00y"])
def test_media_paths_that_could_escape_are_refused(path):
    with pytest.raises(APIError):
        check_media_path(path)


def test_media_paths_inside_the_folder_are_kept():
    assert check_media_path("video/files/36/LOCAL-FILE.MP4") == "video/files/36/LOCAL-FILE.MP4"
