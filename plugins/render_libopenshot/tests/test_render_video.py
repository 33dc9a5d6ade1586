"""Video exports, checked on the decoded output: streams, pixels, sound, progress, cancel."""
import os
import subprocess
import time

import pytest

from openshot_api.interfaces import BackendError


def keyframes(*points):
    return {"Points": [{"co": {"X": x, "Y": y}, "interpolation": 1} for x, y in points]}


def near(colour, expected, tolerance=16):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


def render(renderer, timeline, settings, path, progress=None, cancelled=None):
    return renderer.render(timeline, settings, str(path), progress or (lambda p: None),
                           cancelled or (lambda: False))


@pytest.mark.parametrize("which", ["renderer", "single_renderer"])
def test_mp4_render_has_the_export_codecs_size_duration_and_frame_count(
        request, which, project, clip, export, streams, tmp_path):
    chosen = request.getfixturevalue(which)
    result = render(chosen, project(clip("red.mp4", 1, 1)), export(), tmp_path / "out")
    assert result == {"content_type": "video/mp4", "extension": "mp4"}
    info = streams(str(tmp_path / "out"))
    video = [s for s in info["streams"] if s["codec_type"] == "video"][0]
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"][0]
    assert "mp4" in info["format"]["format_name"]
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 320, 240)
    assert int(video["nb_read_frames"]) == 60
    assert float(video["duration"]) == pytest.approx(2.0, abs=0.05)
    assert (audio["codec_name"], audio["sample_rate"], audio["channels"]) == ("aac", "48000", 2)
    assert float(audio["duration"]) == pytest.approx(2.0, abs=0.05)
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".render-")]


def test_a_layer_2_clip_covers_a_layer_1_clip(renderer, project, clip, export, pixel, tmp_path):
    render(renderer, project(clip("red.mp4", 1, 1), clip("blue.mp4", 2, 2)), export(end_frame=10), tmp_path / "a")
    render(renderer, project(clip("blue.mp4", 2, 1), clip("red.mp4", 1, 2)), export(end_frame=10), tmp_path / "b")
    assert near(pixel(str(tmp_path / "a"), 5), (0, 0, 255))
    assert near(pixel(str(tmp_path / "b"), 5), (255, 0, 0))


def test_an_alpha_ramp_from_1_to_0_gives_mid_grey_halfway_over_black(renderer, project, clip, export,
                                                                     pixel, tmp_path):
    faded = clip("white.mp4", 1, 1, alpha=keyframes((1, 1.0), (61, 0.0)))
    render(renderer, project(faded), export(), tmp_path / "out")
    first, middle, last = (pixel(str(tmp_path / "out"), n) for n in (0, 30, 59))
    assert near(first, (255, 255, 255), 8)
    assert near(middle, (128, 128, 128), 10)
    assert near(last, (0, 0, 0), 12)


def test_a_volume_keyframe_at_0_gives_silence_while_volume_1_is_loud(renderer, project, clip, export,
                                                                    audio_levels, tmp_path):
    render(renderer, project(clip("red.mp4", 1, 1, volume=keyframes((1, 0.0)))), export(), tmp_path / "mute")
    render(renderer, project(clip("red.mp4", 1, 1)), export(), tmp_path / "loud")
    mute_mean, mute_peak = audio_levels(str(tmp_path / "mute"))
    loud_mean, loud_peak = audio_levels(str(tmp_path / "loud"))
    assert mute_peak < -80
    assert loud_mean > -20 and loud_peak > -10


def test_two_sounds_are_mixed(renderer, project, clip, export, audio_levels, tmp_path):
    render(renderer, project(clip("red.mp4", 1, 1, volume=keyframes((1, 0.0))), clip("tone.mp3", 2, 2)),
           export(), tmp_path / "out")
    mean, peak = audio_levels(str(tmp_path / "out"))
    assert -40 < mean < -10


def test_clip_position_and_trim_are_seconds_on_the_timeline(renderer, project, clip, export, pixel, tmp_path):
    late = clip("red.mp4", 1, 1, position=1.0, start=0.5, end=1.5)
    render(renderer, project(late), export(), tmp_path / "out")
    assert near(pixel(str(tmp_path / "out"), 15), (0, 0, 0))
    assert near(pixel(str(tmp_path / "out"), 45), (255, 0, 0))


def test_a_clip_effect_and_a_timeline_effect_change_the_picture(renderer, project, clip, export, pixel, tmp_path):
    negate = dict(renderer.effect_defaults("Negate"), id="9")
    with_clip_effect = clip("red.mp4", 1, 1, effects=[negate])
    render(renderer, project(with_clip_effect), export(end_frame=10), tmp_path / "clip")
    layer_effect = dict(negate, layer=1, position=0.0, start=0.0, end=2.0)
    render(renderer, project(clip("red.mp4", 1, 1), effects=[layer_effect]), export(end_frame=10), tmp_path / "timeline")
    assert near(pixel(str(tmp_path / "clip"), 5), (0, 255, 255))
    assert near(pixel(str(tmp_path / "timeline"), 5), (0, 255, 255))


