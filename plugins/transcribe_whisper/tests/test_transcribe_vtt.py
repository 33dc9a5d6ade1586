"""The WebVTT writer."""
from openshot_api_transcribe_whisper.vtt import timestamp, write_vtt


def test_timestamps_have_hours_minutes_seconds_and_milliseconds():
    assert timestamp(0) == "00:00:00.000"
    assert timestamp(3723.4567) == "01:02:03.457"
    assert timestamp(-0.2) == "00:00:00.000"


def test_document_has_a_header_and_one_block_per_cue():
    vtt = write_vtt([(0.0, 1.5, " Hello world."), (1.5, 3.0, " Goodbye.")])
    assert vtt == ("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello world.\n\n"
                   "00:00:01.500 --> 00:00:03.000\nGoodbye.\n")


def test_cue_text_cannot_break_the_document():
    vtt = write_vtt([(0.0, 1.0, "a --> b\n\n<i> & c")])
    assert vtt.split("\n\n")[1] == "00:00:00.000 --> 00:00:01.000\na -> b\n&lt;i> &amp; c\n"


def test_empty_cues_are_dropped_and_times_never_go_backwards():
    vtt = write_vtt([(1.0, 2.0, "one"), (2.0, 3.0, "  "), (0.5, 0.5, "two")])
    blocks = vtt.split("\n\n")
    assert len(blocks) == 3
    assert blocks[2].startswith("00:00:01.000 --> 00:00:01.010\n")
