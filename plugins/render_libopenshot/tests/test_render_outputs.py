"""Audio, image, image sequence and waveform exports, and thumbnails, checked on real outputs."""
import subprocess
import zipfile

import pytest

from openshot_api.interfaces import BackendError


def near(colour, expected, tolerance=16):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


def render(renderer, timeline, settings, path):
    return renderer.render(timeline, settings, str(path), lambda p: None, lambda: False)


def decode_rgb(path_or_bytes, tmp_path):
    """(width, height, rgb24 bytes) of a picture, decoded by ffmpeg."""
    path = path_or_bytes
    if isinstance(path_or_bytes, bytes):
        path = str(tmp_path / "picture.bin")
        with open(path, "wb") as out:
            out.write(path_or_bytes)
    size = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of",
                           "csv=p=0", path], capture_output=True, text=True, check=True).stdout
    width, height = (int(v) for v in size.strip().split(",")[:2])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return width, height, raw


def count(raw, colour, tolerance=40):
    return sum(1 for i in range(0, len(raw), 3) if near(raw[i:i + 3], colour, tolerance))


@pytest.mark.parametrize("fmt, codec, expected", [
    ("mp3", "libmp3lame", "mp3"), ("wav", "pcm_s16le", "pcm_s16le"), ("ogg", "libvorbis", "vorbis"),
    ("flac", "flac", "flac"), ("m4a", "aac", "aac"),
])
def test_audio_exports_hold_the_whole_range_of_sound(single_renderer, project, clip, export, streams,
                                                     audio_levels, tmp_path, fmt, codec, expected):
    settings = export(export_type="audio", video_format=fmt, audio_codec=codec, audio_bitrate="192 kb/sec")
    result = render(single_renderer, project(clip("red.mp4", 1, 1)), settings, tmp_path / "out")
    assert result["extension"] == fmt
    info = streams(str(tmp_path / "out"))
    (audio,) = info["streams"]
    assert audio["codec_name"] == expected and audio["sample_rate"] == "48000"
    assert float(info["format"]["duration"]) == pytest.approx(2.0, abs=0.06)
    assert audio_levels(str(tmp_path / "out"))[0] > -20


def test_a_split_audio_export_is_joined_without_gaps(renderer, project, clip, export, streams, tmp_path):
    settings = export(export_type="audio", video_format="wav", audio_codec="pcm_s16le")
    render(renderer, project(clip("red.mp4", 1, 1)), settings, tmp_path / "out.wav")
    info = streams(str(tmp_path / "out.wav"))
    assert float(info["format"]["duration"]) == pytest.approx(2.0, abs=0.001)


@pytest.mark.parametrize("fmt, content_type", [("png", "image/png"), ("jpg", "image/jpeg"), ("bmp", "image/bmp")])
def test_an_image_export_is_the_start_frame(renderer, project, clip, export, tmp_path, fmt, content_type):
    late = clip("blue.mp4", 2, 2, position=1.0)
    settings = export(export_type="image", video_format=fmt, start_frame=45, end_frame=45)
    result = render(renderer, project(clip("red.mp4", 1, 1), late), settings, tmp_path / "out")
    assert result == {"content_type": content_type, "extension": fmt}
    width, height, raw = decode_rgb(str(tmp_path / "out"), tmp_path)
    assert (width, height) == (320, 240)
    centre = (120 * 320 + 160) * 3
    assert near(raw[centre:centre + 3], (0, 0, 255))


def test_an_image_sequence_is_one_zip_named_by_frame_number(renderer, project, clip, export, tmp_path):
    settings = export(export_type="image sequence", video_format="%05d.png", start_frame=5, end_frame=14)
    result = render(renderer, project(clip("red.mp4", 1, 1)), settings, tmp_path / "out")
    assert result == {"content_type": "application/zip", "extension": "zip"}
    with zipfile.ZipFile(tmp_path / "out") as archive:
        names = archive.namelist()
        assert names == [f"{n:05d}.png" for n in range(5, 15)]
        picture = archive.read(names[3])
    width, height, raw = decode_rgb(picture, tmp_path)
    assert (width, height) == (320, 240) and near(raw[:3], (255, 0, 0))


