"""Keyframe curves, single keyframes, presets and reset: the json they write, what libopenshot
computes from it, and what a rendered timeline shows."""
import ctypes
import json
import subprocess

import pytest

from openshot_api import keyframes as kf

openshot = pytest.importorskip("openshot")

FPS = 10
BEZIER_CURVES = [name for name, c in kf.CURVES.items() if c.interpolation == kf.BEZIER]


# --- helpers ---------------------------------------------------------------------------------

def css_cubic_bezier(x1, y1, x2, y2, x):
    """y of the CSS curve cubic-bezier(x1, y1, x2, y2) at progress x (0..1), by bisection."""
    lo, hi = 0.0, 1.0
    for _ in range(80):
        t = (lo + hi) / 2
        bx = 3 * (1 - t) ** 2 * t * x1 + 3 * (1 - t) * t * t * x2 + t ** 3
        lo, hi = (t, hi) if bx < x else (lo, t)
    t = (lo + hi) / 2
    return 3 * (1 - t) ** 2 * t * y1 + 3 * (1 - t) * t * t * y2 + t ** 3


def libopenshot_values(keyframe_json, frames):
    keyframe = openshot.Keyframe()
    keyframe.SetJson(json.dumps(keyframe_json))
    return [keyframe.GetValue(f) for f in frames]


def two_point_clip(curve, first=1, last=101, low=0.0, high=10.0):
    clip = kf.add_keyframe({}, "alpha", first, low, "Linear")
    return kf.add_keyframe(clip, "alpha", last, high, curve)


def make_png(path, colour, size):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"color={colour}:s={size}", "-frames:v", "1", str(path)], check=True)
    return str(path)


