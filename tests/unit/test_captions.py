"""Caption parsing and writing, and the libopenshot Caption effect they produce: its json and
what it draws on a rendered frame."""
import ctypes
import json
import subprocess

import pytest

from openshot_api import captions
from openshot_api.captions import Cue
from openshot_api_render_libopenshot.qt import ensure_gui_application

openshot = pytest.importorskip("openshot")

FPS = 10
YELLOW = (255, 204, 0)


# --- parse -------------------------------------------------------------------------------------

def test_webvtt_with_header_ids_settings_and_notes_is_parsed():
    text = ("WEBVTT - a talk\nKind: captions\n\nNOTE written by hand\nacross two lines\n\n"
            "intro\n00:01.000 --> 00:03.500 align:start position:10%\nHello\nworld\n\n"
            "00:01:02.250 --> 01:00:00.000\n<i>Bye</i> &amp; thanks\n")
    assert captions.parse(text) == [
        Cue(1.0, 3.5, "Hello\nworld", "intro"),
        Cue(62.25, 3600.0, "<i>Bye</i> &amp; thanks"),
    ]


def test_subrip_with_numbers_and_comma_milliseconds_is_parsed():
    text = ("1\r\n00:00:01,000 --> 00:00:02,000\r\nOne\r\n\r\n"
            "2\r\n00:00:02,500 --> 00:00:04,000\r\nTwo\r\nlines\r\n")
    assert captions.parse(text) == [Cue(1.0, 2.0, "One", "1"), Cue(2.5, 4.0, "Two\nlines", "2")]


def test_cues_without_header_or_blank_lines_between_them_are_parsed():
    text = "00:00.000 --> 00:07.000\nFirst\n00:07.000 --> 00:09.5\nSecond"
    assert captions.parse(text) == [Cue(0.0, 7.0, "First"), Cue(7.0, 9.5, "Second")]


def test_libopenshots_own_placeholder_caption_is_parsed():
    assert captions.parse(captions.LIBOPENSHOT_PLACEHOLDER) == [
        Cue(0.0, 600.0, "Edit this caption with our caption editor")]


def test_empty_text_has_no_cues():
    assert captions.parse("") == [] and captions.parse("WEBVTT\n\n") == []


@pytest.mark.parametrize("text, line", [
    ("WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:03.000 -> 00:04.000\nbad arrow\n", 6),
    ("00:01.000 --> 00:02.000\nok\n\nnot a cue\n", 4),
    ("1\n00:00:05,000 --> 00:00:04,000\nbackwards\n", 2),
    ("00:01.000 --> 00:75.000\nsixty-five seconds\n", 1),
    ("00:01.000 --> soon\nwhen\n", 1),
])
def test_malformed_caption_text_is_rejected_naming_the_line(text, line):
    with pytest.raises(ValueError, match=rf"^line {line}:"):
        captions.parse(text)


# --- shift and to_vtt --------------------------------------------------------------------------

def test_shift_moves_cues_and_drops_those_that_end_before_zero():
    cues = [Cue(0.5, 1.0, "gone"), Cue(1.0, 3.0, "cut"), Cue(4.0, 5.0, "moved", "7")]
    assert captions.shift(cues, -1.5) == [Cue(0.0, 1.5, "cut"), Cue(2.5, 3.5, "moved", "7")]
    assert captions.shift(cues, 2)[0] == Cue(2.5, 3.0, "gone")


def test_to_vtt_writes_a_document_that_parses_back_to_the_same_cues():
    cues = [Cue(1.0, 2.0, "One", "a"), Cue(3723.004, 3725.5, "Two\nlines")]
    text = captions.to_vtt(cues)
    assert text.startswith("WEBVTT\n\na\n00:00:01.000 --> 00:00:02.000\nOne\n\n")
    assert "01:02:03.004 --> 01:02:05.500" in text
    assert captions.parse(text) == cues


def test_to_vtt_keeps_a_cue_whole_when_its_text_has_blank_lines_or_arrows():
    text = captions.to_vtt([Cue(0, 1, "a\n\nb --> c")])
    assert captions.parse(text) == [Cue(0, 1, "a\nb --&gt; c")]


# --- the Caption effect json -------------------------------------------------------------------

def test_caption_defaults_are_what_libopenshot_makes_for_a_new_caption_effect():
    made = json.loads(openshot.EffectInfo().CreateEffect("Caption").Json())
    assert set(made) == set(captions.CAPTION_DEFAULTS)
    for key, value in made.items():
        ours = captions.CAPTION_DEFAULTS[key]
        if isinstance(value, dict):
            assert json.dumps(ours, sort_keys=True) == json.dumps(
                json.loads(json.dumps(value), parse_float=lambda f: round(float(f), 6)),
                sort_keys=True), key
        else:
            assert ours == value, key


def test_a_new_caption_effect_holds_the_cues_and_gets_an_id():
    effect = captions.caption_effect_json([Cue(1, 2, "Hello"), Cue(0, 1, "<b>First</b>")])
    assert effect["class_name"] == "Caption" and len(effect["id"]) == 10
    assert effect["caption_text"] == ("00:00:00.000 --> 00:00:01.000\nFirst\n\n"
                                      "00:00:01.000 --> 00:00:02.000\nHello\n\n")
    assert captions.CAPTION_DEFAULTS["id"] == ""  # the module's defaults are not changed


