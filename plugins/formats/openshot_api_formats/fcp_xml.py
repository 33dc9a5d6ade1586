"""Final Cut Pro 7 XML (xmeml version 4), as Premiere Pro, DaVinci Resolve and FCP 7 import it.

Written by hand rather than with OpenTimelineIO's fcp_xml adapter, which gives a linked audio item
the id of its video item, marks 29.97 timecode NDF, repeats ``<rate>`` and leaves ``pathurl`` and
the file's picture/sound characteristics unfilled.

Layout: one ``<sequence>``; every OpenShot layer, lowest first, is a video track (V1 is drawn
below V2, as layer 1 below layer 2); every layer with sound is also an audio track, or a stereo
pair of tracks (channel 1 and 2 of the file, marked as one exploded stereo track the way Premiere
writes it). A clip's picture and sound items are tied by ``<link>`` elements. Each media file is
written in full the first time it is used and referred to by id after that.

Media paths: ``<pathurl>`` holds the file's name as a percent-encoded relative URL reference
(``my%20clip.mp4``), which resolves to the file beside the XML in the downloaded archive
(``file://name`` would make the name a host). With the ``media_url_prefix`` option, e.g.
``file://localhost/Users/me/project/``, the prefix is put before it to give absolute URLs.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import quote

from .rates import Rate
from .timeline import MediaFile, Piece, Timeline

#: Premiere and Resolve read version 4; FCP 7 reads 4 and 5.
XMEML_VERSION = "4"


def write_fcp_xml(timeline: Timeline, media_url_prefix: str = "") -> bytes:
    """Return the UTF-8 xmeml document of ``timeline``."""
    writer = _Writer(timeline, media_url_prefix)
    root = writer.document()
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n' + body + "\n").encode()


def _sub(parent: ET.Element, tag: str, text=None, **attrib) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if text is not None:
        element.text = str(text)
    return element


def _bool(value: bool) -> str:
    return "TRUE" if value else "FALSE"


def _rate(parent: ET.Element, rate: Rate) -> None:
    element = _sub(parent, "rate")
    _sub(element, "timebase", rate.timebase)
    _sub(element, "ntsc", _bool(rate.ntsc))


def _timecode(parent: ET.Element, rate: Rate, frame: int = 0) -> None:
    element = _sub(parent, "timecode")
    _rate(element, rate)
    _sub(element, "string", rate.timecode(frame))
    _sub(element, "frame", frame)
    _sub(element, "displayformat", "DF" if rate.drop_frame else "NDF")


class _Writer:
    """Builds the document; keeps the ids of files and clip items already written."""

    def __init__(self, timeline: Timeline, media_url_prefix: str):
        self.timeline = timeline
        self.media_url_prefix = media_url_prefix
        self.files_written: set[str] = set()
        self.item_ids: dict[tuple, str] = {}          # (kind, track, piece) -> clipitem id
        self.items_of_piece: dict[tuple, list[tuple[str, str, int, int]]] = {}

    def document(self) -> ET.Element:
        """The ``<xmeml>`` root with its one sequence."""
        tl = self.timeline
        rate = tl.rate
        root = ET.Element("xmeml", {"version": XMEML_VERSION})
        sequence = _sub(root, "sequence", id="sequence-1")
        _sub(sequence, "name", tl.name)
        _sub(sequence, "duration", tl.duration)
        _rate(sequence, rate)
        _timecode(sequence, rate)
        media = _sub(sequence, "media")

        video_tracks = [layer.video for layer in tl.layers]
        audio_tracks = []                    # (pieces, channel index, channels in the track)
        for layer in tl.layers:
            if layer.audio:
                channels = 2 if any(p.file.channels >= 2 for p in layer.audio) else 1
                audio_tracks += [(layer.audio, index, channels) for index in range(channels)]
        self._number_items(video_tracks, audio_tracks)

        video = _sub(media, "video")
        fmt = _sub(_sub(video, "format"), "samplecharacteristics")
        _rate(fmt, rate)
        _sub(fmt, "width", tl.width)
        _sub(fmt, "height", tl.height)
        _sub(fmt, "anamorphic", "FALSE")
        _sub(fmt, "pixelaspectratio", "square")
        _sub(fmt, "fielddominance", "none")
        for track_index, pieces in enumerate(video_tracks, start=1):
            track = _sub(video, "track")
            for piece in pieces:
                self._clipitem(track, piece, "video", track_index)
            _sub(track, "enabled", "TRUE")
            _sub(track, "locked", "FALSE")

        audio = _sub(media, "audio")
        _sub(audio, "numOutputChannels", tl.channels)
        fmt = _sub(_sub(audio, "format"), "samplecharacteristics")
        _sub(fmt, "depth", 16)
        _sub(fmt, "samplerate", tl.sample_rate)
        for track_index, (pieces, channel, channels) in enumerate(audio_tracks, start=1):
            attrib = {"currentExplodedTrackIndex": channel, "totalExplodedTrackCount": channels,
                      "premiereTrackType": "Stereo" if channels == 2 else "Mono"}
            track = _sub(audio, "track", **attrib)
            for piece in pieces:
                if channel < max(piece.file.channels, 1):
                    self._clipitem(track, piece, "audio", track_index, channel + 1)
            _sub(track, "enabled", "TRUE")
            _sub(track, "locked", "FALSE")
            _sub(track, "outputchannelindex", channel + 1)
        return root

    def _number_items(self, video_tracks, audio_tracks) -> None:
        """Give every clip item its id, track and index first, so links can point forward."""
        counter = 0
        tracks = [("video", pieces, 0) for pieces in video_tracks]
        tracks += [("audio", pieces, channel) for pieces, channel, _ in audio_tracks]
        for track_index, (kind, pieces, channel) in enumerate(tracks):
            kind_index = track_index + 1 if kind == "video" else track_index - len(video_tracks) + 1
            clip_index = 0
            for piece in pieces:
                if kind == "audio" and channel >= max(piece.file.channels, 1):
                    continue
                counter += 1
                clip_index += 1
                item_id = f"clipitem-{counter}"
                self.item_ids[(kind, kind_index, id(piece))] = item_id
                self.items_of_piece.setdefault(_piece_key(piece), []).append(
                    (item_id, kind, kind_index, clip_index))

    def _clipitem(self, track: ET.Element, piece: Piece, kind: str, track_index: int,
                  source_channel: int = 0) -> None:
        rate = self.timeline.rate
        item = _sub(track, "clipitem", id=self.item_ids[(kind, track_index, id(piece))])
        _sub(item, "name", piece.name)
        _sub(item, "enabled", "TRUE")
        _sub(item, "duration", rate.frames(piece.file.duration))
        _rate(item, rate)
        _sub(item, "start", piece.record_in)
        _sub(item, "end", piece.record_out)
        _sub(item, "in", piece.source_in)
        _sub(item, "out", piece.source_out)
        self._file(item, piece.file)
        if kind == "audio":
            source = _sub(item, "sourcetrack")
            _sub(source, "mediatype", "audio")
            _sub(source, "trackindex", source_channel)
        links = self.items_of_piece.get(_piece_key(piece), [])
        if len(links) > 1:
            for item_id, link_kind, link_track, clip_index in links:
                link = _sub(item, "link")
                _sub(link, "linkclipref", item_id)
                _sub(link, "mediatype", link_kind)
                _sub(link, "trackindex", link_track)
                _sub(link, "clipindex", clip_index)
                if link_kind == "audio":
                    _sub(link, "groupindex", 1)

    def _file(self, parent: ET.Element, file: MediaFile) -> None:
        file_id = f"file-{file.id}"
        if file.id in self.files_written:
            _sub(parent, "file", id=file_id)
            return
        self.files_written.add(file.id)
        element = _sub(parent, "file", id=file_id)
        _sub(element, "name", file.name)
        _sub(element, "pathurl", self.media_url_prefix + quote(file.name))
        _rate(element, file.rate)
        _sub(element, "duration", file.rate.frames(file.duration))
        _timecode(element, file.rate)
        media = _sub(element, "media")
        if file.has_video:
            video = _sub(_sub(media, "video"), "samplecharacteristics")
            _rate(video, file.rate)
            _sub(video, "width", file.width or self.timeline.width)
            _sub(video, "height", file.height or self.timeline.height)
            _sub(video, "anamorphic", "FALSE")
            _sub(video, "pixelaspectratio", "square")
            _sub(video, "fielddominance", "none")
        if file.has_audio:
            audio = _sub(media, "audio")
            characteristics = _sub(audio, "samplecharacteristics")
            _sub(characteristics, "depth", 16)
            _sub(characteristics, "samplerate", file.sample_rate)
            _sub(audio, "channelcount", file.channels)


def _piece_key(piece: Piece) -> tuple:
    """Pieces of picture and sound that are the same stretch of the same clip get linked."""
    return (piece.clip_id, piece.record_in, piece.record_out, piece.source_in)
