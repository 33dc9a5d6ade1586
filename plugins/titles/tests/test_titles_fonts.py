"""/info/fonts/ and /info/fonts/thumbnail/ on a real app (SQLite) with the real fontconfig: the
list, uploads checked by magic bytes and by parsing, the cache refresh, and the JPEG sheet."""
import io
import os
import shutil
import subprocess
import uuid

import pytest
import transaction
import webtest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont
from PIL import Image

from openshot_api.app import make_app
from openshot_api.cli import initdb
from openshot_api.interfaces import ConfigurationError
from openshot_api_titles import fonts as fonts_module
from tests.conftest import base_settings

TEST_FAMILY = "Openshot Test Sans"


def system_font(pattern):
    """The file fontconfig picks for ``pattern`` (found, never hard-coded)."""
    return subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True,
                          check=True).stdout


def renamed_font(source, family, dest):
    """Copy a TrueType font under a new family name, as a font nobody has installed."""
    font = TTFont(source)
    postscript = family.replace(" ", "") + "-Regular"
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = family
        elif record.nameID == 4:
            record.string = family + " Regular"
        elif record.nameID in (3, 6):
            record.string = postscript
    font.save(dest)
    return dest


def tiny_otf(family, dest):
    """A CFF-flavoured OpenType font with one square glyph for "A", built from scratch."""
    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder([".notdef", "A"])
    builder.setupCharacterMap({ord("A"): "A"})
    strings = {}
    for name in (".notdef", "A"):
        pen = T2CharStringPen(600, None)
        pen.moveTo((100, 0)), pen.lineTo((500, 0)), pen.lineTo((500, 700)), pen.lineTo((100, 700))
        pen.closePath()
        strings[name] = pen.getCharString()
    postscript = family.replace(" ", "") + "-Regular"
    builder.setupCFF(postscript, {"FullName": family}, strings, {})
    builder.setupHorizontalMetrics({name: (600, 100) for name in strings})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    builder.save(dest)
    return dest


@pytest.fixture(scope="module")
def fonts_app(tmp_path_factory):
    """The whole app (with every installed plugin) on SQLite, and an admin's client (only admins
    upload fonts by default)."""
    from openshot_api.auth import create_user
    from openshot_api.db import get_tm_session

    tmp = tmp_path_factory.mktemp("fonts-app")
    settings = base_settings(tmp, f"sqlite:///{tmp}/test.sqlite")
    initdb(dict(settings))
    previous = os.environ.get("FONTCONFIG_FILE")
    try:
        app = make_app({}, dict(settings))
    except ConfigurationError as exc:
        if str(exc).startswith("openshot_api.renderer"):
            pytest.skip(f"the app cannot start without its renderer plugin: {exc}")
        raise
    registry = app.app.registry
    username, password = f"fonts-{uuid.uuid4().hex[:6]}", "pw-" + uuid.uuid4().hex[:8]
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        create_user(get_tm_session(registry["dbsession_factory"], tm), username, password, is_admin=True)
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "testserver"})
    client.authorization = ("Basic", (username, password))
    client.settings = registry.settings
    yield client
    if previous is None:
        os.environ.pop("FONTCONFIG_FILE", None)
    else:
        os.environ["FONTCONFIG_FILE"] = previous


@pytest.fixture(scope="module")
def uploaded(fonts_app, tmp_path_factory):
    """The answer to uploading a renamed copy of a system serif font."""
    folder = tmp_path_factory.mktemp("font-upload")
    path = renamed_font(system_font("Liberation Serif:style=Regular"), TEST_FAMILY,
                        str(folder / "Openshot Test Sans.ttf"))
    with open(path, "rb") as src:
        data = src.read()
    return fonts_app.post("/info/fonts/", upload_files=[("font_file", "Openshot Test Sans.ttf", data)],
                          status=201).json


def family(listing, name):
    matches = [entry for entry in listing if entry["family"] == name]
    assert len(matches) == 1, [entry["family"] for entry in listing]
    return matches[0]


def test_the_list_has_dejavu_sans_with_its_styles_and_file_names(fonts_app):
    listing = fonts_app.get("/info/fonts/").json
    dejavu = family(listing, "DejaVu Sans")
    assert {"Book", "Bold"} <= set(dejavu["styles"])
    assert "DejaVuSans.ttf" in dejavu["files"]
    assert dejavu["custom"] is False
    assert set(dejavu) == {"family", "styles", "files", "custom"}


def test_the_list_is_sorted_by_family_and_shows_no_folders(fonts_app):
    listing = fonts_app.get("/info/fonts/").json
    names = [entry["family"] for entry in listing]
    assert names == sorted(names, key=str.casefold) and len(names) == len(set(names))
    assert all("/" not in name and "\\" not in name for entry in listing for name in entry["files"])


def test_plugin_start_up_points_fontconfig_at_the_instance_fonts_folder(fonts_app):
    folder = fonts_module.fonts_dir(fonts_app.settings)
    assert folder == os.path.join(fonts_app.settings["openshot_api.var_dir"], "fonts")
    conf = open(os.path.join(folder, "fonts.conf")).read()
    assert f"<dir>{folder}</dir>" in conf
    assert f"<cachedir>{os.path.join(folder, '.fccache')}</cachedir>" in conf
    assert "/etc/fonts/fonts.conf</include>" in conf


