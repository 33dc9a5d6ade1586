"""Caption text: WebVTT / SubRip parsing and writing, and libopenshot's "Caption" effect json.

Pure Python: no libopenshot import. Cue times are seconds. On a clip, libopenshot 0.2.7 times a
Caption effect by the clip's *source file* (frame 1 = the file's first frame, like clip
keyframes), so a transcript of the file lines up without shifting; use ``shift(cues,
clip_start)`` for cues timed from the clip's first visible frame.

libopenshot reads ``caption_text`` with one regular expression (Caption.cpp): each cue is
``[hh:]mm:ss.mmm --> [hh:]mm:ss.mmm`` followed by its lines; a cue's second or later line
starting with two digits is taken for the next cue's timing (and the cue is lost), a line of one
character or starting with "NOTE" is not drawn,
and the digits after the seconds are always read as milliseconds. ``effect_caption_text``
writes cues so that none of these rules bites.
"""
from __future__ import annotations

import copy
import html
import re
import secrets
import string
from dataclasses import dataclass, replace
from typing import Iterable, Optional


@dataclass(frozen=True)
class Cue:
    """One caption: shown from ``start`` to ``end`` (seconds); ``text`` may hold several lines
    separated by "\\n"; ``identifier`` is the optional cue id (SubRip's number)."""

    start: float
    end: float
    text: str
    identifier: str = ""


