"""Frame rates and SMPTE timecode."""
import pytest

from openshot_api_formats.rates import Rate


@pytest.mark.parametrize("fps, expected", [
    ({"num": 30000, "den": 1001}, (30000, 1001)), ({"num": 2997, "den": 100}, (30000, 1001)),
    (29.97, (30000, 1001)), (23.976, (24000, 1001)), ({"num": 5994, "den": 100}, (60000, 1001)),
    ({"num": 25, "den": 1}, (25, 1)), (30, (30, 1)), ({"num": 50, "den": 2}, (25, 1)),
])
def test_rates_near_ntsc_become_exact_ntsc_rates(fps, expected):
    rate = Rate.from_fps(fps)
    assert (rate.num, rate.den) == expected


@pytest.mark.parametrize("fps", [{"num": 0, "den": 1}, {"num": 30}, "fast", -24])
def test_rate_is_refused_when_missing_or_not_positive(fps):
    with pytest.raises(ValueError, match="fps"):
        Rate.from_fps(fps)


@pytest.mark.parametrize("frames, expected", [
    (0, "00:00:00;00"), (1799, "00:00:59;29"), (1800, "00:01:00;02"), (3597, "00:01:59;29"),
    (3598, "00:02:00;02"), (17981, "00:09:59;29"), (17982, "00:10:00;00"),
    (17983, "00:10:00;01"), (107892, "01:00:00;00"),
])
def test_timecode_at_29_97_drops_two_frame_labels_each_minute_but_the_tenth(frames, expected):
    assert Rate(30000, 1001).timecode(frames) == expected


@pytest.mark.parametrize("frames, expected", [
    (3599, "00:00:59;59"), (3600, "00:01:00;04"), (35964, "00:10:00;00"),
])
def test_timecode_at_59_94_drops_four_frame_labels(frames, expected):
    assert Rate(60000, 1001).timecode(frames) == expected


def test_timecode_of_non_drop_rates_counts_whole_seconds():
    assert Rate(24000, 1001).timecode(24 * 3600 + 23) == "01:00:00:23"
    assert Rate(25, 1).timecode(90000) == "01:00:00:00"
    assert Rate(30, 1).timecode(1800) == "00:01:00:00"


def test_frames_round_seconds_to_the_nearest_frame():
    rate = Rate(30000, 1001)
    assert rate.frames(1.0) == 30                      # 29.97 frames
    assert rate.frames(rate.seconds(1850)) == 1850
    assert Rate(25, 1).frames(0.519) == 13