class TinyTimeline:
    """A 64x64, 10 fps libopenshot timeline holding one image clip built from ``clip_json``."""

    def __init__(self, image_path, clip_json, size=64):
        self.timeline = openshot.Timeline(size, size, openshot.Fraction(FPS, 1), 44100, 2,
                                          openshot.LAYOUT_STEREO)
        self.clip = openshot.Clip(image_path)
        merged = json.loads(self.clip.Json())
        del merged["reader"]  # keep the reader the clip opened itself
        merged.update(clip_json)
        self.clip.SetJson(json.dumps(merged))
        self.timeline.AddClip(self.clip)
        self.timeline.Open()

    def rgba(self, frame_number):
        """The RGBA bytes of a timeline frame (first frame 1)."""
        frame = self.timeline.GetFrame(frame_number)
        size = frame.GetWidth() * frame.GetHeight() * 4
        return ctypes.string_at(int(frame.GetPixels()), size), frame.GetWidth()

    def grey_at_centre(self, frame_number):
        pixels, width = self.rgba(frame_number)
        i = ((width // 2) * width + width // 2) * 4
        return pixels[i]

    def white_pixels(self, frame_number):
        """(count, mean x) of the near-white pixels of a frame."""
        pixels, width = self.rgba(frame_number)
        xs = [(i // 4) % width for i in range(0, len(pixels), 4) if pixels[i] > 200]
        return len(xs), (sum(xs) / len(xs) if xs else None)

    def close(self):
        self.timeline.Close()


@pytest.fixture(scope="module")
def white_64(tmp_path_factory):
    return make_png(tmp_path_factory.mktemp("media") / "white64.png", "white", "64x64")


@pytest.fixture(scope="module")
def white_wide(tmp_path_factory):
    """64x32: fitted into the 64x64 canvas it leaves black bands above and below."""
    return make_png(tmp_path_factory.mktemp("media") / "white64x32.png", "white", "64x32")


@pytest.fixture
def timelines():
    made = []

    def build(*args, **kwargs):
        made.append(TinyTimeline(*args, **kwargs))
        return made[-1]
    yield build
    for t in made:
        t.close()


# --- frames ------------------------------------------------------------------------------------

def test_frame_for_seconds_counts_from_one_and_rounds_to_the_nearest_frame():
    assert kf.frame_for_seconds(0, 30, 1) == 1
    assert kf.frame_for_seconds(1, 30, 1) == 31
    assert kf.frame_for_seconds(2.0, 30000, 1001) == 61
    assert kf.frame_for_seconds(0.05, 10, 1) == 2  # half a frame rounds up
    assert kf.frame_for_seconds("1.5", 24, 1) == 37


def test_frame_for_seconds_rejects_negative_seconds_and_a_zero_frame_rate():
    with pytest.raises(ValueError, match="negative"):
        kf.frame_for_seconds(-1, 30, 1)
    with pytest.raises(ValueError, match="fps"):
        kf.frame_for_seconds(1, 30, 0)


# --- add_keyframe ------------------------------------------------------------------------------

def test_add_keyframe_keeps_points_sorted_and_replaces_a_point_at_the_same_frame():
    clip = kf.add_keyframe({}, "scale_x", 40, 2.0, "Linear")
    clip = kf.add_keyframe(clip, "scale_x", 20, 1.5, "Linear")
    clip = kf.add_keyframe(clip, "scale_x", 40, 3.0, "Constant")
    points = clip["scale_x"]["Points"]
    assert [(p["co"]["X"], p["co"]["Y"]) for p in points] == [(1, 1.0), (20, 1.5), (40, 3.0)]
    assert [p["interpolation"] for p in points[1:]] == [kf.LINEAR, kf.CONSTANT]


def test_add_keyframe_seeds_the_default_value_at_frame_one_so_earlier_frames_keep_it():
    clip = kf.add_keyframe({"alpha": {"Points": []}}, "alpha", 31, 0.0, "Linear")
    assert libopenshot_values(clip["alpha"], [1, 16, 31, 50]) == pytest.approx([1.0, 0.5, 0.0, 0.0])


def test_add_keyframe_does_not_modify_the_clip_it_is_given():
    original = {"alpha": {"Points": [{"co": {"X": 1, "Y": 1.0}, "interpolation": 2}]}}
    before = json.dumps(original, sort_keys=True)
    kf.add_keyframe(original, "alpha", 10, 0.0, "Linear")
    assert json.dumps(original, sort_keys=True) == before


def test_add_keyframe_accepts_a_value_given_as_text_and_names_in_any_case():
    clip = kf.add_keyframe({}, "ALPHA", 5, "0.25", "ease in")
    assert clip["alpha"]["Points"][-1]["co"] == {"X": 5.0, "Y": 0.25}


def test_add_keyframe_rejects_an_unknown_property_listing_the_valid_ones():
    with pytest.raises(ValueError) as error:
        kf.add_keyframe({}, "opacity", 1, 1.0, "Linear")
    assert "opacity" in str(error.value)
    for name in ("alpha", "scale_x", "rotation", "volume", "wave_color.red"):
        assert name in str(error.value)


def test_add_keyframe_rejects_an_unknown_curve_listing_the_valid_ones():
    with pytest.raises(ValueError) as error:
        kf.add_keyframe({}, "alpha", 1, 1.0, "Wobbly")
    assert "Ease In/Out (Back)" in str(error.value) and "Linear" in str(error.value)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "x"])
def test_add_keyframe_rejects_a_frame_that_is_not_a_whole_number_from_one(bad):
    with pytest.raises(ValueError, match="frame"):
        kf.add_keyframe({}, "alpha", bad, 1.0, "Linear")


def test_add_keyframe_rejects_a_value_that_is_not_a_number():
    with pytest.raises(ValueError, match="value"):
        kf.add_keyframe({}, "alpha", 1, "bright", "Linear")


@pytest.mark.parametrize("name", ["wave_color.red", "wave_color_red", "Wave_Color_Red"])
def test_wave_colour_channels_are_reached_by_dotted_or_underscored_names(name):
    clip = kf.add_keyframe({"wave_color": {"blue": {"Points": []}}}, name, 10, 200, "Linear")
    assert clip["wave_color"]["red"]["Points"][-1]["co"] == {"X": 10.0, "Y": 200.0}
    assert clip["wave_color"]["blue"] == {"Points": []}


def test_every_keyframed_clip_property_of_libopenshot_is_listed():
    clip = json.loads(openshot.Clip().Json())
    keyframed = {k for k, v in clip.items() if isinstance(v, dict) and "Points" in v}
    keyframed |= {f"wave_color.{c}" for c in clip["wave_color"]}
    assert keyframed == set(kf.KEYFRAME_PROPERTIES)
    for prop in kf.KEYFRAME_PROPERTIES:
        holder, key = (clip["wave_color"], prop.split(".")[1]) if "." in prop else (clip, prop)
        points = holder[key]["Points"]
        expected = points[0]["co"]["Y"] if points else 0.0
        assert kf.PROPERTY_DEFAULTS[prop] == pytest.approx(expected), prop


# --- curves against libopenshot ----------------------------------------------------------------

@pytest.mark.parametrize("name", BEZIER_CURVES)
def test_each_eased_curve_is_evaluated_by_libopenshot_as_its_css_cubic_bezier(name):
    curve = kf.CURVES[name]
    clip = two_point_clip(name)
    first, last = clip["alpha"]["Points"]
    assert first["handle_right"] == {"X": curve.x1, "Y": curve.y1}
    assert last["handle_left"] == {"X": curve.x2, "Y": curve.y2}
    frames = range(1, 102)
    for frame, got in zip(frames, libopenshot_values(clip["alpha"], frames)):
        x = (frame - 1) / 100
        expected = 10 * css_cubic_bezier(curve.x1, curve.y1, curve.x2, curve.y2, x)
        # libopenshot stops its search within 0.01 frame; allow what that moves the curve.
        dx = 0.011 / 100
        slack = max(abs(10 * css_cubic_bezier(curve.x1, curve.y1, curve.x2, curve.y2,
                                              min(1, max(0, x + s))) - expected)
                    for s in (-dx, dx))
        assert got == pytest.approx(expected, abs=slack + 0.01), (name, frame)


def test_linear_and_constant_curves_are_evaluated_by_libopenshot_as_named():
    linear = libopenshot_values(two_point_clip("Linear")["alpha"], [1, 26, 51, 101])
    assert linear == pytest.approx([0, 2.5, 5, 10])
    constant = libopenshot_values(two_point_clip("Constant")["alpha"], [1, 50, 100, 101])
    assert constant == pytest.approx([0, 0, 0, 10])


def test_a_point_inserted_inside_a_segment_keeps_the_curve_of_the_segment_after_it():
    clip = two_point_clip("Ease In", first=1, last=101, low=0, high=10)
    clip = kf.add_keyframe(clip, "alpha", 51, 5.0, "Linear")
    ease_in = kf.CURVES["Ease In"]
    frames = range(51, 102, 5)
    got = libopenshot_values(clip["alpha"], frames)
    expected = [5 + 5 * css_cubic_bezier(ease_in.x1, ease_in.y1, ease_in.x2, ease_in.y2,
                                         (f - 51) / 50) for f in frames]
    assert got == pytest.approx(expected, abs=0.02)
    assert libopenshot_values(clip["alpha"], [26]) == pytest.approx([2.5])


# --- presets -----------------------------------------------------------------------------------

def alpha_points(clip):
    return [(p["co"]["X"], p["co"]["Y"]) for p in clip["alpha"]["Points"]]


def test_fade_in_runs_from_the_clips_first_visible_frame_of_its_source():
    clip = kf.apply_preset({"start": 2.0, "end": 6.0}, "Fade In", 1.0, "Linear",
                           {"num": 10, "den": 1})
    assert alpha_points(clip) == [(1, 1.0), (21, 0.0), (31, 1.0)]


def test_fade_out_ends_on_the_clips_last_visible_frame():
    clip = kf.apply_preset({}, "Fade Out", 1.0, "Ease Out", (10, 1), 3.0, 2.0, 6.0)
    assert alpha_points(clip) == [(1, 1.0), (50, 1.0), (60, 0.0)]


def test_fade_in_and_out_with_a_length_longer_than_half_the_clip_meets_in_the_middle():
    clip = kf.apply_preset({"start": 0, "end": 2}, "Fade In & Out", 5, "Linear", 10)
    assert alpha_points(clip) == [(1, 0.0), (10, 1.0), (11, 1.0), (20, 0.0)]


def test_fade_in_then_fade_out_keep_each_others_points():
    clip = kf.apply_preset({"start": 0, "end": 4}, "Fade In", 1, "Linear", 10)
    clip = kf.apply_preset(clip, "Fade Out", 1, "Linear", 10)
    assert alpha_points(clip) == [(1, 0.0), (11, 1.0), (30, 1.0), (40, 0.0)]


def test_a_preset_removes_the_points_it_animates_over():
    clip = kf.add_keyframe({"start": 0, "end": 4}, "alpha", 5, 0.3, "Linear")
    clip = kf.add_keyframe(clip, "alpha", 25, 0.7, "Linear")
    clip = kf.apply_preset(clip, "Fade In", 1, "Linear", 10)
    assert alpha_points(clip) == [(1, 0.0), (11, 1.0), (25, 0.7)]


@pytest.mark.parametrize("preset, prop, values", [
    ("Zoom In", "scale_x", (1.0, 1.5)),
    ("Zoom Out", "scale_y", (1.5, 1.0)),
    ("Top to Center", "location_y", (-1.0, 0.0)),
    ("Left to Right", "location_x", (-1.0, 1.0)),
    ("Rotate 90 Right", "rotation", (0.0, 90.0)),
    ("Rotate 90 Left", "rotation", (0.0, -90.0)),
    ("Rotate 180", "rotation", (0.0, 180.0)),
    ("Volume Fade In", "volume", (0.0, 1.0)),
])
def test_presets_at_the_start_animate_their_property_over_the_length(preset, prop, values):
    clip = kf.apply_preset({"start": 1, "end": 5}, preset, 2, "Ease (Default)", 10)
    points = [(p["co"]["X"], p["co"]["Y"]) for p in clip[prop]["Points"]]
    assert points[-2:] == [(11, values[0]), (31, values[1])]


@pytest.mark.parametrize("preset, prop, values", [
    ("Center to Top", "location_y", (0.0, -1.0)),
    ("Center to Left", "location_x", (0.0, -1.0)),
    ("Center to Right", "location_x", (0.0, 1.0)),
    ("Center to Bottom", "location_y", (0.0, 1.0)),
    ("Volume Fade Out", "volume", (1.0, 0.0)),
])
def test_presets_at_the_end_animate_their_property_up_to_the_last_frame(preset, prop, values):
    clip = kf.apply_preset({"start": 1, "end": 5}, preset, 2, "Ease (Default)", 10)
    points = [(p["co"]["X"], p["co"]["Y"]) for p in clip[prop]["Points"]]
    assert points[-2:] == [(30, values[0]), (50, values[1])]


def test_apply_preset_rejects_an_unknown_preset_listing_the_valid_ones():
    with pytest.raises(ValueError) as error:
        kf.apply_preset({"start": 0, "end": 1}, "Spin", 1, "Linear", 10)
    assert "Fade In & Out" in str(error.value) and "Bottom to Top" in str(error.value)


@pytest.mark.parametrize("clip, length", [({"start": 0, "end": 1}, 0),
                                          ({"start": 2, "end": 1}, 1),
                                          ({"start": 0}, 1)])
def test_apply_preset_rejects_a_zero_length_or_a_clip_without_a_proper_end(clip, length):
    with pytest.raises(ValueError):
        kf.apply_preset(clip, "Fade In", length, "Linear", 10)


def test_reset_keyframes_puts_the_picture_properties_back_and_leaves_the_rest():
    clip = kf.apply_preset({"start": 0, "end": 4}, "Fade In", 1, "Linear", 10)
    clip = kf.apply_preset(clip, "Zoom In", 1, "Linear", 10)
    clip = kf.apply_preset(clip, "Volume Fade Out", 1, "Linear", 10)
    clip = kf.add_keyframe(clip, "shear_x", 5, 0.5, "Linear")
    reset = kf.reset_keyframes(clip)
    for prop in ("alpha", "scale_x", "scale_y", "location_x", "location_y", "rotation",
                 "shear_x", "shear_y"):
        assert len(reset[prop]["Points"]) == 1
        assert libopenshot_values(reset[prop], [1, 20]) == [kf.PROPERTY_DEFAULTS[prop]] * 2
    assert reset["volume"] == clip["volume"]


# --- render and look ---------------------------------------------------------------------------

def test_fade_in_renders_a_grey_ramp_that_starts_on_the_first_visible_frame(white_64, timelines):
    # Trimmed by 2 s and placed at 1 s: the ramp must follow the clip, not the file or timeline.
    clip = kf.apply_preset({"start": 2.0, "end": 6.0}, "Fade In", 1.0, "Linear", FPS)
    timeline = timelines(white_64, dict(clip, position=1.0, layer=1))
    greys = [timeline.grey_at_centre(n) for n in range(11, 22)]
    assert greys == pytest.approx([255 * k / 10 for k in range(11)], abs=3)
    assert timeline.grey_at_centre(30) == 255


def test_fade_out_renders_black_on_the_last_frame(white_64, timelines):
    clip = kf.apply_preset({"start": 0.0, "end": 3.0}, "Fade Out", 1.0, "Linear", FPS)
    timeline = timelines(white_64, dict(clip, position=0.0, layer=1))
    assert timeline.grey_at_centre(20) == 255
    assert 100 < timeline.grey_at_centre(25) < 155
    assert timeline.grey_at_centre(30) == 0


def test_zoom_in_makes_the_picture_larger(white_wide, timelines):
    clip = kf.apply_preset({"start": 0.0, "end": 3.0}, "Zoom In", 1.0, "Linear", FPS)
    timeline = timelines(white_wide, dict(clip, position=0.0, layer=1))
    before, _ = timeline.white_pixels(1)
    after, _ = timeline.white_pixels(11)
    assert before == pytest.approx(64 * 32, rel=0.05)
    assert after == pytest.approx(64 * 48, rel=0.05)  # 96x48 cut to the 64 px wide canvas


def test_slide_center_to_right_moves_the_picture_off_the_right_edge(white_wide, timelines):
    clip = kf.apply_preset({"start": 0.0, "end": 3.0}, "Center to Right", 1.0, "Linear", FPS)
    timeline = timelines(white_wide, dict(clip, position=0.0, layer=1))
    counts, centres = zip(*(timeline.white_pixels(n) for n in (20, 23, 26, 30)))
    assert centres[0] == pytest.approx(31.5, abs=1)
    assert centres[1] < centres[2]
    assert counts[3] == 0
