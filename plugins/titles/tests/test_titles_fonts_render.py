"""A process set up with configure_fontconfig (as a render worker is) draws titles with the
fonts of the instance's fonts folder: libopenshot, through Qt, finds them by family name."""
import json
import os
import subprocess
import sys

import pytest
from fontTools.ttLib import TTFont

from openshot_api_titles.fonts import configure_fontconfig, fonts_dir

pytest.importorskip("openshot")

FAMILY = "Openshot Render Serif"

# Run in a fresh interpreter: fontconfig and Qt read their configuration once per process.
RENDER = r'''
import ctypes, hashlib, json, os, sys
import openshot
from openshot_api_titles import SvgTitleRenderer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ctypes.CDLL("libQt5Core.so.5", mode=ctypes.RTLD_GLOBAL)
gui = ctypes.CDLL("libQt5Gui.so.5", mode=ctypes.RTLD_GLOBAL)
argc, argv = ctypes.c_int(1), (ctypes.c_char_p * 2)(b"fonts-test", None)
app = ctypes.create_string_buffer(1024)  # larger than sizeof(QGuiApplication)
gui._ZN15QGuiApplicationC1ERiPPci(app, ctypes.byref(argc), argv, 0x050F00)

result = {}
for number, family in enumerate(sys.argv[2:]):
    svg = SvgTitleRenderer().render("Center-Text.svg", {
        "text": "Hamburgefonstiv", "font_name": family, "font_size": 160, "fill_color": "#000000",
        "background_color": "#ffffff", "background_opacity": 1})
    path = os.path.join(sys.argv[1], f"title{number}.svg")
    with open(path, "wb") as out:
        out.write(svg)
    reader = openshot.QtImageReader(path)
    reader.Open()
    frame = reader.GetFrame(1)
    raw = ctypes.string_at(int(frame.GetPixels()), frame.GetWidth() * frame.GetHeight() * 4)
    reader.Close()
    result[family] = {"digest": hashlib.sha256(raw).hexdigest(), "dark": raw[0::4].count(0)}
print(json.dumps(result))
'''


def system_font(pattern):
    return subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True,
                          check=True).stdout


def render(tmp_path, env, *families):
    done = subprocess.run([sys.executable, "-c", RENDER, str(tmp_path), *families], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def folder_with_font(tmp_path, monkeypatch):
    """An instance fonts folder holding a renamed copy of a serif font, and the source font."""
    source = system_font("Liberation Serif:style=Regular")
    if "LiberationSerif" not in os.path.basename(source):
        pytest.skip("needs Liberation Serif (fonts-liberation2)")
    monkeypatch.delenv("FONTCONFIG_FILE", raising=False)
    settings = {"openshot_api.fonts_dir": str(tmp_path / "fonts")}
    conf = configure_fontconfig(settings)
    font = TTFont(source)
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (3, 4, 6):
            record.string = FAMILY.replace(" ", "") + "-Regular"
    font.save(os.path.join(fonts_dir(settings), "render-serif.ttf"))
    subprocess.run(["fc-cache", "-f", fonts_dir(settings)], env={**os.environ, "FONTCONFIG_FILE": conf},
                   check=True)
    return conf


def test_a_title_in_the_uploaded_family_is_drawn_with_the_uploaded_font(tmp_path, folder_with_font):
    env = {**os.environ, "FONTCONFIG_FILE": folder_with_font}
    drawn = render(tmp_path, env, FAMILY, "Liberation Serif", "DejaVu Sans")
    assert drawn[FAMILY]["dark"] > 5000
    # Same outlines as its source font, unlike the sans-serif fallback.
    assert drawn[FAMILY]["digest"] == drawn["Liberation Serif"]["digest"]
    assert drawn[FAMILY]["digest"] != drawn["DejaVu Sans"]["digest"]


def test_without_the_instance_config_the_family_is_unknown_and_falls_back(tmp_path, folder_with_font):
    env = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
    drawn = render(tmp_path, env, FAMILY, "Liberation Serif")
    assert drawn[FAMILY]["digest"] != drawn["Liberation Serif"]["digest"]