def test_an_image_clip_is_drawn_for_the_whole_clip(renderer, project, clip, export, pixel, tmp_path):
    still = clip("still.png", 1, 1, scale=2)  # stretched over the frame
    render(renderer, project(still), export(end_frame=40), tmp_path / "out")
    assert near(pixel(str(tmp_path / "out"), 0), (0, 255, 0))
    assert near(pixel(str(tmp_path / "out"), 39), (0, 255, 0))


@pytest.mark.parametrize("settings, codecs", [
    ({"video_format": "webm", "video_codec": "libvpx-vp9", "audio_codec": "libopus", "video_bitrate": 500000},
     {"vp9", "opus"}),
    ({"video_format": "gif", "video_codec": "gif", "audio_codec": ""}, {"gif"}),
    ({"video_format": "mov", "video_codec": "libx264", "audio_codec": "pcm_s16le"}, {"h264", "pcm_s16le"}),
    ({"video_format": "avi", "video_codec": "mpeg4", "audio_codec": "libmp3lame", "video_bitrate": "qp 4"},
     {"mpeg4", "mp3"}),
])
def test_other_containers_hold_every_frame(renderer, project, clip, export, streams, tmp_path, settings, codecs):
    result = render(renderer, project(clip("red.mp4", 1, 1)), export(**settings), tmp_path / "out")
    assert result["extension"] == settings["video_format"]
    info = streams(str(tmp_path / "out"))
    assert {s["codec_name"] for s in info["streams"]} == codecs
    video = [s for s in info["streams"] if s["codec_type"] == "video"][0]
    assert int(video["nb_read_frames"]) == 60


def test_progress_is_monotonic_and_reaches_100(renderer, project, clip, export, tmp_path):
    seen = []
    render(renderer, project(clip("red.mp4", 1, 1)), export(), tmp_path / "out", seen.append)
    assert seen[-1] == 100
    assert seen == sorted(seen)
    assert all(0 <= value <= 100 for value in seen)


def test_cancel_stops_the_render_within_two_seconds_and_raises(renderer, project, clip, export, tmp_path):
    started = time.monotonic()
    asked = {}
    seen = []

    def cancelled():
        if time.monotonic() - started > 2.5:
            asked.setdefault("at", time.monotonic())
            return True
        return False

    with pytest.raises(BackendError, match="^cancelled$"):
        render(renderer, project(clip("red.mp4", 1, 1)), export(end_frame=30 * 600), tmp_path / "out",
               seen.append, cancelled)
    assert time.monotonic() - asked["at"] < 2.0
    assert not (tmp_path / "out").exists()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".render-")]
    assert len(seen) >= 3 and seen == sorted(seen)
    # No render child of this process is left (warm children kept ready by apps built earlier in
    # this test process are not render children: their sandbox names their .warm- folders).
    children = subprocess.run(["pgrep", "-a", "-f", "openshot_api_render_libopenshot.child"],
                              capture_output=True, text=True).stdout.splitlines()
    children = [line.split()[0] for line in children if "/.warm-" not in line]
    assert str(os.getpid()) not in children and not [
        pid for pid in children
        if open(f"/proc/{pid}/stat").read().split()[3] == str(os.getpid())]


def test_an_unreadable_media_file_fails_the_render_with_its_name(renderer, project, clip, export, media, tmp_path):
    broken = clip("red.mp4", 1, 1)
    broken["reader"] = dict(broken["reader"], path=media["broken.mp4"])
    with pytest.raises(BackendError, match="broken.mp4"):
        render(renderer, project(broken), export(), tmp_path / "out")


def test_a_missing_media_file_fails_the_render(renderer, project, clip, export, tmp_path):
    gone = clip("red.mp4", 1, 1)
    gone["reader"] = dict(gone["reader"], path=str(tmp_path / "gone.mp4"))
    with pytest.raises(BackendError, match="gone.mp4"):
        render(renderer, project(gone), export(), tmp_path / "out")


def test_an_interlaced_export_is_encoded_with_the_requested_field_order(renderer, project, clip, export, tmp_path):
    settings = export(end_frame=10, interlaced=True, top_field_first=True)
    render(renderer, project(clip("red.mp4", 1, 1)), settings, tmp_path / "out")
    order = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
                            "stream=field_order", "-of", "csv=p=0", str(tmp_path / "out")],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert order == "tt"


def test_the_spec_example_export_renders_with_its_1920000_ac3_bitrate(renderer, project, clip, export,
                                                                     streams, tmp_path):
    settings = export(video_bitrate=8000000, audio_codec="ac3", audio_bitrate=1920000, end_frame=30)
    render(renderer, project(clip("red.mp4", 1, 1)), settings, tmp_path / "out")
    assert {s["codec_name"] for s in streams(str(tmp_path / "out"))["streams"]} == {"h264", "ac3"}
