"""Titles rendered by libopenshot (the renderer the service uses): the pixels must show the
requested colours where the text is and the background everywhere else."""
import ctypes
from array import array

import pytest

from openshot_api_titles import SvgTitleRenderer
from openshot_api_render_libopenshot.qt import ensure_gui_application

openshot = pytest.importorskip("openshot")

YELLOW, BLUE, RED = (255, 204, 0), (0, 0, 255), (255, 0, 0)


def packed(rgb):
    """An opaque RGBA pixel as the uint32 libopenshot's little-endian RGBA8888 bytes make."""
    r, g, b = rgb
    return r | g << 8 | b << 16 | 255 << 24


class Picture:
    """A title rendered by libopenshot's QtImageReader, as 32-bit pixels."""

    def __init__(self, svg: bytes, path):
        ensure_gui_application()
        path.write_bytes(svg)
        reader = openshot.QtImageReader(str(path))
        reader.Open()
        frame = reader.GetFrame(1)
        self.width, self.height = frame.GetWidth(), frame.GetHeight()
        raw = ctypes.string_at(int(frame.GetPixels()), self.width * self.height * 4)
        reader.Close()
        self.pixels = array("I", raw)
        assert self.pixels.itemsize == 4

    def count(self, rgb):
        return self.pixels.count(packed(rgb))

    def near(self, rgb, tolerance=3):
        """The packed values in the picture within ``tolerance`` of ``rgb`` on each channel."""
        return {v for v in set(self.pixels) if v >> 24 == 255 and all(
            abs((v >> shift & 255) - c) <= tolerance for shift, c in zip((0, 8, 16), rgb))}

    def count_near(self, rgb, tolerance=3):
        values = self.near(rgb, tolerance)
        return sum(1 for p in self.pixels if p in values)

    def rows_with(self, rgb):
        value, w = packed(rgb), self.width
        return sorted({i // w for i, p in enumerate(self.pixels) if p == value})

    def box_of(self, rgb, tolerance=0):
        values, w = self.near(rgb, tolerance) | {packed(rgb)}, self.width
        points = [(i % w, i // w) for i, p in enumerate(self.pixels) if p in values]
        xs, ys = [x for x, _ in points], [y for _, y in points]
        return min(xs), min(ys), max(xs), max(ys)

    def at(self, x, y):
        p = self.pixels[y * self.width + x]
        return p & 255, p >> 8 & 255, p >> 16 & 255


@pytest.fixture
def renderer():
    return SvgTitleRenderer()


def render(renderer, tmp_path, template="Center-Text.svg", **params):
    style = dict(fill_color="#ffcc00", background_color="#0000ff", background_opacity=1)
    style.update(params)
    return Picture(renderer.render(template, style), tmp_path / "title.svg")


def test_text_is_drawn_in_the_fill_colour_and_the_rest_is_the_background(renderer, tmp_path):
    picture = render(renderer, tmp_path, text="HHHH", font_size=300)
    assert (picture.width, picture.height) == (1920, 1080)
    assert picture.count(YELLOW) > 40_000
    left, top, right, bottom = picture.box_of(YELLOW)
    assert (left + right) / 2 == pytest.approx(960, abs=25)
    assert (top + bottom) / 2 == pytest.approx(540, abs=25)
    # Outside the text's box every pixel is the background.
    for x, y in ((0, 0), (1919, 0), (0, 1079), (1919, 1079), (960, 100), (960, 1000),
                 (100, 540), (1820, 540)):
        assert picture.at(x, y) == BLUE
    assert picture.count(YELLOW) + picture.count(BLUE) > 0.97 * len(picture.pixels)


def test_a_transparent_background_leaves_the_picture_transparent(renderer, tmp_path):
    picture = render(renderer, tmp_path, text="H", background_opacity=0)
    assert picture.pixels[0] == 0 and picture.count(YELLOW) > 1000


def test_each_line_is_drawn_on_its_own_row(renderer, tmp_path):
    picture = render(renderer, tmp_path, text="HH\nHH", font_size=200)
    rows = picture.rows_with(YELLOW)
    gaps = [b for a, b in zip(rows, rows[1:]) if b - a > 1]
    assert len(gaps) == 1  # two bands of text, one above the other


def test_the_stroke_is_drawn_in_the_stroke_colour(renderer, tmp_path):
    assert render(renderer, tmp_path, text="H", font_size=300).count(RED) == 0
    picture = render(renderer, tmp_path, text="H", font_size=300, stroke_color="#f00",
                     stroke_size=16)
    assert picture.count(RED) > 2000


def test_the_drop_shadow_darkens_the_background_below_right_of_the_text(renderer, tmp_path):
    shadow_blue = (0, 0, 102)  # black at 0.6 over pure blue
    plain = render(renderer, tmp_path, text="H", font_size=300)
    assert plain.count_near(shadow_blue) == 0
    shaded = render(renderer, tmp_path, text="H", font_size=300, drop_shadow=True)
    assert shaded.count_near(shadow_blue) > 1000
    text_box, shadow_box = shaded.box_of(YELLOW), shaded.box_of(shadow_blue, tolerance=3)
    assert shadow_box[2] > text_box[2] and shadow_box[3] > text_box[3]


@pytest.mark.parametrize("template, region", [
    ("Center-Text.svg", (0, 300, 1920, 780)),
    ("Lower-Third.svg", (0, 720, 1000, 1080)),
    ("Lower-Third-Bar.svg", (0, 720, 1320, 1080)),
    ("Top-Bar.svg", (0, 0, 1920, 200)),
    ("Bottom-Bar.svg", (0, 880, 1920, 1080)),
    ("Title-And-Subtitle.svg", (0, 300, 1920, 780)),
])
def test_each_bundled_template_draws_its_text_where_its_layout_says(renderer, tmp_path,
                                                                    template, region):
    picture = render(renderer, tmp_path, template, text="Hello\nthere")
    left, top, right, bottom = picture.box_of(YELLOW)
    x0, y0, x1, y1 = region
    assert x0 <= left and right <= x1 and y0 <= top and bottom <= y1
    assert picture.at(5, 5 if y0 > 0 else 1075) == BLUE
