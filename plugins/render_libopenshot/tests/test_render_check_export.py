"""check_export names the bad field; video_bitrate takes bits or quality values."""
import pytest

from openshot_api.interfaces import BackendError, ConfigurationError
from openshot_api_render_libopenshot import LibopenshotRenderer
from openshot_api_render_libopenshot.exports import ExportProblem, parse_video_bit_rate


def test_a_valid_export_of_each_type_passes(renderer, export):
    assert renderer.check_export(export()) is None
    assert renderer.check_export(export(export_type="audio", video_format="mp3", audio_codec="libmp3lame")) is None
    assert renderer.check_export(export(export_type="image", video_format="png")) is None
    assert renderer.check_export(export(export_type="image sequence", video_format="%05d.jpg")) is None
    assert renderer.check_export(export(export_type="waveform", video_format="png")) is None
    assert renderer.check_export(export(export_type="waveform", video_format="webm",
                                        video_codec="libvpx-vp9", audio_codec="libopus")) is None


@pytest.mark.parametrize("changes, field", [
    ({"export_type": "hologram"}, "export_type"),
    ({"video_format": "xyz"}, "video_format"),
    ({"video_codec": "nosuchcodec"}, "video_codec"),
    ({"video_codec": "aac"}, "video_codec"),
    ({"audio_codec": "libx264"}, "audio_codec"),
    ({"video_format": "webm", "video_codec": "libx264"}, "video_codec"),
    ({"video_format": "mp4", "audio_codec": "pcm_s16le"}, "audio_codec"),
    ({"width": 321}, "width"),
    ({"height": 0}, "height"),
    ({"width": 8194}, "width"),
    ({"fps": {"num": 0, "den": 1}}, "fps"),
    ({"fps": {"num": 30, "den": -1}}, "fps"),
    ({"sample_rate": 100}, "sample_rate"),
    ({"channels": 2, "channel_layout": 4}, "channel_layout"),
    ({"video_bitrate": "fast please"}, "video_bitrate"),
    ({"video_bitrate": "crf 99"}, "video_bitrate"),
    ({"audio_bitrate": "loud"}, "audio_bitrate"),
    ({"start_frame": 0}, "start_frame"),
    ({"start_frame": 30, "end_frame": 10}, "end_frame"),
    ({"export_type": "image", "video_format": "mp4"}, "video_format"),
    ({"export_type": "audio", "video_format": "mp3", "audio_codec": "aac"}, "audio_codec"),
    ({"export_type": "waveform", "wave_color": "not a colour"}, "wave_color"),
])
def test_check_export_names_the_bad_field(renderer, export, changes, field):
    message = renderer.check_export(export(**changes))
    assert message and message.startswith(field), message


def test_render_refuses_an_export_that_check_export_refuses(renderer, export, project, clip, tmp_path):
    with pytest.raises(BackendError, match="video_codec"):
        renderer.render(project(clip("red.mp4", 1, 1)), export(video_codec="nosuchcodec"),
                        str(tmp_path / "out"), lambda p: None, lambda: False)


@pytest.mark.parametrize("value, expected", [
    (8000000, (8000000, None)), ("8000000", (8000000, None)), ("8 Mb/sec", (8000000, None)),
    ("192 kb/sec", (192000, None)), ("8M", (8000000, None)), (None, (0, None)),
    ("crf 23", (23, ("crf", 23))), ("crf:23", (23, ("crf", 23))), ("23 crf", (23, ("crf", 23))),
    ({"crf": 23}, (23, ("crf", 23))), ("cqp=30", (30, ("cqp", 30))), ("qp 200", (200, ("qp", 200))),
])
def test_video_bitrate_accepts_bits_and_quality_values(value, expected):
    assert parse_video_bit_rate(value) == expected


@pytest.mark.parametrize("value", ["crf 64", "qp 256", {"crf": 1, "qp": 2}, 500, "abc", "crf x"])
def test_video_bitrate_refuses_out_of_range_or_unreadable_values(value):
    with pytest.raises(ExportProblem, match="^video_bitrate"):
        parse_video_bit_rate(value)


def test_from_settings_reads_threads_and_cache_size():
    built = LibopenshotRenderer.from_settings({"openshot_api.render.threads": "3",
                                               "openshot_api.render.cache_mb": "64"})
    assert (built.threads, built.cache_mb, built.segments) == (3, 64, 3)
    assert LibopenshotRenderer.from_settings({}).threads >= 1


def test_from_settings_names_a_bad_key():
    with pytest.raises(ConfigurationError, match="openshot_api.render.threads"):
        LibopenshotRenderer.from_settings({"openshot_api.render.threads": "many"})
