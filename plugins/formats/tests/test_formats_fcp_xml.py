"""Final Cut Pro 7 XML export: read back with OpenTimelineIO's fcp_xml reader, and the xmeml
structure checked element by element."""
import os
import shutil
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urljoin, urlparse
from urllib.request import url2pathname

import pytest

VIDEO_NAME = "interview & take#1.mp4"

#: Project rate -> (timebase, ntsc, timecode display format) an editor expects.
RATE_ELEMENTS = {23.98: ("24", "TRUE", "NDF"), 24.0: ("24", "FALSE", "NDF"),
                 25.0: ("25", "FALSE", "NDF"), 29.97: ("30", "TRUE", "DF"),
                 30.0: ("30", "FALSE", "NDF"), 59.94: ("60", "TRUE", "DF"),
                 60.0: ("60", "FALSE", "NDF")}


def _rate_of(element):
    return element.findtext("rate/timebase"), element.findtext("rate/ntsc")


def test_xml_reads_back_with_every_layer_as_a_video_track_and_sound_as_audio_tracks(
        converter, standard, helpers):
    project, fps, expected = standard
    name, data = converter.export(project, "xml", {})
    timeline = helpers.read_back(data, "fcp_xml")

    assert timeline.name == "Cut #1 <final>"
    assert [helpers.clip_rows(t) for t in timeline.video_tracks()] == [
        expected[1], expected[2], []]                     # layer 3 holds sound only
    # The stereo pair of layer 1 reads back as one track; layer 2 (a still) has no sound.
    assert [helpers.clip_rows(t) for t in timeline.audio_tracks()] == [expected[1], expected[3]]
    for clip in timeline.find_clips():
        assert clip.source_range.start_time.rate == pytest.approx(fps)
        assert clip.range_in_parent().start_time.rate == pytest.approx(fps)
    assert name == "Cut-1-final.xml"


def test_xml_media_references_name_the_files_and_cover_them_whole(converter, standard, helpers, media):
    project, _, _ = standard
    timeline = helpers.read_back(converter.export(project, "xml", {})[1], "fcp_xml")
    first = timeline.video_tracks()[0].find_clips()[0]
    reference = first.media_reference
    assert unquote(reference.target_url) == VIDEO_NAME
    assert reference.name == VIDEO_NAME
    # The file keeps its own rate (25 fps) and length (3 s).
    assert reference.available_range.duration.rate == 25
    assert reference.available_range.duration.value == 75
    music = timeline.audio_tracks()[1].find_clips()[0].media_reference
    assert unquote(music.target_url) == "music.wav"


def test_xml_rate_elements_give_timebase_and_ntsc_of_the_project_rate(converter, standard):
    project, fps, _ = standard
    root = ET.fromstring(converter.export(project, "xml", {})[1])
    timebase, ntsc, display = RATE_ELEMENTS[round(fps, 2)]
    sequence = root.find("sequence")
    assert _rate_of(sequence) == (timebase, ntsc)
    assert sequence.findtext("timecode/displayformat") == display
    assert sequence.findtext("timecode/string") == ("00:00:00;00" if display == "DF" else "00:00:00:00")
    assert _rate_of(sequence.find("media/video/format/samplecharacteristics")) == (timebase, ntsc)
    for item in root.iter("clipitem"):
        assert _rate_of(item) == (timebase, ntsc)
    for file in root.iter("file"):
        if file.find("pathurl") is not None and file.findtext("name") == VIDEO_NAME:
            assert _rate_of(file) == ("25", "FALSE")


def test_xml_has_the_xmeml_structure_editors_import(converter, standard):
    project, _, _ = standard
    data = converter.export(project, "xml", {})[1]
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n')
    root = ET.fromstring(data)
    assert root.tag == "xmeml" and root.get("version") == "4"
    (sequence,) = root.findall("sequence")
    assert sequence.findtext("name") == "Cut #1 <final>"
    characteristics = sequence.find("media/video/format/samplecharacteristics")
    assert (characteristics.findtext("width"), characteristics.findtext("height")) == ("640", "360")
    video_tracks = sequence.findall("media/video/track")
    audio_tracks = sequence.findall("media/audio/track")
    assert len(video_tracks) == 3
    assert [(t.get("currentExplodedTrackIndex"), t.get("totalExplodedTrackCount"))
            for t in audio_tracks] == [("0", "2"), ("1", "2"), ("0", "1")]

    items = {item.get("id"): item for item in root.iter("clipitem")}
    assert len(items) == len(list(root.iter("clipitem")))          # ids are unique
    ends = []
    full_files = {}
    for track in video_tracks + audio_tracks:
        assert track.findtext("enabled") == "TRUE"
        previous_end = 0
        for item in track.findall("clipitem"):
            start, end, in_, out, duration = (int(item.findtext(tag)) for tag in
                                              ("start", "end", "in", "out", "duration"))
            assert previous_end <= start < end                     # in order, no overlap
            assert 0 <= in_ < out <= duration
            assert out - in_ == end - start
            previous_end = end
            ends.append(end)
            file = item.find("file")
            if file.find("pathurl") is not None:
                assert file.get("id") not in full_files             # described only once...
                full_files[file.get("id")] = file
            else:
                assert file.get("id") in full_files                 # ...before any reference
                assert len(file) == 0
            for link in item.findall("link"):
                assert link.findtext("linkclipref") in items
    assert int(sequence.findtext("duration")) == max(ends)

    for file in full_files.values():
        for tag in ("name", "pathurl", "rate/timebase", "rate/ntsc", "duration", "media"):
            assert file.find(tag) is not None, tag
    video_file = next(f for f in full_files.values() if f.findtext("name") == VIDEO_NAME)
    assert video_file.findtext("media/audio/channelcount") == "2"
    assert video_file.findtext("media/video/samplecharacteristics/width") == "160"
    image_file = next(f for f in full_files.values() if f.findtext("name") == "logo é.png")
    assert image_file.find("media/audio") is None