def test_uploading_a_ttf_adds_its_family_to_the_list(fonts_app, uploaded):
    assert uploaded["added"] == {"family": TEST_FAMILY, "styles": ["Regular"],
                                 "file": "Openshot-Test-Sans.ttf"}
    assert family(uploaded["fonts"], TEST_FAMILY)["custom"] is True
    listing = fonts_app.get("/info/fonts/").json
    assert family(listing, TEST_FAMILY)["files"] == ["Openshot-Test-Sans.ttf"]
    stored = os.path.join(fonts_module.fonts_dir(fonts_app.settings), "Openshot-Test-Sans.ttf")
    assert TTFont(stored)["name"].getBestFamilyName() == TEST_FAMILY


def test_fontconfig_matches_the_uploaded_family_by_name(fonts_app, uploaded):
    env = {**os.environ, "FONTCONFIG_FILE": fonts_module.fontconfig_file(fonts_app.settings)}
    matched = subprocess.run(["fc-match", "-f", "%{family[0]}|%{file}", TEST_FAMILY], env=env,
                             capture_output=True, text=True, check=True).stdout
    assert matched == f"{TEST_FAMILY}|{fonts_module.fonts_dir(fonts_app.settings)}/Openshot-Test-Sans.ttf"


def test_uploading_an_otf_built_from_scratch_adds_its_family(fonts_app, tmp_path):
    path = tiny_otf("Openshot Square", str(tmp_path / "square.otf"))
    answer = fonts_app.post("/info/fonts/", upload_files=[("font_file", "square.otf",
                                                           open(path, "rb").read())], status=201).json
    assert answer["added"] == {"family": "Openshot Square", "styles": ["Regular"], "file": "square.otf"}
    assert family(fonts_app.get("/info/fonts/").json, "Openshot Square")["custom"] is True


def test_uploading_a_woff_stores_it_unpacked_as_ttf(fonts_app, tmp_path):
    font = TTFont(renamed_font(system_font("DejaVu Sans Mono"), "Openshot Woff Mono",
                               str(tmp_path / "mono.ttf")))
    font.flavor = "woff"
    out = io.BytesIO()
    font.save(out)
    answer = fonts_app.post("/info/fonts/", upload_files=[("font_file", "mono.woff", out.getvalue())],
                            status=201).json
    assert answer["added"]["family"] == "Openshot Woff Mono" and answer["added"]["file"] == "mono.ttf"
    stored = os.path.join(fonts_module.fonts_dir(fonts_app.settings), "mono.ttf")
    with open(stored, "rb") as src:
        assert src.read(4) == b"\x00\x01\x00\x00"


def test_a_text_file_posted_as_font_file_is_a_400_naming_font_file(fonts_app):
    answer = fonts_app.post("/info/fonts/", upload_files=[("font_file", "notes.ttf", b"not a font\n" * 20)],
                            status=400).json
    assert "font_file" in answer and "Not a font file" in answer["font_file"][0]