# hh:mm:ss.mmm, mm:ss.mmm, hh:mm:ss,mmm (SubRip) and hh:mm:ss:mmm (libopenshot's placeholder).
_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,:](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*({_TIME})\s*-->\s*({_TIME})(?:[ \t]+.*)?\s*$")
_TIME_ONLY = re.compile(_TIME)
_HEADER = re.compile(r"^\ufeff?WEBVTT(?:[ \t].*)?$")
_SKIPPED_BLOCK = re.compile(r"^(?:NOTE|STYLE|REGION)(?:[ \t].*)?$")

#: The text libopenshot 0.2.7 puts in a new Caption effect; it is dropped when cues are added.
LIBOPENSHOT_PLACEHOLDER = ("00:00:00:000 --> 00:10:00:000\n"
                           "Edit this caption with our caption editor")


def _seconds(match_groups: tuple, line_number: int) -> float:
    hours, minutes, seconds, fraction = match_groups
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        raise ValueError(f"line {line_number}: minutes and seconds must be below 60")
    value = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        value += int(fraction) / 10 ** len(fraction)
    return value


def _timing(line: str, line_number: int) -> Optional[tuple[float, float]]:
    """(start, end) of a cue timing line, None when ``line`` has no "-->"; ValueError naming
    the line when it has one but is malformed."""
    if "-->" not in line:
        return None
    match = _TIMING.match(line)
    if not match:
        raise ValueError(f"line {line_number}: malformed cue timing {line.strip()!r}; "
                         f"expected e.g. '00:00:01.000 --> 00:00:02.500'")
    groups = match.groups()
    start = _seconds(groups[1:5], line_number)
    end = _seconds(groups[6:10], line_number)
    if end < start:
        raise ValueError(f"line {line_number}: cue ends ({end:.3f}s) before it starts "
                         f"({start:.3f}s)")
    return start, end


def _blocks(lines: list[str], first: int) -> Iterable[list[tuple[int, str]]]:
    """Yield runs of non-blank lines as [(line_number, line)], starting at index ``first``."""
    block: list[tuple[int, str]] = []
    for index in range(first, len(lines)):
        line = lines[index]
        if line.strip():
            block.append((index + 1, line.rstrip()))
        elif block:
            yield block
            block = []
    if block:
        yield block


def parse(text: str) -> list[Cue]:
    """Return the cues of WebVTT or SubRip ``text``, in the order written.

    Accepted: an optional "WEBVTT" header (and its header block), NOTE / STYLE / REGION
    blocks (skipped), optional cue ids, times as ``mm:ss.mmm``, ``hh:mm:ss.mmm`` or
    ``hh:mm:ss,mmm`` (milliseconds optional, one to three digits), cue settings after the end
    time (ignored), and cues not separated by a blank line. Empty text gives ``[]``.
    Raises ValueError whose message starts with ``line N:`` for malformed input.
    """
    if not isinstance(text, str):
        raise ValueError("caption text must be a string")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    first = 0
    if lines and _HEADER.match(lines[0]):
        first = 1
        # Header lines ("Kind: captions"...) run to the first blank line or cue timing.
        while first < len(lines) and lines[first].strip() and "-->" not in lines[first]:
            first += 1

    cues: list[Cue] = []
    for block in _blocks(lines, first):
        number, head = block[0]
        if _SKIPPED_BLOCK.match(head) and "-->" not in head:
            continue
        identifier = ""
        if _timing(head, number) is None:
            if len(block) < 2 or "-->" not in block[1][1]:
                raise ValueError(f"line {number}: expected a cue timing line such as "
                                 f"'00:00:01.000 --> 00:00:02.500', found {head.strip()!r}")
            identifier = head.strip()
            block = block[1:]
        cues.extend(_block_cues(block, identifier))
    return cues


def _block_cues(block: list[tuple[int, str]], identifier: str) -> list[Cue]:
    """The cues of one block starting with a timing line; a later timing line inside the block
    starts another cue (a bare number just before it is that cue's id)."""
    cues = []
    start, end = _timing(block[0][1], block[0][0])
    text_lines: list[str] = []
    for number, line in block[1:]:
        timing = _timing(line, number)
        if timing is None:
            text_lines.append(line)
            continue
        next_id = ""
        if text_lines and text_lines[-1].strip().isdigit():
            next_id = text_lines.pop().strip()
        cues.append(Cue(start, end, "\n".join(text_lines), identifier))
        (start, end), text_lines, identifier = timing, [], next_id
    cues.append(Cue(start, end, "\n".join(text_lines), identifier))
    return cues


def shift(cues: Iterable[Cue], seconds: float) -> list[Cue]:
    """Return ``cues`` moved by ``seconds`` (negative: earlier). Cues that would end at or
    before 0 are dropped; a start that would be negative becomes 0."""
    moved = []
    for cue in cues:
        start, end = cue.start + seconds, cue.end + seconds
        if end <= 0:
            continue
        moved.append(replace(cue, start=max(0.0, start), end=end))
    return moved


def format_time(seconds: float) -> str:
    """``hh:mm:ss.mmm`` of ``seconds`` (rounded to the millisecond)."""
    total = int(round(max(0.0, seconds) * 1000))
    hours, rest = divmod(total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _cue_lines(text: str) -> list[str]:
    # A blank line would end the cue and "-->" would read as a timing; neither may stay.
    return [line.replace("-->", "--&gt;") for line in text.split("\n") if line.strip()]


def to_vtt(cues: Iterable[Cue]) -> str:
    """Return ``cues`` as a WebVTT document (header, ids kept, ``hh:mm:ss.mmm`` times)."""
    blocks = []
    for cue in cues:
        lines = [cue.identifier] if cue.identifier else []
        lines.append(f"{format_time(cue.start)} --> {format_time(cue.end)}")
        lines.extend(_cue_lines(cue.text))
        blocks.append("\n".join(lines))
    return "WEBVTT\n\n" + "".join(block + "\n\n" for block in blocks)


_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>|\{\\[^{}]*\}")


def _plain_line(line: str) -> str:
    """A cue line as libopenshot should draw it: markup removed, entities decoded, and padded
    so that its caption regex neither skips it nor reads it as a timing."""
    line = html.unescape(_MARKUP.sub("", line)).replace("-->", "->").strip()
    if not line:
        return ""
    if line[0].isdigit() or line.startswith("NOTE"):
        line = " " + line  # a leading digit would be read as the next cue's timing
    if len(line) < 2:
        line += " "  # libopenshot skips lines of one character
    return line


def effect_caption_text(cues: Iterable[Cue]) -> str:
    """Return ``cues`` as the ``caption_text`` of a libopenshot Caption effect: no header, no
    ids, ``hh:mm:ss.mmm`` times, plain text lines; cues without text are left out."""
    blocks = []
    for cue in sorted(cues, key=lambda c: (c.start, c.end)):
        lines = [p for p in (_plain_line(line) for line in cue.text.split("\n")) if p]
        if lines:
            blocks.append(f"{format_time(cue.start)} --> {format_time(cue.end)}\n"
                          + "\n".join(lines))
    return "".join(block + "\n\n" for block in blocks)


def _constant(value: float) -> dict:
    return {"Points": [{"co": {"X": 1.0, "Y": float(value)}, "interpolation": 2}]}


def _colour(red: int, green: int, blue: int, alpha: int = 255) -> dict:
    def channel(value):
        return {"Points": [{"co": {"X": 1.0, "Y": float(value)},
                            "handle_left": {"X": 0.5, "Y": 1.0},
                            "handle_right": {"X": 0.5, "Y": 0.0},
                            "handle_type": 0, "interpolation": 0}]}
    return {"red": channel(red), "green": channel(green), "blue": channel(blue),
            "alpha": channel(alpha)}


#: A new Caption effect as libopenshot 0.2.7 makes it (``EffectInfo().CreateEffect("Caption")``):
#: white text with a grey outline, transparent background, 30 pt "sans", fading 0.35 s in and
#: out, placed from 25 % left and 70 % down to 10 % from the right edge.
CAPTION_DEFAULTS: dict = {
    "id": "", "class_name": "Caption", "type": "Caption", "name": "Caption",
    "description": "Add text captions on top of your video.",
    "has_audio": False, "has_video": True, "has_tracked_object": False,
    "layer": 0, "order": 0, "position": 0.0, "start": 0.0, "end": 0.0, "duration": 0.0,
    "parent_effect_id": "",
    "caption_text": LIBOPENSHOT_PLACEHOLDER,
    "caption_font": "sans",
    "color": _colour(255, 255, 255),
    "stroke": _colour(169, 169, 169),
    "background": _colour(0, 0, 0),
    "background_alpha": _constant(0.0),
    "background_corner": _constant(10.0),
    "background_padding": _constant(20.0),
    "stroke_width": _constant(0.5),
    "font_size": _constant(30.0),
    "font_alpha": _constant(1.0),
    "fade_in": _constant(0.35),
    "fade_out": _constant(0.35),
    "left": _constant(0.25),
    "top": _constant(0.7),
    "right": _constant(0.1),
}


def _new_effect_id() -> str:
    # OpenShot's editor uses ten upper-case letters and digits.
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))


