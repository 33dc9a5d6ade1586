"""CMX 3600 Edit Decision List of one layer.

Written by hand rather than with OpenTimelineIO's cmx_3600 adapter, which writes reel names with
spaces (the line no longer parses), no FCM line, and video events only. Layout of an event::

    001  INTERVIE AA/V  C        00:00:01:00 00:00:03:00 00:00:00:00 00:00:02:00
    * FROM CLIP NAME: interview.mp4
    * SOURCE FILE: interview.mp4

Timecodes are at the project rate, record time starts at 00:00:00:00, gaps are simply skipped
record time, and 29.97/59.94 fps are written drop-frame (``;`` before the frames, ``FCM: DROP
FRAME``). Channels: ``V`` picture only, ``A``/``AA`` mono/stereo sound only, ``B``/``AA/V``
picture with mono/stereo sound.
"""
from __future__ import annotations

import re

from .timeline import Layer, Piece, Timeline

#: CMX 3600 reel names are at most 8 characters of letters, digits and underscores.
REEL_LENGTH = 8


def reel_names(timeline: Timeline) -> dict[str, str]:
    """Return ``{file id: reel}``: a distinct CMX reel name for each media file, made from its
    file name (``interview 2.mp4`` -> ``intervie``, then ``interv_2`` for the next file that
    shortens to the same)."""
    reels: dict[str, str] = {}
    taken: set[str] = set()
    for file in timeline.files.values():
        stem = file.name.rsplit(".", 1)[0] if "." in file.name[1:] else file.name
        base = re.sub(r"[^A-Za-z0-9_]+", "_", stem.encode("ascii", "ignore").decode()).strip("_")
        base = base[:REEL_LENGTH] or "REEL"
        reel, n = base, 1
        while reel.upper() in taken or reel.upper() in ("BL", "BLACK", "BARS", "AX"):
            n += 1
            suffix = f"_{n}"
            reel = base[:REEL_LENGTH - len(suffix)] + suffix
        taken.add(reel.upper())
        reels[file.id] = reel
    return reels


def write_edl(timeline: Timeline, layer: Layer) -> str:
    """Return the EDL text of ``layer`` of ``timeline`` (one event per piece of clip)."""
    rate = timeline.rate
    reels = reel_names(timeline)
    lines = [f"TITLE: {_one_line(timeline.name)[:70]}",
             f"FCM: {'DROP FRAME' if rate.drop_frame else 'NON-DROP FRAME'}", ""]
    for number, (piece, channel) in enumerate(_events(layer), start=1):
        times = " ".join(rate.timecode(frame) for frame in
                         (piece.source_in, piece.source_out, piece.record_in, piece.record_out))
        lines.append(f"{number:03d}  {reels[piece.file.id]:<8} {channel:<5} C        {times}")
        lines.append(f"* FROM CLIP NAME: {_one_line(piece.name)}")
        lines.append(f"* SOURCE FILE: {_one_line(piece.file.name)}")
        lines.append("")
    return "\n".join(lines)


def _events(layer: Layer) -> list[tuple[Piece, str]]:
    """Pair each video piece with the audio piece of the same stretch of the same clip; whatever
    is left over becomes a picture-only or sound-only event. Sorted by record time."""
    def key(p):
        return (p.clip_id, p.record_in, p.record_out, p.source_in)

    audio = {key(p): p for p in layer.audio}
    events = []
    for piece in layer.video:
        paired = audio.pop(key(piece), None)
        if paired is None:
            events.append((piece, "V"))
        else:
            events.append((piece, "AA/V" if piece.file.channels >= 2 else "B"))
    for piece in audio.values():
        events.append((piece, "AA" if piece.file.channels >= 2 else "A"))
    # At one record time, picture comes before sound (the order editors write).
    return sorted(events, key=lambda e: (e[0].record_in, "A" in e[1] and "V" not in e[1]))


def _one_line(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
