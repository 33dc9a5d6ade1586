"""The converter as the core sees it: found through the plugin hook, its formats, its errors,
and the names it gives media files."""
import pytest

from openshot_api.interfaces import FormatConverter
from openshot_api.plugins import collect, make_plugin_manager


def test_converter_is_found_through_the_format_converters_hook():
    pm = make_plugin_manager()
    converters = collect(pm.hook.openshot_api_format_converters())
    cls = converters["formats"]
    assert issubclass(cls, FormatConverter)
    assert cls.from_settings({}).formats() == ["edl", "xml", "otio"]


def test_export_is_refused_for_an_unknown_format(converter, standard):
    project, _, _ = standard
    with pytest.raises(ValueError, match="format must be one of edl, xml, otio"):
        converter.export(project, "aaf", {})


def test_export_is_refused_when_options_are_not_an_object(converter, standard):
    project, _, _ = standard
    with pytest.raises(ValueError, match="options must be a JSON object"):
        converter.export(project, "xml", [1])


def test_export_is_refused_when_a_clip_names_a_missing_file(converter, builder):
    b = builder(25, 1)
    b.clip("video", 1, position=0, start=0, end=10)["file_id"] = "404"
    with pytest.raises(ValueError, match="file 404"):
        converter.export(b.project(), "xml", {})


def test_media_file_names_are_base_names_made_distinct(converter, media):
    project = {"files": [
        dict(media["video"], id="1", name="clip.mp4"),
        dict(media["video"], id="2", name="Clip.mp4"),
        dict(media["video"], id="3", name="clip.mp4"),
        dict(media["video"], id="4", name="", path="/somewhere/dir\\evil/../x\ny.mov"),
        dict(media["video"], id="5", name="..", path=""),
    ]}
    assert converter.media_file_names(project) == {
        "1": "clip.mp4", "2": "Clip-2.mp4", "3": "clip-3.mp4", "4": "xy.mov", "5": "media-5"}
