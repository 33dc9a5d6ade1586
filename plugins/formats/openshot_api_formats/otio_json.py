"""OpenTimelineIO JSON (``.otio``), built with the opentimelineio library itself.

Tracks follow the Final Cut Pro XML writer: one video track per layer, lowest first, then one
audio track per layer with sound. Clip times are at the project rate; each media reference
covers the whole file at the file's own rate. ``target_url`` is the media file's name, a relative
path in OpenTimelineIO's own convention (not percent-encoded, as its otioz bundles write it), or
``media_url_prefix`` followed by the percent-encoded name when that option is given. OpenShot ids
are kept in each object's ``metadata["openshot"]``.
"""
from __future__ import annotations

from urllib.parse import quote

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from .timeline import MediaFile, Piece, Timeline


def write_otio(timeline: Timeline, media_url_prefix: str = "") -> bytes:
    """Return the OTIO JSON document of ``timeline``."""
    fps = timeline.rate.fps
    result = otio.schema.Timeline(name=timeline.name,
                                  global_start_time=RationalTime(0, fps),
                                  metadata={"openshot": {"width": timeline.width,
                                                         "height": timeline.height,
                                                         "sample_rate": timeline.sample_rate,
                                                         "channels": timeline.channels}})
    references = {file.id: _reference(file, media_url_prefix) for file in timeline.files.values()}
    tracks = [(layer, "Video", layer.video) for layer in timeline.layers]
    tracks += [(layer, "Audio", layer.audio) for layer in timeline.layers if layer.audio]
    for layer, kind, pieces in tracks:
        name = layer.label or f"Layer {layer.number}"
        track = otio.schema.Track(name=name if kind == "Video" else f"{name} (audio)", kind=kind,
                                  metadata={"openshot": {"layer": layer.number}})
        cursor = 0
        for piece in pieces:
            if piece.record_in > cursor:
                track.append(otio.schema.Gap(
                    source_range=TimeRange(RationalTime(0, fps),
                                           RationalTime(piece.record_in - cursor, fps))))
            track.append(_clip(piece, references[piece.file.id].clone(), fps))
            cursor = piece.record_out
        result.tracks.append(track)
    return otio.adapters.write_to_string(result, "otio_json").encode()


def _reference(file: MediaFile, media_url_prefix: str) -> otio.schema.ExternalReference:
    url = media_url_prefix + quote(file.name) if media_url_prefix else file.name
    rate = file.rate.fps
    reference = otio.schema.ExternalReference(
        target_url=url,
        available_range=TimeRange(RationalTime(0, rate),
                                  RationalTime(file.rate.frames(file.duration), rate)),
        metadata={"openshot": {"file_id": file.id, "media_type": file.media_type,
                               "has_video": file.has_video, "has_audio": file.has_audio,
                               "channels": file.channels, "width": file.width,
                               "height": file.height}})
    reference.name = file.name
    return reference


def _clip(piece: Piece, reference: otio.schema.ExternalReference, fps: float) -> otio.schema.Clip:
    return otio.schema.Clip(
        name=piece.name,
        media_reference=reference,
        source_range=TimeRange(RationalTime(piece.source_in, fps), RationalTime(piece.duration, fps)),
        metadata={"openshot": {"clip_id": piece.clip_id, "file_id": piece.file.id}})
