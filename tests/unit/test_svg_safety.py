"""The SVG sanitiser: what it keeps, strips and rejects."""
import base64
import gzip
import xml.etree.ElementTree as ET

import pytest

from openshot_api.svg_safety import UnsafeSVG, clean_css, may_be_svg, sanitize

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ' \
      'width="64" height="64">{}</svg>'
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
INNER_SVG = base64.b64encode(SVG.format("").encode()).decode()


def clean(body):
    return sanitize(SVG.format(body).encode()).decode()


def test_a_plain_drawing_is_kept():
    out = clean('<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient>'
                '</defs><rect id="r" width="10" height="10" fill="url(#g)" style="stroke:url(#g)"/>'
                '<text x="1" y="2">a &lt; b <tspan>c</tspan> d</text><use xlink:href="#r"/>')
    root = ET.fromstring(out)
    assert root.find(".//{http://www.w3.org/2000/svg}rect").get("fill") == "url(#g)"
    assert 'style="stroke:url(#g)"' in out and 'xlink:href="#r"' in out
    assert "".join(root.find(".//{http://www.w3.org/2000/svg}text").itertext()) == "a < b c d"


@pytest.mark.parametrize("body, gone", [
    ('<script>alert(1)</script>', "alert"),
    ('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>', "div"),
    ('<rect onload="alert(1)" onClick="x()"/>', "alert"),
    ('<image xlink:href="/srv/media/secret.png"/>', "secret"),
    ('<image href="file:///etc/passwd"/>', "passwd"),
    ('<image xlink:href="http://127.0.0.1:9/x.png"/>', "127.0.0.1"),
    ('<image xlink:href="#r"/>', "#r"),
    ('<use href="other.svg#x"/>', "other.svg"),
    (f'<image xlink:href="data:image/svg+xml;base64,{INNER_SVG}"/>', INNER_SVG),
    (f'<image xlink:href="data:image/png;base64,{INNER_SVG}"/>', INNER_SVG),
    ('<rect style="fill:url(/etc/x.png)"/>', "/etc/x.png"),
    ('<rect fill="url(\'file:///x\')"/>', "file:"),
    ('<style>@import url(http://evil/a.css); rect{fill:url("/x.png")}</style>', "evil"),
    ('<style>rect{fill:u\\72l(/x.png)}</style>', "x.png"),
    ('<set attributeName="xlink:href" to="/etc/x.png"/>', "/etc/x.png"),
    ('<x:script xmlns:x="http://evil">bad</x:script>', "bad"),
    ('<rect xmlns:e="http://evil" e:href="/etc/x"/>', "/etc/x"),
])
def test_dangerous_parts_are_stripped(body, gone):
    out = clean(body)
    assert gone not in out
    ET.fromstring(out)  # still a document


def test_raster_data_and_text_around_removed_elements_are_kept():
    out = clean(f'<image xlink:href="data:image/png;base64,{PNG}"/><text>a<script>x</script>b</text>')
    assert PNG in out and ">ab</text>" in out


@pytest.mark.parametrize("doc", [
    '<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg>&xxe;</svg>',
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/svg11.dtd"><svg/>',
    '<html><body>not svg</body></html>',
    '<svg><rect></svg>',
    "<svg>" + "<g>" * 300 + "</g>" * 300 + "</svg>",
])
def test_dtds_entities_other_roots_broken_and_deep_documents_are_refused(doc):
    with pytest.raises(UnsafeSVG):
        sanitize(doc.encode())


def test_gzip_and_utf16_documents_are_read_and_written_as_utf8():
    out = sanitize(gzip.compress(SVG.format('<script>x</script><rect/>').encode()))
    assert b"script" not in out and b"<rect" in out
    doc = ('<?xml version="1.0" encoding="UTF-16"?>' + SVG.format('<script>x</script>')).encode("utf-16")
    assert may_be_svg(doc[:1024]) and b"script" not in sanitize(doc)


def test_svg_is_recognised_by_content_not_name():
    assert may_be_svg(b"\xef\xbb\xbf \n<?xml version='1.0'?><svg/>")
    assert may_be_svg(b"<!-- x --><svg/>")
    assert may_be_svg(gzip.compress(b"<svg/>"))
    assert not may_be_svg(b"\x89PNG\r\n\x1a\n<svg")
    assert not may_be_svg(b"\x00\x00\x00\x18ftypmp42")
    assert not may_be_svg(gzip.compress(b"tar data"))


def test_css_keeps_fragments_and_drops_the_rest():
    assert clean_css("fill:url(#a);stroke:url( '#b' )") == "fill:url(#a);stroke:url( '#b' )"
    assert clean_css("/* c */ @IMPORT 'x.css'; fill:URL(x.png)") == "   fill:none"
    assert clean_css("fill:url(/x /* unterminated") == ""


def test_a_document_of_too_many_elements_is_refused_while_it_is_read():
    with pytest.raises(UnsafeSVG, match="elements"):
        sanitize(("<svg>" + "<g/>" * 100_001 + "</svg>").encode())
