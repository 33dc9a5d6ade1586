"""Validation of the title request's fields: defaults, normalising, and errors naming the field."""
import pytest

from openshot_api_titles.params import DEFAULT_FONT, validate


def test_absent_and_null_fields_take_their_defaults_and_other_keys_are_ignored():
    params = validate({"template": "Center-Text.svg", "fill_color": None, "project": 3})
    assert params.text == "" and params.font_name == DEFAULT_FONT
    assert params.fill_color == "#ffffff" and params.fill_opacity == 1.0
    assert params.background_opacity == 0.0 and params.drop_shadow is False
    assert params.font_size is None and params.stroke_size == 0.0


def test_the_spec_example_is_accepted():
    params = validate({"template": "Center-Text.svg", "text": "Text of title", "font_size": 100.0,
                       "font_name": "Bitstream Vera Sans", "fill_color": "#ffcc00",
                       "fill_opacity": 1.0, "stroke_color": "#000000", "stroke_size": 3.0,
                       "stroke_opacity": 1.0, "drop_shadow": True, "background_color": "#000000",
                       "background_opacity": 0.0})
    assert (params.font_size, params.stroke_size, params.drop_shadow) == (100.0, 3.0, True)


def test_short_colours_are_expanded_and_lower_cased():
    assert validate({"fill_color": "#FC0", "stroke_color": " #AbCdEf "}).fill_color == "#ffcc00"
    assert validate({"stroke_color": "#AbCdEf"}).stroke_color == "#abcdef"


@pytest.mark.parametrize("field, value", [
    ("fill_color", "red"), ("fill_color", "#ffcc0"), ("stroke_color", "#gggggg"),
    ("background_color", 0xffffff), ("bar_color", "ffcc00"),
    ("fill_opacity", 1.5), ("stroke_opacity", -0.1), ("background_opacity", "lots"),
    ("bar_opacity", True),
    ("font_size", 0), ("font_size", -10), ("stroke_size", -1), ("font_size", float("nan")),
    ("drop_shadow", "sometimes"), ("drop_shadow", 2),
    ("text", ["a"]), ("font_name", ""), ("font_name", "two\nlines"),
])
def test_a_bad_field_is_rejected_with_its_name(field, value):
    with pytest.raises(ValueError, match=rf"^{field}:"):
        validate({field: value})


def test_numbers_and_flags_given_as_text_are_accepted():
    params = validate({"font_size": "72", "fill_opacity": "0.5", "drop_shadow": "true"})
    assert (params.font_size, params.fill_opacity, params.drop_shadow) == (72.0, 0.5, True)


def test_characters_xml_cannot_hold_are_dropped_and_line_ends_unified():
    assert validate({"text": "a\x00b\x1bc\r\nd\re"}).text == "abc\nd\ne"
