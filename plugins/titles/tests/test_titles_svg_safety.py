"""Titles are sanitised: neither a template from a template folder nor the user's fields can make
Qt read anything outside the title."""
import subprocess
import xml.etree.ElementTree as ET

import pytest

from openshot_api.interfaces import BackendError
from openshot_api_titles import SvgTitleRenderer

openshot = pytest.importorskip("openshot")
from plugins.titles.tests.test_titles_look import Picture  # noqa: E402  (needs libopenshot)

RED = (255, 0, 0)


@pytest.fixture
def red_png(tmp_path):
    path = tmp_path / "red.png"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=red:s=64x64", "-frames:v", "1", str(path)], check=True)
    return str(path)


def test_a_hostile_template_loses_its_references_scripts_and_handlers(tmp_path, red_png):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "Evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="320" height="180" onload="alert(1)">'
        f'<style>@import url(file://{red_png}); rect {{ fill: url({red_png}) }}</style>'
        f'<image x="0" y="0" width="320" height="180" xlink:href="{red_png}"/>'
        f'<use href="file://{red_png}#x"/><script>alert(1)</script>'
        '<text id="title" x="10" y="90" font-size="40" fill="#ffffff">Name</text></svg>')
    svg = SvgTitleRenderer([str(folder)]).render("Evil.svg", {"text": "Hello", "background_color": "#0000ff",
                                                              "background_opacity": 1})
    assert red_png.encode() not in svg
    assert b"script" not in svg and b"onload" not in svg and b"@import" not in svg
    picture = Picture(svg, tmp_path / "title.svg")
    assert picture.count_near(RED, 60) == 0 and picture.count((0, 0, 255)) > 0
    assert picture.count((255, 255, 255)) > 0  # the text is still drawn


def test_a_template_with_a_dtd_is_a_backend_error_naming_it(tmp_path):
    (tmp_path / "Dtd.svg").write_text('<!DOCTYPE svg [<!ENTITY t "Name">]>'
                                      '<svg xmlns="http://www.w3.org/2000/svg"><text>&t;</text></svg>')
    with pytest.raises(BackendError, match="Dtd.svg.*DOCTYPE"):
        SvgTitleRenderer([str(tmp_path)]).render("Dtd.svg", {"text": "a"})


def test_user_fields_stay_text_and_cannot_become_references(red_png):
    text = f'</text><image xlink:href="{red_png}"/><text>&amp;'
    svg = SvgTitleRenderer().render("Center-Text.svg", {"text": text, "font_name": f"url({red_png})"})
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.endswith("}image")]
    assert text in ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("}text")]
    assert not any(red_png in value for e in root.iter() for value in e.attrib.values())
