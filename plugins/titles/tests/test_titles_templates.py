"""The svg title renderer: templates it lists, the SVG it writes, its settings and its hook."""
import xml.etree.ElementTree as ET

import pytest

from openshot_api.interfaces import BackendError, ConfigurationError, TitleRenderer
from openshot_api.plugins import collect, make_plugin_manager
from openshot_api_titles import SvgTitleRenderer
from openshot_api_titles.renderer import TEMPLATE_DIRS_SETTING

NS = {"svg": "http://www.w3.org/2000/svg"}
BUNDLED = ["Bottom-Bar.svg", "Center-Text.svg", "Lower-Third-Bar.svg", "Lower-Third.svg",
           "Title-And-Subtitle.svg", "Top-Bar.svg"]


@pytest.fixture
def renderer():
    return SvgTitleRenderer.from_settings({})


def lines_of(svg: bytes, slot="title"):
    """The (x, y, text) of the non-shadow lines in ``<g id=slot>``."""
    root = ET.fromstring(svg)
    group = root.find(f".//svg:g[@id='{slot}']", NS)
    return [(float(t.get("x")), float(t.get("y")), t.text) for t in group.findall("svg:text", NS)]


def test_the_plugin_provides_the_svg_title_renderer_through_its_entry_point():
    renderers = collect(make_plugin_manager().hook.openshot_api_title_renderers())
    assert renderers["svg"] is SvgTitleRenderer
    assert issubclass(SvgTitleRenderer, TitleRenderer)


def test_the_bundled_templates_are_listed(renderer):
    assert renderer.templates() == BUNDLED


@pytest.mark.parametrize("template", BUNDLED)
def test_every_bundled_template_fills_to_a_1920x1080_svg_with_the_text(renderer, template):
    svg = renderer.render(template, {"text": "Hello"})
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == "0 0 1920 1080"
    assert [text for _, _, text in lines_of(svg)] == ["Hello"]
    assert b"data-grow" not in svg and b"data-fit" not in svg


def test_text_with_markup_characters_and_quotes_stays_valid_and_unchanged(renderer):
    text = 'Tom & Jerry <b>"quoted"</b> \'single\' ]]> &amp;'
    svg = renderer.render("Center-Text.svg", {"text": text})
    assert [t for _, _, t in lines_of(svg)] == [text]


def test_each_line_is_its_own_text_element_one_line_height_apart(renderer):
    svg = renderer.render("Center-Text.svg", {"text": "one\ntwo\nthree", "font_size": 100})
    lines = lines_of(svg)
    assert [t for _, _, t in lines] == ["one", "two", "three"]
    assert [y for _, y, _ in lines] == pytest.approx([455, 575, 695])  # centred on 540
    assert {x for x, _, _ in lines} == {960}


def test_style_fields_become_attributes_of_every_line(renderer):
    svg = renderer.render("Lower-Third.svg", {
        "text": "a\nb", "font_name": "Liberation Serif", "font_size": 50, "fill_color": "#FC0",
        "fill_opacity": 0.5, "stroke_color": "#123456", "stroke_size": 4, "stroke_opacity": 0.25})
    texts = ET.fromstring(svg).findall(".//svg:g[@id='title']/svg:text", NS)
    assert len(texts) == 2
    for text in texts:
        assert text.get("font-family") == "Liberation Serif" and text.get("font-size") == "50"
        assert (text.get("fill"), text.get("fill-opacity")) == ("#ffcc00", "0.5")
        assert (text.get("stroke"), text.get("stroke-width"), text.get("stroke-opacity")) == (
            "#123456", "4", "0.25")


def test_no_stroke_is_drawn_when_stroke_size_is_zero(renderer):
    svg = renderer.render("Center-Text.svg", {"text": "a", "stroke_size": 0})
    text = ET.fromstring(svg).find(".//svg:g[@id='title']/svg:text", NS)
    assert text.get("stroke") == "none"


def test_drop_shadow_adds_a_blur_filter_and_an_offset_dark_copy(renderer):
    svg = renderer.render("Center-Text.svg", {"text": "a", "drop_shadow": True})
    root = ET.fromstring(svg)
    blur = root.find(".//svg:defs/svg:filter/svg:feGaussianBlur", NS)
    assert blur is not None and float(blur.get("stdDeviation")) > 0
    shadow = root.find(".//svg:g[@id='title']/svg:g[@class='drop-shadow']", NS)
    assert shadow.get("filter") == "url(#title-drop-shadow)"
    assert shadow.get("transform").startswith("translate(")
    assert [t.text for t in shadow.findall("svg:text", NS)] == ["a"]
    without = renderer.render("Center-Text.svg", {"text": "a"})
    assert b"drop-shadow" not in without and b"<filter" not in without


def test_background_fields_colour_the_background_rectangle(renderer):
    svg = renderer.render("Center-Text.svg", {"background_color": "#00ff00",
                                              "background_opacity": 0.75})
    background = ET.fromstring(svg).find(".//svg:rect[@id='background']", NS)
    assert (background.get("fill"), background.get("fill-opacity")) == ("#00ff00", "0.75")