def test_an_image_sequence_with_only_an_extension_uses_five_digits(renderer, project, clip, export, tmp_path):
    settings = export(export_type="image sequence", video_format="jpg", start_frame=1, end_frame=3)
    render(renderer, project(clip("red.mp4", 1, 1)), settings, tmp_path / "out")
    assert zipfile.ZipFile(tmp_path / "out").namelist() == ["00001.jpg", "00002.jpg", "00003.jpg"]


def test_a_waveform_video_draws_the_sound_in_wave_color(renderer, project, clip, export, streams, tmp_path):
    settings = export(export_type="waveform", video_format="mp4", wave_color="#ff0000",
                      wave_background_color="#0000ff", end_frame=30)
    render(renderer, project(clip("blue.mp4", 1, 1), clip("white.mp4", 2, 2)), settings, tmp_path / "out")
    info = streams(str(tmp_path / "out"))
    assert int([s for s in info["streams"] if s["codec_type"] == "video"][0]["nb_read_frames"]) == 30
    width, height, raw = decode_rgb(str(tmp_path / "out"), tmp_path)
    red, blue, white = count(raw, (255, 0, 0)), count(raw, (0, 0, 255)), count(raw, (255, 255, 255))
    assert red > 0.02 * width * height      # the tone's wave
    assert blue > 0.3 * width * height      # the background
    assert white == 0                       # the silent clip is not shown


def test_a_waveform_image_draws_the_whole_range_in_wave_color(renderer, project, clip, export, tmp_path):
    settings = export(export_type="waveform", video_format="png", wave_color={"red": 255, "green": 0, "blue": 0},
                      wave_background_color="#000080", width=400, height=100)
    result = render(renderer, project(clip("red.mp4", 1, 1)), settings, tmp_path / "out")
    assert result == {"content_type": "image/png", "extension": "png"}
    width, height, raw = decode_rgb(str(tmp_path / "out"), tmp_path)
    assert (width, height) == (400, 100)
    assert count(raw, (255, 0, 0)) > 0.2 * width * height
    assert near(raw[:3], (0, 0, 128))
    left, right = (50 * 400 + 5) * 3, (50 * 400 + 394) * 3  # sound from start to end
    assert near(raw[left:left + 3], (255, 0, 0)) and near(raw[right:right + 3], (255, 0, 0))


@pytest.mark.parametrize("fmt, magic", [("PNG", b"\x89PNG"), ("JPG", b"\xff\xd8"), ("JPEG", b"\xff\xd8"),
                                        ("BMP", b"BM"), ("PPM", b"P6")])
def test_thumbnails_are_encoded_at_the_requested_size(renderer, project, clip, tmp_path, fmt, magic):
    data = renderer.thumbnail(project(clip("red.mp4", 1, 1)), 10, 96, 40, fmt, 90)
    assert data.startswith(magic)
    width, height, raw = decode_rgb(data, tmp_path)
    assert (width, height) == (96, 40)
    assert near(raw[(20 * 96 + 48) * 3:(20 * 96 + 48) * 3 + 3], (255, 0, 0), 24)


@pytest.mark.parametrize("fmt, marker", [("XBM", b"#define"), ("XPM", b"/* XPM */")])
def test_thumbnails_in_text_formats_say_their_size(renderer, project, clip, fmt, marker):
    data = renderer.thumbnail(project(clip("red.mp4", 1, 1)), 1, 32, 24, fmt, 100)
    assert data.startswith(marker)
    assert b"32" in data[:200] and b"24" in data[:200]


def test_a_thumbnail_in_an_unknown_format_raises(renderer, project, clip):
    with pytest.raises(BackendError, match="image_format"):
        renderer.thumbnail(project(clip("red.mp4", 1, 1)), 1, 32, 24, "TGA", 100)


@pytest.mark.parametrize("fmt, codec", [("ogg", "libvorbis"), ("opus", "libopus"), ("mp3", "libmp3lame")])
def test_an_audio_bitrate_above_the_encoders_limit_is_lowered_to_it(renderer, project, clip, export, streams,
                                                                    tmp_path, fmt, codec):
    settings = export(export_type="audio", video_format=fmt, audio_codec=codec, audio_bitrate=1920000,
                      channels=1, channel_layout=4, end_frame=15)
    render(renderer, project(clip("red.mp4", 1, 1)), settings, tmp_path / "out")
    (audio,) = streams(str(tmp_path / "out"))["streams"]
    assert audio["channels"] == 1
