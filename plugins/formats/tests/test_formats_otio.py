"""OpenTimelineIO JSON export, read back with OpenTimelineIO itself."""
import pytest

VIDEO_NAME = "interview & take#1.mp4"


def test_otio_reads_back_with_a_video_track_per_layer_and_audio_tracks_for_sound(
        converter, standard, helpers):
    project, fps, expected = standard
    name, data = converter.export(project, "otio", {})
    timeline = helpers.read_back(data, "otio_json")

    assert name == "Cut-1-final.otio"
    assert timeline.name == "Cut #1 <final>"
    assert timeline.global_start_time.value == 0
    assert timeline.global_start_time.rate == pytest.approx(fps)
    assert [t.name for t in timeline.video_tracks()] == ["Layer 1", "Layer 2", "Layer 3"]
    assert [helpers.clip_rows(t) for t in timeline.video_tracks()] == [expected[1], expected[2], []]
    assert [helpers.clip_rows(t) for t in timeline.audio_tracks()] == [expected[1], expected[3]]
    assert [t.metadata["openshot"]["layer"] for t in timeline.audio_tracks()] == [1, 3]
    for clip in timeline.find_clips():
        assert clip.source_range.start_time.rate == pytest.approx(fps)
        # Times in seconds agree with the project dict's seconds.
        source = next(c for c in project["clips"] if c["id"] == clip.metadata["openshot"]["clip_id"])
        assert clip.source_range.start_time.to_seconds() == pytest.approx(source["start"])
        assert clip.range_in_parent().start_time.to_seconds() == pytest.approx(source["position"])


def test_otio_media_references_are_file_names_covering_each_file(converter, standard, helpers):
    project, _, _ = standard
    timeline = helpers.read_back(converter.export(project, "otio", {})[1], "otio_json")
    references = {c.media_reference.target_url: c.media_reference for c in timeline.find_clips()}
    assert sorted(references) == [VIDEO_NAME, "logo é.png", "music.wav"]
    video = references[VIDEO_NAME]
    assert video.name == VIDEO_NAME
    assert (video.available_range.duration.value, video.available_range.duration.rate) == (75, 25)
    assert video.metadata["openshot"]["has_audio"] is True
    assert video.metadata["openshot"]["channels"] == 2


def test_otio_media_url_prefix_makes_absolute_urls(converter, standard, helpers):
    project, _, _ = standard
    data = converter.export(project, "otio", {"media_url_prefix": "file:///srv/cut/"})[1]
    urls = {c.media_reference.target_url for c in helpers.read_back(data, "otio_json").find_clips()}
    assert urls == {"file:///srv/cut/interview%20%26%20take%231.mp4",
                    "file:///srv/cut/logo%20%C3%A9.png", "file:///srv/cut/music.wav"}


def test_otio_fills_gaps_so_clips_keep_their_positions(converter, builder, helpers):
    b = builder(24, 1)
    b.clip("image", 1, position=10, start=0, end=5, title="a")
    b.clip("image", 1, position=40, start=0, end=5, title="b")
    track = helpers.read_back(converter.export(b.project(layers=(1,)), "otio", {})[1],
                              "otio_json").tracks[0]
    assert [(type(item).__name__, item.duration().value) for item in track] == [
        ("Gap", 10), ("Clip", 5), ("Gap", 25), ("Clip", 5)]