def test_title_and_subtitle_takes_the_first_line_as_title_and_the_rest_as_subtitle(renderer):
    svg = renderer.render("Title-And-Subtitle.svg", {"text": "Big\nsmall one\nsmall two"})
    assert [t for _, _, t in lines_of(svg)] == ["Big"]
    assert [t for _, _, t in lines_of(svg, "subtitle")] == ["small one", "small two"]
    explicit = renderer.render("Title-And-Subtitle.svg", {"text": "A\nB", "subtitle": "C"})
    assert [t for _, _, t in lines_of(explicit)] == ["A", "B"]
    assert [t for _, _, t in lines_of(explicit, "subtitle")] == ["C"]


def test_font_size_scales_the_subtitle_with_the_title(renderer):
    svg = renderer.render("Title-And-Subtitle.svg", {"text": "a\nb", "font_size": 240})
    root = ET.fromstring(svg)
    assert root.find(".//svg:g[@id='title']/svg:text", NS).get("font-size") == "240"
    assert root.find(".//svg:g[@id='subtitle']/svg:text", NS).get("font-size") == "120"


def test_a_bar_grows_to_cover_many_lines_and_takes_the_bar_colour(renderer):
    one = ET.fromstring(renderer.render("Bottom-Bar.svg", {"text": "a"}))
    four = ET.fromstring(renderer.render("Bottom-Bar.svg", {"text": "a\nb\nc\nd",
                                                           "bar_color": "#ff0000"}))
    bar_one = one.find(".//svg:rect[@id='bar']", NS)
    bar_four = four.find(".//svg:rect[@id='bar']", NS)
    assert float(bar_one.get("height")) == 170
    assert float(bar_four.get("height")) > 300
    assert float(bar_four.get("y")) + float(bar_four.get("height")) == pytest.approx(1080)
    assert bar_four.get("fill") == "#ff0000" and bar_four.get("fill-opacity") == "0.7"
    first_line_y = float(four.find(".//svg:g[@id='title']/svg:text", NS).get("y"))
    assert float(bar_four.get("y")) < first_line_y - 72


def test_an_unknown_template_or_a_path_is_a_key_error(renderer):
    for name in ("Nope.svg", "../templates/Center-Text.svg", "/etc/passwd", ""):
        with pytest.raises(KeyError):
            renderer.render(name, {"text": "a"})


def test_a_template_may_be_named_without_its_extension_or_in_another_case(renderer):
    assert renderer.template_path("center-text").name == "Center-Text.svg"


def test_template_dirs_add_templates_and_replace_bundled_ones(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir(), second.mkdir()
    (first / "Center-Text.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
        '<text x="5" y="40" font-size="20">mine</text></svg>')
    (second / "Extra.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">'
        '<text x="1" y="2">x</text></svg>')
    (second / "notes.txt").write_text("not a template")
    renderer = SvgTitleRenderer.from_settings({TEMPLATE_DIRS_SETTING: f"{first}\n  {second} "})
    assert renderer.templates() == sorted(BUNDLED + ["Extra.svg"])
    root = ET.fromstring(renderer.render("Center-Text.svg", {"text": "hi"}))
    assert root.get("viewBox") == "0 0 100 50"
    background = root.find("svg:rect[@id='background']", NS)
    assert (background.get("width"), background.get("height")) == ("100", "50")


def test_a_template_dir_that_is_not_a_folder_is_a_configuration_error_naming_the_key(tmp_path):
    with pytest.raises(ConfigurationError, match=TEMPLATE_DIRS_SETTING):
        SvgTitleRenderer.from_settings({TEMPLATE_DIRS_SETTING: str(tmp_path / "missing")})


def test_an_editor_made_template_without_ids_uses_its_text_elements(tmp_path):
    # The layout an SVG editor writes: position on the tspan, style in a style attribute.
    (tmp_path / "Edited.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="1920" height="1080">'
        '<rect x="0" y="0" width="1920" height="1080" style="fill:#333333"/>'
        '<g transform="translate(10,20)"><text style="font-size:80px;text-anchor:end;'
        'font-weight:bold;fill:#ffffff"><tspan x="1800" y="300">Old title</tspan></text>'
        '<text style="font-size:40px"><tspan x="100" y="900">Old sub</tspan></text></g></svg>')
    renderer = SvgTitleRenderer([str(tmp_path)])
    svg = renderer.render("Edited.svg", {"text": "New\nsub", "font_size": 160})
    title = ET.fromstring(svg).find(".//svg:g[@id='title']/svg:text", NS)
    assert (title.text, title.get("x"), title.get("y"), title.get("font-size")) == (
        "New", "1800", "300", "160")
    assert (title.get("text-anchor"), title.get("font-weight")) == ("end", "bold")
    assert [t for _, _, t in lines_of(svg, "subtitle")] == ["sub"]
    assert b"Old title" not in svg and b"Old sub" not in svg


def test_a_broken_template_is_a_backend_error(tmp_path):
    (tmp_path / "Broken.svg").write_text("<svg><text>unclosed</svg>")
    (tmp_path / "Empty.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    renderer = SvgTitleRenderer([str(tmp_path)])
    for name in ("Broken.svg", "Empty.svg"):
        with pytest.raises(BackendError, match=name):
            renderer.render(name, {"text": "a"})


def test_bad_params_are_a_value_error_naming_the_field(renderer):
    with pytest.raises(ValueError, match="^fill_opacity:"):
        renderer.render("Center-Text.svg", {"text": "a", "fill_opacity": 2})