def test_xml_ties_each_clips_picture_to_its_sound_with_links(converter, standard):
    project, _, _ = standard
    root = ET.fromstring(converter.export(project, "xml", {})[1])
    items = {item.get("id"): item for item in root.iter("clipitem")}
    first_video = root.find("sequence/media/video/track/clipitem")
    linked = [items[link.findtext("linkclipref")] for link in first_video.findall("link")]
    assert [(i.findtext("start"), i.findtext("sourcetrack/trackindex")) for i in linked] == [
        ("12", None), ("12", "1"), ("12", "2")]                    # picture, left, right
    assert {i.findtext("name") for i in linked} == {'Interview <A> & "B"'}
    for audio_item in root.iterfind("sequence/media/audio/track/clipitem"):
        assert audio_item.findtext("sourcetrack/mediatype") == "audio"
    still = root.find("sequence/media/video/track[2]/clipitem")
    assert still.find("link") is None                              # nothing to tie a still to


def test_xml_media_are_found_beside_it_when_the_archive_is_unpacked(converter, standard, tmp_path):
    project, _, _ = standard
    name, data = converter.export(project, "xml", {})
    # Lay the archive out as the download does: the document and the media side by side.
    (tmp_path / name).write_bytes(data)
    for file in project["files"]:
        shutil.copy(file["path"], tmp_path / converter.media_file_names(project)[file["id"]])
    document_url = (tmp_path / name).as_uri()
    urls = {f.findtext("pathurl") for f in ET.fromstring(data).iter("file") if f.find("pathurl") is not None}
    assert len(urls) == 3
    for url in urls:
        assert " " not in url and "&" not in url                   # percent-encoded
        path = url2pathname(urlparse(urljoin(document_url, url)).path)
        assert os.path.isfile(path), url


def test_xml_media_url_prefix_makes_absolute_urls(converter, standard):
    project, _, _ = standard
    data = converter.export(project, "xml", {"media_url_prefix": "file://localhost/Volumes/Cut%201/"})[1]
    urls = sorted(f.findtext("pathurl") for f in ET.fromstring(data).iter("file")
                  if f.find("pathurl") is not None)
    assert urls == ["file://localhost/Volumes/Cut%201/interview%20%26%20take%231.mp4",
                    "file://localhost/Volumes/Cut%201/logo%20%C3%A9.png",
                    "file://localhost/Volumes/Cut%201/music.wav"]


def test_xml_lays_overlapping_clips_of_a_layer_one_after_another(converter, builder, helpers):
    b = builder(30, 1)
    b.clip("video", 1, position=0, start=0, end=60, title="under")
    b.clip("video", 1, position=15, start=30, end=45, title="over")
    timeline = helpers.read_back(converter.export(b.project(layers=(1,)), "xml", {})[1], "fcp_xml")
    rows = [("under", 0, 0, 15), ("over", 15, 30, 15), ("under", 30, 30, 30)]
    assert helpers.clip_rows(timeline.video_tracks()[0]) == rows
    assert helpers.clip_rows(timeline.audio_tracks()[0]) == rows


def test_xml_leaves_out_the_picture_or_sound_a_clip_turns_off(converter, builder, helpers):
    off = {"Points": [{"co": {"X": 1, "Y": 0}, "interpolation": 2}]}
    b = builder(25, 1)
    b.clip("video", 1, position=0, start=0, end=25, title="sound only", has_video=off)
    b.clip("video", 2, position=0, start=0, end=25, title="picture only", has_audio=off)
    timeline = helpers.read_back(converter.export(b.project(layers=(1, 2)), "xml", {})[1], "fcp_xml")
    assert [helpers.clip_rows(t) for t in timeline.video_tracks()] == [[], [("picture only", 0, 0, 25)]]
    assert [helpers.clip_rows(t) for t in timeline.audio_tracks()] == [[("sound only", 0, 0, 25)]]
