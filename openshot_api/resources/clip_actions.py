"""Clip actions: ``keyframes``, ``presets``, ``reset`` and ``captions`` — each rewrites the clip's
libopenshot json (keyframes, the Caption effect) through ``keyframes.py`` / ``captions.py``."""
import colander
from cornice import Service

from .. import captions, keyframes
from ..errors import bad_request
from ..models import Clip
from ..services import get_services
from .base import MAX_SECONDS, SECONDS, Flag, Number, body_of, get_owned, refuse_get_from_browsers, set_json, validate
from .clips import serialize_clip, stamp_fields

clip_keyframes = Service(name="clip_keyframes", path="/clips/{id}/keyframes/",
                         description="Add a keyframe to any animatable clip property")
clip_presets = Service(name="clip_presets", path="/clips/{id}/presets/",
                       description="Apply a named animation (fades, zooms, slides, rotations)")
clip_reset = Service(name="clip_reset", path="/clips/{id}/reset/",
                     description="Reset alpha, scale, location and rotation keyframes")
clip_captions = Service(name="clip_captions", path="/clips/{id}/captions/",
                        description="Add VTT/SubRip captions to the clip's Caption effect")


def _value_error(field, exc):
    return bad_request(field, str(exc))


def _rewritten(request, clip, clip_json):
    """Store the clip's new libopenshot json, its position/start/end/layer those of the clip
    (clips stored before these were kept in step may disagree), and answer the clip."""
    set_json(clip, clip_json)
    stamp_fields(clip)
    request.dbsession.flush()
    return serialize_clip(request, clip)


def _named(data, **lookups):
    """Each field's canonical name through its lookup (property, curve, preset); an unknown name
    is a 400 on that field listing the valid ones."""
    names = {}
    for field, lookup in lookups.items():
        try:
            names[field] = lookup(data[field])
        except ValueError as exc:
            raise _value_error(field, exc)
    return names


class KeyframeSchema(colander.MappingSchema):
    property = colander.SchemaNode(colander.String())
    position_in_seconds = colander.SchemaNode(Number(), validator=SECONDS)
    curve = colander.SchemaNode(colander.String(), missing=keyframes.DEFAULT_CURVE)
    value = colander.SchemaNode(Number())


@clip_keyframes.get()
def clip_keyframes_get(request):
    get_owned(request, Clip, request.matchdict["id"])
    return {"properties": sorted(keyframes.KEYFRAME_PROPERTIES), "curves": list(keyframes.CURVES)}


@clip_keyframes.post()
def clip_keyframes_post(request):
    clip = get_owned(request, Clip, request.matchdict["id"])
    data = validate(KeyframeSchema(), body_of(request), "create")
    names = _named(data, property=keyframes.property_name, curve=keyframes.curve_name)
    prop, curve = names["property"], names["curve"]
    project = clip.project
    # Keyframe frames count from the file's first frame; the API counts from the clip's start.
    try:
        frame = keyframes.frame_for_seconds(clip.start + data["position_in_seconds"], project.fps_num,
                                            project.fps_den)
    except ValueError as exc:  # a clip start stored before times were bounded
        raise _value_error("position_in_seconds", exc)
    try:
        updated = keyframes.add_keyframe(clip.json or {}, prop, frame, data["value"], curve)
    except ValueError as exc:
        raise _value_error("value", exc)
    return _rewritten(request, clip, updated)


class PresetSchema(colander.MappingSchema):
    preset = colander.SchemaNode(colander.String())
    length_in_seconds = colander.SchemaNode(Number(), missing=1.0, validator=colander.Range(0.001, MAX_SECONDS))
    curve = colander.SchemaNode(colander.String(), missing=keyframes.DEFAULT_CURVE)


@clip_presets.get()
def clip_presets_get(request):
    get_owned(request, Clip, request.matchdict["id"])
    return {"presets": list(keyframes.PRESETS), "curves": list(keyframes.CURVES)}


@clip_presets.post()
def clip_presets_post(request):
    clip = get_owned(request, Clip, request.matchdict["id"])
    data = validate(PresetSchema(), body_of(request), "create")
    names = _named(data, preset=keyframes.preset_name, curve=keyframes.curve_name)
    preset, curve = names["preset"], names["curve"]
    project = clip.project
    try:
        updated = keyframes.apply_preset(clip.json or {}, preset, data["length_in_seconds"], curve,
                                         {"num": project.fps_num, "den": project.fps_den},
                                         clip_position=clip.position, clip_start=clip.start, clip_end=clip.end)
    except ValueError as exc:
        raise _value_error("length_in_seconds", exc)
    return _rewritten(request, clip, updated)


@clip_reset.post()
@clip_reset.get()
def clip_reset_post(request):
    refuse_get_from_browsers(request)
    clip = get_owned(request, Clip, request.matchdict["id"])
    return _rewritten(request, clip, keyframes.reset_keyframes(clip.json or {}))


class CaptionSchema(colander.MappingSchema):
    caption_text = colander.SchemaNode(colander.String(allow_empty=True), missing="")
    append_file_transcript = colander.SchemaNode(Flag(), missing=False)
    file_transcript_language = colander.SchemaNode(colander.String(allow_empty=True), missing="")


def file_transcript(file, language):
    """The WebVTT transcript of ``file`` in ``language`` (blank: the first one it has)."""
    transcripts = (file.json or {}).get("transcripts") or {}
    if not transcripts:
        raise bad_request("append_file_transcript", "The clip's file has no transcript yet; "
                                                    "POST /files/{id}/transcribe/ first.")
    if not language:
        language = next(iter(transcripts))
    if language not in transcripts:
        raise bad_request("file_transcript_language",
                          f"No {language!r} transcript; the file has: {', '.join(transcripts)}.")
    entry = transcripts[language]
    return entry.get("vtt", "") if isinstance(entry, dict) else str(entry)


@clip_captions.post()
def clip_captions_post(request):
    clip = get_owned(request, Clip, request.matchdict["id"])
    data = validate(CaptionSchema(), body_of(request), "create")
    cues = []
    if data["caption_text"].strip():
        try:
            # Cue times are relative to the clip's first visible frame; the Caption effect
            # counts from the file's start.
            cues += captions.shift(captions.parse(data["caption_text"]), clip.start)
        except ValueError as exc:
            raise bad_request("caption_text", str(exc))
    if data["append_file_transcript"]:
        try:
            cues += captions.parse(file_transcript(clip.file, data["file_transcript_language"].strip()))
        except ValueError as exc:
            raise bad_request("file_transcript_language", f"The stored transcript is malformed: {exc}")
    if not cues:
        raise bad_request("caption_text", "Send caption_text with at least one cue, or append_file_transcript.")
    defaults = get_services(request).renderer.effect_defaults("Caption")
    return _rewritten(request, clip, captions.apply_captions(clip.json or {}, cues, defaults=defaults))


def includeme(config):
    for service in (clip_keyframes, clip_presets, clip_reset, clip_captions):
        config.add_cornice_service(service)