def test_a_new_caption_effect_starts_from_the_defaults_given():
    defaults = dict(captions.CAPTION_DEFAULTS, caption_font="DejaVu Serif", id="X1")
    effect = captions.caption_effect_json([Cue(0, 1, "Hi")], defaults=defaults)
    assert effect["caption_font"] == "DejaVu Serif" and effect["id"] == "X1"


def test_an_existing_caption_effect_gets_the_new_cues_added_once_and_keeps_its_style():
    existing = captions.caption_effect_json([Cue(5, 6, "Later")])
    existing["font_size"] = {"Points": [{"co": {"X": 1.0, "Y": 48.0}, "interpolation": 2}]}
    updated = captions.caption_effect_json([Cue(1, 2, "Earlier"), Cue(5, 6, "Later")], existing)
    assert updated["id"] == existing["id"] and updated["font_size"] == existing["font_size"]
    assert captions.parse(updated["caption_text"]) == [Cue(1, 2, "Earlier"), Cue(5, 6, "Later")]


def test_the_placeholder_text_of_an_untouched_effect_is_replaced():
    placeholder = dict(captions.CAPTION_DEFAULTS, id="P1")
    updated = captions.caption_effect_json([Cue(1, 2, "Real")], placeholder)
    assert captions.parse(updated["caption_text"]) == [Cue(1, 2, "Real")]


def test_apply_captions_updates_the_clips_caption_effect_or_adds_one():
    clip = {"effects": [{"class_name": "Negate", "id": "N"}]}
    once = captions.apply_captions(clip, [Cue(0, 1, "A")])
    twice = captions.apply_captions(once, [Cue(1, 2, "B")])
    assert clip["effects"] == [{"class_name": "Negate", "id": "N"}]
    assert [e["class_name"] for e in twice["effects"]] == ["Negate", "Caption"]
    assert captions.parse(twice["effects"][1]["caption_text"]) == [Cue(0, 1, "A"), Cue(1, 2, "B")]


# --- render and look ---------------------------------------------------------------------------



@pytest.fixture(scope="module")
def black_clip_image(tmp_path_factory):
    path = tmp_path_factory.mktemp("media") / "black.png"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=black:s=320x180", "-frames:v", "1", str(path)], check=True)
    return str(path)


class CaptionedTimeline:
    """A 320x180, 10 fps timeline with one black clip carrying ``effect``."""

    def __init__(self, image, effect, start=0.0):
        ensure_gui_application()
        self.timeline = openshot.Timeline(320, 180, openshot.Fraction(FPS, 1), 44100, 2,
                                          openshot.LAYOUT_STEREO)
        self.clip = openshot.Clip(image)
        clip = json.loads(self.clip.Json())
        del clip["reader"]
        clip.update(start=start, end=start + 5, position=0.0, layer=1, effects=[effect])
        self.clip.SetJson(json.dumps(clip))
        self.timeline.AddClip(self.clip)
        self.timeline.Open()

    def yellow_pixels(self, frame_number):
        frame = self.timeline.GetFrame(frame_number)
        pixels = ctypes.string_at(int(frame.GetPixels()), frame.GetWidth() * frame.GetHeight() * 4)
        return sum(1 for i in range(0, len(pixels), 4)
                   if pixels[i] > 180 and 120 < pixels[i + 1] < 240 and pixels[i + 2] < 80)

    def close(self):
        self.timeline.Close()


def yellow_caption(cues):
    effect = captions.caption_effect_json(cues)
    r, g, b = YELLOW
    effect["color"] = json.loads(json.dumps(effect["color"]))
    for channel, value in (("red", r), ("green", g), ("blue", b)):
        effect["color"][channel]["Points"][0]["co"]["Y"] = float(value)
    return effect


def test_a_caption_is_drawn_during_its_cue_and_not_outside_it(black_clip_image):
    timeline = CaptionedTimeline(black_clip_image, yellow_caption([Cue(1.0, 2.0, "Hello there")]))
    try:
        assert timeline.yellow_pixels(15) > 200
        assert timeline.yellow_pixels(5) == 0
        assert timeline.yellow_pixels(26) == 0
    finally:
        timeline.close()


def test_a_caption_line_starting_with_digits_is_still_drawn(black_clip_image):
    # libopenshot reads a line starting with digits as the next cue's timing, unless padded.
    cues = [Cue(0.0, 1.0, "Intro"), Cue(1.0, 2.0, "In the year\n2024 it was good"),
            Cue(2.0, 3.0, "Outro")]
    timeline = CaptionedTimeline(black_clip_image, yellow_caption(cues))
    try:
        assert all(timeline.yellow_pixels(n) > 200 for n in (5, 15, 25))
    finally:
        timeline.close()


def test_caption_times_count_from_the_source_file_not_the_trimmed_clip(black_clip_image):
    # Trimmed by 2 s: the cue at 2.5-3.5 s of the file shows 0.5-1.5 s into the clip.
    timeline = CaptionedTimeline(black_clip_image, yellow_caption([Cue(2.5, 3.5, "Trimmed")]),
                                 start=2.0)
    try:
        assert timeline.yellow_pixels(10) > 200
        assert timeline.yellow_pixels(30) == 0
    finally:
        timeline.close()
