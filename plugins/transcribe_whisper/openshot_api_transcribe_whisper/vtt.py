"""Writing timed text as WebVTT (https://www.w3.org/TR/webvtt1/)."""

#: Shortest cue kept, so that every cue ends after it starts.
MIN_CUE_SECONDS = 0.01


def timestamp(seconds):
    """Return ``seconds`` as a WebVTT timestamp ``HH:MM:SS.mmm``."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def cue_text(text):
    """Return ``text`` made safe for a cue payload: no blank lines (they end a cue), no ``-->``
    (it marks a timing line), and ``&``/``<`` escaped as WebVTT requires."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace("-->", "->")
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def write_vtt(cues):
    """Return a WebVTT document for ``cues``, an iterable of ``(start, end, text)`` in seconds.

    Cues with no text are dropped; start times never go backwards and each cue lasts at least
    ``MIN_CUE_SECONDS``, so players accept the file even when the recogniser's times overlap.
    """
    blocks = ["WEBVTT\n"]
    last_start = 0.0
    for start, end, text in cues:
        payload = cue_text(text)
        if not payload:
            continue
        start = max(start, last_start)
        end = max(end, start + MIN_CUE_SECONDS)
        last_start = start
        blocks.append(f"{timestamp(start)} --> {timestamp(end)}\n{payload}\n")
    return "\n".join(blocks)
