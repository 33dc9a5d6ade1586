"""CMX 3600 EDL export, read back with OpenTimelineIO's cmx_3600 reader."""
import re

import pytest

VIDEO_NAME = "interview & take#1.mp4"


def test_edl_of_layer_one_reads_back_with_every_source_and_record_time(converter, standard, helpers):
    project, fps, expected = standard
    name, data = converter.export(project, "edl", {"layer": 1})
    timeline = helpers.read_back(data, "cmx_3600", rate=fps)

    tracks = {track.name: track for track in timeline.tracks}
    assert sorted(tracks) == ["A1", "A2", "V"]            # AA/V: picture and stereo sound
    for track in tracks.values():
        assert helpers.clip_rows(track) == expected[1]
        for clip in track.find_clips():
            assert clip.source_range.start_time.rate == pytest.approx(fps)
    assert name == "Cut-1-final-layer-1.edl"


def test_edl_clip_name_and_source_file_comments_name_the_clip_and_its_media(converter, standard, helpers):
    project, fps, _ = standard
    _, data = converter.export(project, "edl", {"layer": 1})
    video_track = helpers.read_back(data, "cmx_3600", rate=fps).video_tracks()[0]
    first, second = video_track.find_clips()
    assert first.name == 'Interview <A> & "B"'
    assert second.name == VIDEO_NAME
    for clip in (first, second):
        assert list(clip.metadata["cmx_3600"]["comments"]) == [f"SOURCE FILE: {VIDEO_NAME}"]
        assert clip.metadata["cmx_3600"]["reel"] == "intervie"


def test_edl_of_another_layer_holds_only_that_layers_clips(converter, standard, helpers):
    project, fps, expected = standard
    _, data = converter.export(project, "edl", {"layer": "2"})   # the API's json may send a string
    timeline = helpers.read_back(data, "cmx_3600", rate=fps)
    assert [track.name for track in timeline.tracks] == ["V"]   # a still has no sound
    assert helpers.clip_rows(timeline.tracks[0]) == expected[2]

    _, data = converter.export(project, "edl", {"layer": 3.0})
    timeline = helpers.read_back(data, "cmx_3600", rate=fps)
    assert [track.name for track in timeline.tracks] == ["A1"]  # mono sound only
    assert helpers.clip_rows(timeline.tracks[0]) == expected[3]


def test_edl_timecodes_are_drop_frame_exactly_at_29_97_and_59_94(converter, standard):
    project, fps, _ = standard
    text = converter.export(project, "edl", {"layer": 1})[1].decode()
    event_two = [line for line in text.splitlines() if line.startswith("002")][0]
    record_in = event_two.split()[-2]
    drop = round(fps, 2) in (29.97, 59.94)
    assert ("FCM: DROP FRAME" in text) is drop
    assert ("FCM: NON-DROP FRAME" in text) is not drop
    # Frame 1850: one minute and some frames, where drop-frame numbering skips 2 (or 4) labels.
    assert record_in == {23.98: "00:01:17:02", 24.0: "00:01:17:02", 25.0: "00:01:14:00",
                         29.97: "00:01:01;22", 30.0: "00:01:01:20", 59.94: "00:00:30;50",
                         60.0: "00:00:30:50"}[round(fps, 2)]


def test_edl_is_refused_when_no_layer_is_given(converter, standard):
    project, _, _ = standard
    for options in ({}, None, {"layer": None}, {"layer": ""}):
        with pytest.raises(ValueError, match="^layer is required for EDL$"):
            converter.export(project, "edl", options)


def test_edl_is_refused_when_the_layer_has_no_clips(converter, builder, media):
    b = builder(25, 1)
    b.clip("video", 1, position=0, start=0, end=25)
    project = b.project(layers=(1, 2))
    with pytest.raises(ValueError, match="layer 2 has no clips"):     # a layer, but empty
        converter.export(project, "edl", {"layer": 2})
    with pytest.raises(ValueError, match="layer 9 has no clips"):     # no such layer
        converter.export(project, "edl", {"layer": 9})
    with pytest.raises(ValueError, match="layer must be a layer number"):
        converter.export(project, "edl", {"layer": "top"})


def test_edl_skips_record_time_for_gaps_and_starts_late_when_the_layer_does(converter, builder, helpers):
    b = builder(24, 1)
    b.clip("image", 1, position=48, start=0, end=24, title="one")
    b.clip("image", 1, position=100, start=0, end=12, title="two")
    text = converter.export(b.project(), "edl", {"layer": 1})[1].decode()
    assert re.findall(r"^\d{3} .*$", text, flags=re.M) == [
        "001  logo     V     C        00:00:00:00 00:00:01:00 00:00:02:00 00:00:03:00",
        "002  logo     V     C        00:00:00:00 00:00:00:12 00:00:04:04 00:00:04:16",
    ]
    track = helpers.read_back(text.encode(), "cmx_3600", rate=24).tracks[0]
    assert helpers.clip_rows(track) == [("one", 48, 0, 24), ("two", 100, 0, 12)]


def test_edl_lays_a_later_clip_over_an_earlier_one_on_the_same_layer(converter, builder, helpers):
    b = builder(25, 1)
    b.clip("video", 1, position=0, start=0, end=60, title="under")
    b.clip("image", 1, position=20, start=0, end=10, title="over")   # picture only
    timeline = helpers.read_back(converter.export(b.project(), "edl", {"layer": 1})[1],
                                 "cmx_3600", rate=25)
    tracks = {track.name: track for track in timeline.tracks}
    # The picture of "under" resumes after "over"; its sound plays on underneath.
    assert helpers.clip_rows(tracks["V"]) == [("under", 0, 0, 20), ("over", 20, 0, 10),
                                             ("under", 30, 30, 30)]
    assert helpers.clip_rows(tracks["A1"]) == [("under", 0, 0, 60)]


def test_edl_reel_names_are_short_distinct_and_safe(converter, builder, media):
    b = builder(30, 1)
    for index, name in enumerate(["a b&c.mp4", "a b&c 2.mp4", "日本.mp4", "BL.mp4"]):
        b.files.append(dict(media["video"], id=f"x{index}", name=name))
        b.file_ids[name] = f"x{index}"
        b.clip(name, 1, position=index * 30, start=0, end=30)
    text = converter.export(b.project(), "edl", {"layer": 1})[1].decode()
    reels = [line.split()[1] for line in text.splitlines() if re.match(r"^\d{3} ", line)]
    assert reels == ["a_b_c", "a_b_c_2", "REEL", "BL_2"]
    assert all(re.fullmatch(r"[A-Za-z0-9_]{1,8}", reel) for reel in reels)


def test_edl_keeps_special_characters_of_names_in_its_comments(converter, builder, helpers):
    b = builder(25, 1)
    b.clip("image", 1, position=0, start=0, end=25, title="Ünïcødé\t«title»\r\n* FROM CLIP: x")
    data = converter.export(b.project(name="Projet\nété"), "edl", {"layer": 1})[1]
    text = data.decode("utf-8")
    assert text.splitlines()[0] == "TITLE: Projet été"
    timeline = helpers.read_back(data, "cmx_3600", rate=25)
    (clip,) = timeline.tracks[0].find_clips()
    assert clip.name == "Ünïcødé «title» * FROM CLIP: x"
    assert list(clip.metadata["cmx_3600"]["comments"]) == ["SOURCE FILE: logo é.png"]