def is_caption_effect(effect: dict) -> bool:
    """True when ``effect`` (an effect json) is a libopenshot Caption effect."""
    return isinstance(effect, dict) and "Caption" in (effect.get("class_name"),
                                                      effect.get("type"))


def caption_effect_json(cues: Iterable[Cue], existing_effect: Optional[dict] = None,
                        defaults: Optional[dict] = None) -> dict:
    """Return a libopenshot Caption effect json showing ``cues``.

    With ``existing_effect`` (a Caption effect json) the cues are added to the ones it already
    shows (its placeholder text is dropped, a cue already there is not doubled) and its other
    properties (colours, font, size, position, id) are kept. Otherwise the effect is built from
    ``defaults`` (e.g. ``Renderer.effect_defaults("Caption")``) or, when None, from
    ``CAPTION_DEFAULTS``. An effect without an id gets a new one. Arguments are not modified.
    Text the existing effect holds that does not parse as captions is kept, before the new cues.
    """
    base = existing_effect if existing_effect is not None else (
        defaults if defaults is not None else CAPTION_DEFAULTS)
    effect = copy.deepcopy(base)
    kept_text = ""
    merged: list[Cue] = []
    if existing_effect is not None:
        old = str(existing_effect.get("caption_text") or "")
        if old.strip() and old.strip() != LIBOPENSHOT_PLACEHOLDER:
            try:
                merged = parse(old)
            except ValueError:
                kept_text = old.strip() + "\n\n"
    seen = {(c.start, c.end, c.text) for c in merged}
    for cue in cues:
        if (cue.start, cue.end, cue.text) not in seen:
            merged.append(cue)
            seen.add((cue.start, cue.end, cue.text))
    effect["caption_text"] = kept_text + effect_caption_text(merged)
    for key in ("class_name", "type", "name"):
        effect.setdefault(key, "Caption")
    if not effect.get("id"):
        effect["id"] = _new_effect_id()
    return effect


def apply_captions(clip_json: dict, cues: Iterable[Cue], defaults: Optional[dict] = None) -> dict:
    """Return a copy of ``clip_json`` whose first Caption effect also shows ``cues``; when the
    clip has none, a new Caption effect (from ``defaults``, see ``caption_effect_json``) is
    appended to its ``effects``."""
    clip = copy.deepcopy(clip_json)
    effects = clip.get("effects")
    if not isinstance(effects, list):
        effects = clip["effects"] = []
    for index, effect in enumerate(effects):
        if is_caption_effect(effect):
            effects[index] = caption_effect_json(cues, existing_effect=effect)
            return clip
    effects.append(caption_effect_json(cues, defaults=defaults))
    return clip
