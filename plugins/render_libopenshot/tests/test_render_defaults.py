"""Clip and effect defaults come from libopenshot itself, shaped like the spec's clip json."""
import pytest

from openshot_api.interfaces import Renderer
from openshot_api_render_libopenshot import LibopenshotRenderer, openshot_api_renderers

KEYFRAMES = ("alpha", "scale_x", "scale_y", "location_x", "location_y", "rotation", "shear_x",
             "shear_y", "origin_x", "origin_y", "volume", "time", "channel_filter",
             "channel_mapping", "has_audio", "has_video")


def constant(keyframe):
    (point,) = keyframe["Points"]
    assert point["co"]["X"] == 1 and point["interpolation"] == 2
    return point["co"]["Y"]


def test_the_hook_offers_the_libopenshot_renderer_as_a_renderer():
    renderers = openshot_api_renderers()
    assert renderers == {"libopenshot": LibopenshotRenderer}
    assert issubclass(LibopenshotRenderer, Renderer)


def test_clip_defaults_have_every_keyframe_of_the_spec_clip_at_libopenshot_values(renderer, probed):
    reader = probed("red.mp4")
    clip = renderer.clip_defaults(reader)
    for key in KEYFRAMES:
        assert key in clip, key
    assert constant(clip["alpha"]) == 1 and constant(clip["volume"]) == 1
    assert constant(clip["scale_x"]) == 1 and constant(clip["scale_y"]) == 1
    assert constant(clip["location_x"]) == 0 and constant(clip["rotation"]) == 0
    assert constant(clip["has_audio"]) == -1 and constant(clip["channel_filter"]) == -1
    assert constant(clip["time"]) == 1
    assert (clip["scale"], clip["gravity"], clip["anchor"], clip["display"]) == (1, 4, 0, 0)
    assert clip["waveform"] is False
    wave = {c: clip["wave_color"][c]["Points"][0]["co"]["Y"] for c in ("red", "green", "blue", "alpha")}
    assert wave == {"red": 0, "green": 123, "blue": 255, "alpha": 255}
    assert clip["reader"] == reader
    assert clip["end"] == pytest.approx(reader["duration"])


def test_clip_defaults_take_the_rotation_of_phone_videos_from_metadata(renderer, probed):
    reader = dict(probed("red.mp4"), metadata={"rotate": "90"})
    assert constant(renderer.clip_defaults(reader)["rotation"]) == 90


def test_effect_types_list_every_libopenshot_effect_with_properties(renderer):
    types = {effect["class_name"]: effect for effect in renderer.effect_types()}
    assert {"Negate", "Blur", "Brightness", "Mask", "ChromaKey", "Wave"} <= set(types)
    brightness = types["Brightness"]
    assert brightness["has_video"] is True and brightness["has_audio"] is False
    assert brightness["name"] and brightness["description"]
    assert brightness["properties"]["brightness"]["value"] == 0
    assert brightness["defaults"]["class_name"] == "Brightness"


def test_effect_defaults_are_the_json_of_a_new_effect(renderer):
    negate = renderer.effect_defaults("Negate")
    assert negate["type"] == "Negate" and negate["class_name"] == "Negate"
    blur = renderer.effect_defaults("Blur")
    assert "horizontal_radius" in blur and blur["horizontal_radius"]["Points"]


def test_effect_defaults_raise_key_error_for_an_unknown_type(renderer):
    with pytest.raises(KeyError):
        renderer.effect_defaults("NoSuchEffect")