def test_a_truncated_font_is_a_400_naming_font_file(fonts_app):
    with open(system_font("DejaVu Sans"), "rb") as src:
        data = src.read()
    answer = fonts_app.post("/info/fonts/", upload_files=[("font_file", "cut.ttf", data[:len(data) // 2])],
                            status=400).json
    assert "cannot be read" in answer["font_file"][0]
    assert not os.path.exists(os.path.join(fonts_module.fonts_dir(fonts_app.settings), "cut.ttf"))


def test_a_font_with_garbled_tables_is_a_400_naming_font_file(fonts_app):
    with open(system_font("DejaVu Sans"), "rb") as src:
        data = bytearray(src.read())
    # Keep the magic bytes and the table directory; overwrite the tables after it with noise.
    start = 12 + 16 * int.from_bytes(data[4:6], "big")
    data[start:] = os.urandom(len(data) - start)
    answer = fonts_app.post("/info/fonts/", upload_files=[("font_file", "noise.ttf", bytes(data))],
                            status=400).json
    assert "font_file" in answer


def test_an_empty_file_and_a_plain_string_are_400s_naming_font_file(fonts_app):
    assert "empty" in fonts_app.post("/info/fonts/", upload_files=[("font_file", "a.ttf", b"")],
                                     status=400).json["font_file"][0]
    assert "not a file" in fonts_app.post_json("/info/fonts/", {"font_file": "Arial.ttf"},
                                               status=400).json["font_file"][0]


def test_posting_without_a_file_rebuilds_the_cache_and_lists_fonts_copied_into_the_folder(fonts_app,
                                                                                        tmp_path):
    folder = fonts_module.fonts_dir(fonts_app.settings)
    renamed_font(system_font("Liberation Mono"), "Openshot Copied Mono", str(tmp_path / "copied.ttf"))
    shutil.copy(tmp_path / "copied.ttf", os.path.join(folder, "copied.ttf"))
    listing = fonts_app.post_json("/info/fonts/", {"font_file": None}, status=200).json
    assert family(listing, "Openshot Copied Mono")["files"] == ["copied.ttf"]
    assert family(listing, "DejaVu Sans")
    assert any(name.endswith(".cache-8") for name in os.listdir(os.path.join(folder, ".fccache")))


def test_the_thumbnail_is_a_jpeg_with_dark_text_on_white_on_every_family_line(fonts_app, uploaded):
    families = fonts_app.get("/info/fonts/").json
    response = fonts_app.get("/info/fonts/thumbnail/", status=200)
    assert response.content_type == "image/jpeg"
    image = Image.open(io.BytesIO(response.body))
    assert image.format == "JPEG"
    margin, line = fonts_module.SHEET_MARGIN, fonts_module.LINE_HEIGHT
    assert len(families) < fonts_module.ROWS_PER_COLUMN
    assert image.size == (2 * margin + fonts_module.COLUMN_WIDTH, 2 * margin + len(families) * line)
    grey = image.convert("L")
    for row, entry in enumerate(families):
        band = grey.crop((margin, margin + row * line, margin + fonts_module.COLUMN_WIDTH,
                          margin + (row + 1) * line))
        pixels = list(band.getdata())
        dark = sum(1 for p in pixels if p < 96)
        light = sum(1 for p in pixels if p > 200)
        assert dark > 150, f"line {row} ({entry['family']}) has no text"
        assert light > 0.6 * len(pixels), f"line {row} ({entry['family']}) is not on a light background"
    top_margin = list(grey.crop((0, 0, image.size[0], margin - 2)).getdata())
    assert min(top_margin) > 200


def test_the_thumbnail_draws_a_family_in_its_own_face(fonts_app, uploaded):
    """The uploaded family's line (a copy of a serif font) differs from the same text in the
    fallback face, so the face really was used."""
    from PIL import ImageDraw, ImageFont
    families = [entry["family"] for entry in fonts_app.get("/info/fonts/").json]
    row = families.index(TEST_FAMILY)
    margin, line = fonts_module.SHEET_MARGIN, fonts_module.LINE_HEIGHT
    sheet = Image.open(io.BytesIO(fonts_app.get("/info/fonts/thumbnail/").body)).convert("L")
    band = sheet.crop((margin, margin + row * line, margin + fonts_module.COLUMN_WIDTH,
                       margin + (row + 1) * line))

    def drawn(path):
        strip = Image.new("L", band.size, 255)
        ImageDraw.Draw(strip).text((8, (line + fonts_module.FONT_PX) // 2),
                                   f"{TEST_FAMILY} - {fonts_module.SAMPLE_TEXT}",
                                   font=ImageFont.truetype(path, fonts_module.FONT_PX,
                                                           layout_engine=ImageFont.Layout.BASIC),
                                   fill=0, anchor="ls")
        return strip

    def distance(a, b):
        return sum(abs(x - y) for x, y in zip(a.getdata(), b.getdata())) / (a.size[0] * a.size[1])

    source = system_font("Liberation Serif:style=Regular")
    if "LiberationSerif" not in source:
        pytest.skip("needs Liberation Serif (fonts-liberation2)")
    own, other = drawn(source), drawn(system_font("DejaVu Sans"))
    assert distance(band, own) < 3 < distance(band, other)


@pytest.mark.parametrize("method, path", [("GET", "/info/fonts/"), ("POST", "/info/fonts/"),
                                          ("GET", "/info/fonts/thumbnail/")])
def test_the_font_services_are_401_without_credentials(fonts_app, method, path):
    anonymous = webtest.TestApp(fonts_app.app, extra_environ={"HTTP_HOST": "testserver"})
    answer = anonymous.request(path, method=method, status=401, expect_errors=True)
    assert "detail" in answer.json


def test_the_fonts_folder_comes_from_its_setting_or_the_var_dir(tmp_path):
    assert fonts_module.fonts_dir({"openshot_api.fonts_dir": str(tmp_path / "f")}) == str(tmp_path / "f")
    assert fonts_module.fonts_dir({"openshot_api.var_dir": str(tmp_path / "v")}) == \
        str(tmp_path / "v" / "fonts")


def test_configure_fontconfig_keeps_an_operator_config_as_its_base(tmp_path, monkeypatch):
    operator = tmp_path / "operator.conf"
    operator.write_text('<?xml version="1.0"?>\n'
                        "<fontconfig><include>/etc/fonts/fonts.conf</include></fontconfig>\n")
    monkeypatch.setenv("FONTCONFIG_FILE", str(operator))
    conf = fonts_module.configure_fontconfig({"openshot_api.fonts_dir": str(tmp_path / "one")})
    assert os.environ["FONTCONFIG_FILE"] == conf
    assert f"<include ignore_missing=\"yes\">{operator}</include>" in open(conf).read()
    # A second instance in the same process does not stack on the first one's generated file.
    second = fonts_module.configure_fontconfig({"openshot_api.fonts_dir": str(tmp_path / "two")})
    assert "/etc/fonts/fonts.conf</include>" in open(second).read()
