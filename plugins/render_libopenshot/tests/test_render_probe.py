"""Probing real files: the reader info the spec's file json shows, with the right media_type."""
import pytest

from openshot_api.interfaces import BackendError

SPEC_KEYS = {"type", "has_video", "has_audio", "has_single_image", "duration", "width", "height",
             "fps", "video_length", "video_timebase", "audio_timebase", "sample_rate", "channels",
             "channel_layout", "vcodec", "acodec", "pixel_ratio", "display_ratio", "file_size",
             "media_type", "metadata", "path", "pixel_format", "interlaced_frame", "top_field_first",
             "video_stream_index", "audio_stream_index", "video_bit_rate", "audio_bit_rate"}


def test_probe_of_a_video_with_sound_has_every_key_of_the_spec_example(probed, media):
    info = probed("red.mp4")
    assert SPEC_KEYS <= set(info)
    assert info["type"] == "FFmpegReader"
    assert info["media_type"] == "video"
    assert info["has_video"] is True and info["has_audio"] is True
    assert info["has_single_image"] is False
    assert (info["width"], info["height"]) == (320, 240)
    assert info["fps"] == {"num": 30, "den": 1}
    assert info["duration"] == pytest.approx(2.0, abs=0.05)
    assert info["video_length"] == "60"
    assert info["vcodec"] == "h264" and info["acodec"] == "aac"
    assert info["sample_rate"] == 48000 and info["channels"] == 2 and info["channel_layout"] == 3
    assert info["video_timebase"]["den"] > 0 and info["audio_timebase"]["den"] > 0
    assert isinstance(info["metadata"], dict)
    assert info["file_size"] == str(__import__("os").path.getsize(media["red.mp4"]))
    assert info["path"] == media["red.mp4"]


def test_probe_of_an_audio_file_says_media_type_audio(probed):
    info = probed("tone.mp3")
    assert info["media_type"] == "audio"
    assert info["has_audio"] is True and info["has_video"] is False
    assert info["sample_rate"] == 44100
    assert info["duration"] == pytest.approx(2.0, abs=0.1)


def test_probe_of_a_png_is_a_single_image_read_by_qt(probed):
    info = probed("still.png")
    assert info["media_type"] == "image"
    assert info["type"] == "QtImageReader"
    assert info["has_single_image"] is True and info["has_audio"] is False
    assert (info["width"], info["height"]) == (64, 48)


def test_probe_of_an_svg_is_a_single_image_at_its_declared_size(probed):
    info = probed("title.svg")
    assert info["media_type"] == "image"
    assert info["type"] == "QtImageReader"
    assert (info["width"], info["height"]) == (200, 100)


def test_probe_raises_backend_error_when_the_file_is_not_media(renderer, media):
    with pytest.raises(BackendError, match="broken.mp4"):
        renderer.probe(media["broken.mp4"])


def test_probe_raises_backend_error_when_the_file_is_missing(renderer, tmp_path):
    with pytest.raises(BackendError, match="does not exist"):
        renderer.probe(str(tmp_path / "nothing.mp4"))
