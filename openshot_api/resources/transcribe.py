"""``/files/{id}/transcribe/``: speech to text in a worker on the ``transcribe`` queue; the result
is kept per language as WebVTT in the file's ``json.transcripts``."""
import colander
from cornice import Service
from pyramid.response import Response

from .. import captions
from ..jobs import enqueue
from ..errors import APIError, bad_request
from ..models import File
from ..services import get_services
from ..settings import DEFAULTS
from .base import Flag, JSONValue, body_of, get_owned, set_json, validate
from .files import serialize_file

file_transcribe = Service(name="file_transcribe", path="/files/{id}/transcribe/",
                          description="Transcribe (or translate to English) the speech of a file")


class TranscribeSchema(colander.MappingSchema):
    # None: the instance's openshot_api.transcribe.default_model.
    model = colander.SchemaNode(colander.String(), missing=None)
    language = colander.SchemaNode(colander.String(allow_empty=True), missing="")
    translate = colander.SchemaNode(Flag(), missing=False)
    args = colander.SchemaNode(JSONValue(), missing={})


def default_model(settings, language, translate):
    """The model of a request that names none: ``openshot_api.transcribe.default_model``, or its
    multilingual form when an English-only default is asked for another language."""
    key = "openshot_api.transcribe.default_model"
    model = (settings.get(key) or DEFAULTS[key]).strip()
    if model.endswith(".en") and (translate or language.lower() not in ("", "en", "english")):
        return model[:-len(".en")]
    return model


def pick_model(transcriber, model, language, translate):
    """The spec names multilingual models (tiny, base ...); when only the English-only variant is
    installed and English is all that is asked, use it rather than refuse."""
    available = set(getattr(transcriber, "models", lambda: [])())
    if model in available or f"{model}.en" not in available:
        return model
    if not translate and language.lower() in ("", "en", "english"):
        return f"{model}.en"
    return model


def to_srt(vtt):
    cues = captions.parse(vtt)
    blocks = []
    for number, cue in enumerate(cues, 1):
        start, end = (captions.format_time(t).replace(".", ",") for t in (cue.start, cue.end))
        blocks.append(f"{number}\n{start} --> {end}\n{cue.text}\n")
    return "\n".join(blocks)


@file_transcribe.get()
def file_transcribe_get(request):
    file = get_owned(request, File, request.matchdict["id"])
    transcripts = (file.json or {}).get("transcripts") or {}
    fmt = request.GET.get("format")
    if not fmt:
        return {"transcribe": (file.json or {}).get("transcribe"), "languages": list(transcripts)}
    language = request.GET.get("language") or next(iter(transcripts), None)
    if language not in transcripts:
        raise APIError(404, f"No transcript in {language!r}; the file has: {', '.join(transcripts) or 'none'}.")
    vtt = transcripts[language]["vtt"]
    if fmt == "vtt":
        body, content_type = vtt, "text/vtt"
    elif fmt == "srt":
        body, content_type = to_srt(vtt), "application/x-subrip"
    else:
        raise bad_request("format", "Choose vtt or srt.")
    response = Response(body=body.encode("utf-8"), content_type=content_type, charset="utf-8")
    response.content_disposition = f'attachment; filename="file-{file.id}.{language}.{fmt}"'
    return response


@file_transcribe.post()
def file_transcribe_post(request):
    from ..tasks import transcribe_file
    file = get_owned(request, File, request.matchdict["id"])
    transcriber = get_services(request).transcriber
    if transcriber is None:
        raise APIError(400, "Transcription is not enabled on this instance (openshot_api.transcriber).")
    data = validate(TranscribeSchema(), body_of(request), "create")
    if not isinstance(data["args"], dict):
        raise bad_request("args", "Must be a JSON object.")
    if not (file.json or {}).get("has_audio"):
        raise bad_request("media", "The file has no audio to transcribe.")
    model = data["model"] or default_model(request.registry.settings, data["language"], data["translate"])
    model = pick_model(transcriber, model, data["language"], data["translate"])
    problem = transcriber.check(model, {})
    if problem:
        raise bad_request("model", problem)
    problem = transcriber.check(model, data["args"])
    if problem:
        raise bad_request("args", problem)
    if model.endswith(".en") and (data["translate"] or data["language"].lower() not in ("", "en", "english")):
        raise bad_request("model", f"{model} is an English-only model; it cannot translate or hear other languages.")
    job = {"status": "pending", "progress": 0.0, "model": model, "language": data["language"],
           "translate": data["translate"], "args": data["args"]}
    set_json(file, {**(file.json or {}), "transcribe": job})
    enqueue(request.dbsession, transcribe_file, file.id)
    return serialize_file(request, file)


def includeme(config):
    config.add_cornice_service(file_transcribe)
