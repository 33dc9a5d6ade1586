"""The OpenAPI document of the API and the pages that show it (Swagger UI, Redoc).

The document is built when it is first asked for, from what the running app really serves:
every Cornice service added to it (paths, methods, descriptions), the colander schema each
handler validates its body with (found by reading the names the handler and its helpers use),
and the table ``SERVICES`` below for what code cannot tell (extra body fields, response shapes).
An endpoint missing from ``SERVICES`` is still documented, with a generic JSON answer.

GET /openapi.json and /openapi.yaml serve it; /swagger-ui/ and /redoc/ show it with assets served
by this app (Swagger UI's and Redoc's builds, vendored unmodified under ``static/vendor/``; nothing
is loaded from a CDN).
"""
import copy
import inspect
import json
import os
import re
import types

import colander
from pyramid.csrf import get_csrf_token
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from . import keyframes
from .resources import base

OPENAPI_VERSION = "3.0.3"
JSON, FORM, MULTIPART = "application/json", "application/x-www-form-urlencoded", "multipart/form-data"
YAML_TYPE = "application/vnd.oai.openapi"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
VERBS = {"GET": "Get", "POST": "Post", "PUT": "Replace", "PATCH": "Update", "DELETE": "Delete"}
# Body fields that carry a file upload, whatever the endpoint or schema declares them as.
BINARY_FIELDS = ("media", "archive", "font_file")
ASSETS_URL = "static/docs"
# The pages this app draws load nothing from elsewhere; the browser enforces it (Redoc's footer
# logo, for one, would come from a CDN).
LOCAL_ONLY_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                  "script-src 'self'; worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:; "
                  "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


# --- colander -> JSON schema ------------------------------------------------------------------

def _validator_keywords(validator):
    """JSON-schema keywords for a colander validator (nested ``All`` included)."""
    if isinstance(validator, colander.All):
        merged = {}
        for inner in validator.validators:
            merged.update(_validator_keywords(inner))
        return merged
    if isinstance(validator, colander.Range):
        return {k: v for k, v in (("minimum", validator.min), ("maximum", validator.max)) if v is not None}
    if isinstance(validator, colander.Length):
        return {k: v for k, v in (("minLength", validator.min), ("maxLength", validator.max)) if v is not None}
    if isinstance(validator, colander.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, colander.Email):
        return {"format": "email"}
    return {}


def _type_schema(typ, form):
    """The JSON schema of one colander type. ``form``: as sent in a form field (JSON as text)."""
    if isinstance(typ, base.JSONObject):
        text = {"type": "string", "format": "json", "description": "JSON text of an object"}
        return text if form else {"anyOf": [{"type": "object", "additionalProperties": True}, text]}
    if isinstance(typ, base.JSONValue):
        return {"type": "string", "format": "json"} if form else {}
    if isinstance(typ, colander.Boolean):
        return {"type": "boolean"}
    if isinstance(typ, colander.Int):
        return {"type": "integer"}
    if isinstance(typ, (colander.Float, colander.Decimal)):
        return {"type": "number"}
    if isinstance(typ, colander.DateTime):
        return {"type": "string", "format": "date-time"}
    if isinstance(typ, colander.Date):
        return {"type": "string", "format": "date"}
    if isinstance(typ, colander.Mapping):
        return {"type": "object"}
    if isinstance(typ, (colander.Sequence, colander.List, colander.Set)):
        return {"type": "array"}
    return {"type": "string"}


def node_schema(node, mode="create", form=False):
    """The JSON schema of one field. ``mode`` as in ``resources.base.validate``: defaults are
    only applied on create."""
    schema = _type_schema(node.typ, form)
    if isinstance(node.typ, colander.Mapping):
        return mapping_schema(node, mode, form)
    if isinstance(node.typ, (colander.Sequence, colander.List)) and node.children:
        schema["items"] = node_schema(node.children[0], mode, form)
    if node.validator is not None and schema.get("type") not in (None, "object"):
        schema.update(_validator_keywords(node.validator))
    if node.description:
        schema["description"] = str(node.description)
    missing = node.missing
    if missing is None:
        if "type" in schema or "anyOf" in schema:  # an untyped schema already allows null
            schema["nullable"] = True
    elif mode == "create" and missing not in (colander.required, colander.drop, colander.null):
        try:
            json.dumps(missing)
            schema["default"] = missing
        except (TypeError, ValueError):
            pass
    return schema


def mapping_schema(schema, mode="create", form=False):
    """The JSON schema of a colander mapping; required fields only where ``mode`` enforces them."""
    properties, required = {}, []
    for child in schema.children:
        properties[child.name] = node_schema(child, mode, form)
        if child.missing is colander.required and mode != "update":
            required.append(child.name)
    result = {"type": "object", "properties": properties}
    if required:
        result["required"] = required
    return result


# --- what a handler does, read from its code ----------------------------------------------------

class ViewFacts:
    """What a handler (and the module-level helpers it calls) refers to: the colander schema
    classes it validates with, the serializers it answers with, whether it paginates, reads
    the query string, answers 201 or 204."""

    def __init__(self, view, depth=3):
        self.schemas, self.serializers, self.names, self.consts = [], [], set(), set()
        self._seen = set()
        self._read(inspect.unwrap(view), depth)

    def _read(self, func, depth):
        code = getattr(func, "__code__", None)
        if code is None or code in self._seen:
            return
        self._seen.add(code)
        scope = getattr(func, "__globals__", {})
        self._read_code(code, scope, func.__module__ or "", depth)
        # Handlers made by a factory (resources.base.ProjectResource) reach the resource's own
        # functions through their closure.
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, types.FunctionType):
                if value.__name__.startswith("serialize_"):
                    if value.__name__ not in self.serializers:
                        self.serializers.append(value.__name__)
                elif depth > 1:
                    self._read(value, depth - 1)

    def _read_code(self, code, scope, module, depth):
        self.names.update(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):  # nested functions and lambdas
                self._read_code(const, scope, module, depth)
            elif isinstance(const, (int, str)) and not isinstance(const, bool):
                self.consts.add(const)
        for name in code.co_names:
            value = scope.get(name)
            if isinstance(value, type) and issubclass(value, colander.Schema) and value not in self.schemas:
                if value.__name__.endswith("Schema"):
                    self.schemas.append(value)
            elif isinstance(value, types.FunctionType):
                if name.startswith("serialize_") and name not in self.serializers:
                    self.serializers.append(name)
                elif depth > 1 and _same_family(value.__module__, module):
                    self._read(value, depth - 1)

    @property
    def paginates(self):
        return "paginate" in self.names

    @property
    def reads_query(self):
        return "GET" in self.names


def _same_family(module, origin):
    """Helpers are followed within the API's resources, or within the plugin of the handler."""
    if module.startswith("openshot_api.resources") or module == origin:
        return True
    return origin.split(".")[0] != "openshot_api" and module.split(".")[0] == origin.split(".")[0]


# --- what code cannot tell: responses and body fields ------------------------------------------

def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


URI = {"type": "string", "format": "uri"}
URIS = {"type": "array", "items": URI}
DATE = {"type": "string", "format": "date-time", "nullable": True}
JSON_OBJECT = {"type": "object", "additionalProperties": True}
REFERENCE = "The URL of the object (``http://host/{kind}/1/``) or its id"


def reference_pattern(kind):
    """What ``resources.base.parse_reference`` takes as text: ASCII digits, or a path or URL of
    ``/<kind>/<id>/`` (a query string after it is ignored)."""
    return rf"^(?:[0-9]+|(?:https?://[^/?]+)?/*{kind}/[0-9]+/?(?:\?[\s\S]*)?)$"


def reference_field(kind):
    """A body field naming another object by URL or id (``x-reference`` tells the demo which list
    to offer)."""
    return {"anyOf": [{"type": "string", "pattern": reference_pattern(kind)}, {"type": "integer", "minimum": 1}],
            "description": REFERENCE.format(kind=kind), "x-reference": kind}


def anycase(names, suffix=""):
    """A pattern matching any of ``names`` in any letter case (the API looks names up that
    way), then ``suffix`` (a pattern)."""
    def word(name):
        return "".join(f"[{c.upper()}{c.lower()}]" if c.upper() != c.lower() else
                       ("\\" + c if c in "\\^$.|?*+()[]{}/" else c) for c in name)
    return "^(?:" + "|".join(word(n) for n in sorted(names)) + ")" + suffix + "$"


BINARY = {"type": "string", "format": "binary"}
BITRATE = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}],
           "description": "Bits per second (8000000, '8 Mb/sec'), or for video a quality ('crf 23')"}

COMPONENTS = {
    "Error": {
        "type": "object", "required": ["detail"],
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": {"type": "array", "description": "Messages about the field of this name"},
        "example": {"detail": "name: This field is required.", "name": ["This field is required."]},
    },
    "Project": {
        "type": "object",
        "required": ["url", "id", "name", "width", "height", "fps_num", "fps_den", "sample_rate",
                     "channels", "channel_layout", "files", "clips", "effects", "exports", "json"],
        "properties": {
            "url": URI, "id": {"type": "integer"}, "name": {"type": "string"},
            "width": {"type": "integer"}, "height": {"type": "integer"},
            "fps_num": {"type": "integer"}, "fps_den": {"type": "integer"},
            "sample_rate": {"type": "integer"}, "channels": {"type": "integer"},
            "channel_layout": {"type": "integer"},
            "files": URIS, "clips": URIS, "effects": URIS, "exports": URIS, "actions": URIS,
            "json": JSON_OBJECT, "date_created": DATE, "date_updated": DATE,
        },
    },
    "File": {
        "type": "object", "required": ["url", "id", "media", "project", "json"],
        "properties": {
            "url": URI, "id": {"type": "integer"}, "media": {**URI, "nullable": True}, "project": URI,
            "actions": URIS, "json": {**JSON_OBJECT, "description": "Reader info (duration, fps, "
                                      "width, height, has_audio ...) and the client's own keys"},
            "date_created": DATE, "date_updated": DATE,
        },
    },
    "Clip": {
        "type": "object", "required": ["url", "id", "file", "project", "position", "start", "end",
                                       "layer", "json"],
        "properties": {
            "url": URI, "file": URI, "id": {"type": "integer"}, "position": {"type": "number"},
            "start": {"type": "number"}, "end": {"type": "number"}, "layer": {"type": "integer"},
            "actions": URIS, "project": URI,
            "json": {**JSON_OBJECT, "description": "The libopenshot clip: keyframes, reader ..."},
            "date_created": DATE, "date_updated": DATE,
        },
    },
    "Effect": {
        "type": "object", "required": ["url", "id", "title", "type", "position", "start", "end",
                                       "layer", "project", "json"],
        "properties": {
            "url": URI, "id": {"type": "integer"}, "title": {"type": "string"}, "type": {"type": "string"},
            "position": {"type": "number"}, "start": {"type": "number"}, "end": {"type": "number"},
            "layer": {"type": "integer"}, "project": URI, "json": JSON_OBJECT,
            "date_created": DATE, "date_updated": DATE,
        },
    },
    "Export": {
        "type": "object", "required": ["url", "id", "output", "export_type", "project", "progress", "status"],
        "properties": {
            "url": URI, "id": {"type": "integer"}, "output": {**URI, "nullable": True},
            "export_type": {"type": "string"}, "video_format": {"type": "string"},
            "video_codec": {"type": "string"}, "video_bitrate": BITRATE,
            "audio_codec": {"type": "string"}, "audio_bitrate": BITRATE,
            "start_frame": {"type": "integer"}, "end_frame": {"type": "integer", "nullable": True},
            "actions": URIS, "project": URI, "webhook": {"type": "string"}, "json": JSON_OBJECT,
            "progress": {"type": "number", "minimum": 0, "maximum": 100},
            "status": {"type": "string", "enum": ["pending", "in-progress", "cancel", "completed", "failed"]},
            "date_created": DATE, "date_updated": DATE,
        },
    },
    "Storage": {
        "type": "object", "required": ["backend", "storage"],
        "properties": {"backend": {"type": "string", "enum": ["local", "cloud", "json"]},
                       "storage": {"type": "integer", "description": "Bytes"}},
    },
    "Validation": {
        "type": "object", "required": ["detail", "problems", "warnings"],
        "properties": {"detail": {"type": "string"},
                       "problems": {"type": "array", "items": {"type": "object", "properties": {
                           "object": URI, "field": {"type": "string"}, "detail": {"type": "string"}}}},
                       "warnings": {"type": "array", "description": "What renders but may not be meant",
                                    "items": {"type": "object", "properties": {
                                        "object": URI, "field": {"type": "string"},
                                        "detail": {"type": "string"}}}}},
    },
    "FontFamily": {
        "type": "object", "required": ["family"],
        "properties": {"family": {"type": "string"}, "styles": {"type": "array", "items": {"type": "string"}},
                       "files": {"type": "array", "items": {"type": "string"}}, "custom": {"type": "boolean"}},
    },
    "Token": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
}
SERIALIZED = {"serialize_project": "Project", "serialize_file": "File", "serialize_clip": "Clip",
              "serialize_effect": "Effect", "serialize_export": "Export"}
LISTED = ("Project", "File", "Clip", "Effect", "Export")


def json_answer(schema, description="OK"):
    return {"description": description, "content": {JSON: {"schema": schema}}}


def binary_answer(*types_, description="The bytes"):
    return {"description": description, "content": {t: {"schema": BINARY} for t in types_}}


MEDIA_TYPES = ("video/*", "audio/*", "image/*", "application/octet-stream")
IMAGES = ("image/jpeg", "image/png", "image/bmp", "image/x-portable-pixmap", "image/x-xbitmap",
          "image/x-xpixmap")
STRINGS = {"type": "array", "items": {"type": "string"}}
FORMAT_OPTIONS = {"type": "object", "properties": {
    "layer": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^\\s*-?[0-9]+\\s*$"}]},
    "media_url_prefix": {"type": "string"}}}
SECONDS = {"type": "number", "minimum": 0, "maximum": base.MAX_SECONDS}
LAYER = {"type": "integer", "minimum": 0}
ITEMS = {"type": "array", "nullable": True, "items": {"type": "object"}}
# What /load/ reads of a project file (interchange.checked_project); what the items hold beyond
# their times and layers is libopenshot's json, checked against libopenshot's own.
PROJECT_FILE = {"type": "object", "properties": {
    "width": {"type": "integer", "minimum": 2, "maximum": 8192, "multipleOf": 2},
    "height": {"type": "integer", "minimum": 2, "maximum": 8192, "multipleOf": 2},
    "fps": {"type": "object", "properties": {"num": {"type": "integer", "minimum": 1, "maximum": 1000000},
                                             "den": {"type": "integer", "minimum": 1, "maximum": 1000000}}},
    "sample_rate": {"type": "integer", "minimum": 8000, "maximum": 192000},
    "channels": {"type": "integer", "minimum": 1, "maximum": 8},
    "files": ITEMS,
    "clips": {**ITEMS, "items": {"type": "object", "properties": {
        "position": SECONDS, "start": SECONDS, "end": SECONDS, "layer": LAYER, "reader": {"type": "object"}}}},
    "effects": {**ITEMS, "items": {"type": "object", "properties": {
        "position": SECONDS, "start": SECONDS, "end": SECONDS, "layer": LAYER, "type": {"type": "string"},
        "class_name": {"type": "string"}, "title": {"type": "string", "maxLength": 255}}}},
    "layers": {**ITEMS, "items": {"type": "object", "properties": {"number": LAYER}}}}}
STORAGE_QUERY = {"backend": {"type": "string", "enum": ["local", "cloud", "json", ""], "default": "local",
                             "description": "blank: local"}}

# Per Cornice service name: extra body ``fields`` (and which of them a create ``requires``),
# extra ``query`` parameters, and ``answers`` by method (a responses dict, or a schema for 200).
SERVICES = {
    "files": {"fields": {"project": reference_field("projects"), "media": BINARY}, "requires": ["project"]},
    "file": {"fields": {"project": reference_field("projects"), "media": BINARY}},
    "project_files": {"fields": {"media": BINARY}},
    "clips": {"fields": {"project": reference_field("projects"), "file": reference_field("files")},
              "requires": ["project", "file"]},
    "clip": {"fields": {"project": reference_field("projects"), "file": reference_field("files")},
             "requires_on_put": ["file"]},
    "project_clips": {"fields": {"file": reference_field("files")}, "requires": ["file"]},
    "effects": {"fields": {"project": reference_field("projects")}, "requires": ["project"]},
    "effect": {"fields": {"project": reference_field("projects")}},
    "exports": {"fields": {"project": reference_field("projects")}, "requires": ["project"]},
    "export": {"fields": {"project": reference_field("projects")}},
    # Stored media is served as what its bytes are: audio, video or a raster image inline, anything
    # else as an attachment of no particular type; image sequences are zips.
    "file_download": {"answers": {"GET": {"200": binary_answer(*MEDIA_TYPES)}}},
    "export_download": {"answers": {"GET": {"200": binary_answer(*MEDIA_TYPES, "application/zip")}}},
    "project_thumbnail": {"answers": {m: {"200": binary_answer(*IMAGES, description="The frame")}
                                      for m in ("GET", "POST")}},
    "file_thumbnail": {"answers": {m: {"200": binary_answer(*IMAGES, description="The frame")}
                                   for m in ("GET", "POST")}},
    "project_json": {"answers": {"GET": {**JSON_OBJECT, "description": "An OpenShot project (*.osp)"}}},
    "project_validate": {"answers": {m: ref("Validation") for m in ("GET", "POST")}},
    "project_storage": {"query": STORAGE_QUERY, "fields": STORAGE_QUERY,
                        "answers": {m: ref("Storage") for m in ("GET", "POST")}},
    "file_storage": {"query": STORAGE_QUERY, "fields": STORAGE_QUERY,
                     "answers": {m: ref("Storage") for m in ("GET", "POST")}},
    "export_storage": {"query": STORAGE_QUERY, "fields": STORAGE_QUERY,
                       "answers": {m: ref("Storage") for m in ("GET", "POST")}},
    "project_files_find": {"answers": {m: {"type": "array", "items": {"allOf": [ref("File"), {
        "type": "object", "properties": {"download": URI}}]}} for m in ("GET", "POST")}},
    "file_copy": {"fields": {"project": reference_field("projects")}},
    "file_text_replace": {"answers": {"POST": {"allOf": [ref("File"), {
        "type": "object", "properties": {"replacements": {"type": "integer"}}}]}}},
    "project_download": {"answers": {"GET": {"200": binary_answer("application/zip")}}},
    "project_download_format": {
        "fields": {"format": {"type": "string", "description": "edl, fcpxml, otio ... (see the enum)"},
                   "json": {"anyOf": [FORMAT_OPTIONS, {"type": "string", "format": "json"}],
                            "description": "Options of the converter: layer (EDL: the layer to write), "
                                           "media_url_prefix (before each media file name)"}},
        "requires": ["format"], "answers": {"POST": {"200": binary_answer("application/zip")}}},
    "project_load": {"not_body": ("ProjectSchema",), "requires_any": ["json", "archive"], "fields": {"archive": {**BINARY, "description": "A ZIP of a project file and its media"},
                                "json": {"anyOf": [PROJECT_FILE, {"type": "string", "format": "json"}],
                                         "description": "An OpenShot project (*.osp) as JSON"}},
                     "answers": {"POST": ref("Project")}},
    "clip_keyframes": {"answers": {"GET": {"type": "object", "properties": {"properties": STRINGS,
                                                                            "curves": STRINGS}}}},
    "clip_presets": {"answers": {"GET": {"type": "object", "properties": {"presets": STRINGS,
                                                                          "curves": STRINGS}}}},
    "project_title": {"answers": {"GET": {"type": "object", "properties": {"templates": STRINGS}}}},
    "project_merge": {"fields": {"project": reference_field("projects")}, "requires": ["project"]},
    "file_transcribe": {
        "query": {"format": {"type": "string", "enum": ["vtt", "srt", ""], "description": "blank: the JSON answer"},
                  "language": {"type": "string"}},
        "answers": {"GET": {"200": {"description": "The transcription job and languages; with "
                                                   "?format=, the transcript",
                                    "content": {JSON: {"schema": {"type": "object", "properties": {
                                        "transcribe": {"type": "object", "nullable": True},
                                        "languages": STRINGS}}},
                                        "text/vtt": {"schema": {"type": "string"}},
                                        "application/x-subrip": {"schema": {"type": "string"}}}}}}},
    "info": {"answers": {"GET": {"type": "object", "additionalProperties": URI}}},
    "info_effects": {"answers": {"GET": {"type": "array", "items": {"type": "object", "properties": {
        "class_name": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}}}}}},
    "info_plugins": {"answers": {"GET": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "version": {"type": "string", "nullable": True}, "hooks": STRINGS}}}}},
    "info_transitions": {"answers": {"GET": {"type": "object", "properties": {"transitions": STRINGS}}}},
    "info_fonts": {
        "fields": {"font_file": {**BINARY, "description": "A TrueType/OpenType font to add"}},
        "answers": {"GET": {"type": "array", "items": ref("FontFamily")},
                    "POST": {"200": json_answer({"type": "array", "items": ref("FontFamily")},
                                                "The font cache was refreshed"),
                             "201": json_answer({"type": "object", "properties": {
                                 "added": {"type": "object"},
                                 "fonts": {"type": "array", "items": ref("FontFamily")}}}, "The font was added")}}},
    "info_fonts_thumbnail": {"answers": {"GET": {"200": binary_answer("image/jpeg")}}},
}
COLOUR = {"type": "string", "pattern": "^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"}
SIZE = {"type": "integer", "minimum": 2, "maximum": 8192, "multipleOf": 2}
# The project settings an export may override (exports.check_overrides).
WAVE_COLOUR = {"anyOf": [{"type": "string", "pattern": "^#?[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?$"},
                         {"type": "object"}], "nullable": True}
# An export's booleans as timeline.flag reads them: true/false, 1/0, or their words.
EXPORT_FLAG = {"anyOf": [{"type": "boolean"}, {"type": "integer", "enum": [0, 1]},
                         {"type": "string", "pattern": anycase(("true", "false", "yes", "no", "on", "off", "1", "0"))}],
               "nullable": True}
# The project settings an export may override (exports.check_overrides); null overrides nothing.
EXPORT_OVERRIDES = {"type": "object", "properties": {
    "width": {**SIZE, "nullable": True}, "height": {**SIZE, "nullable": True},
    "sample_rate": {"type": "integer", "minimum": 1, "maximum": 192000, "nullable": True},
    "channels": {"type": "integer", "minimum": 1, "maximum": 8, "nullable": True},
    "fps": {"type": "object", "required": ["num", "den"], "nullable": True, "properties": {
        "num": {"type": "integer", "minimum": 1}, "den": {"type": "integer", "minimum": 1}}},
    "wave_color": WAVE_COLOUR, "wave_background_color": WAVE_COLOUR,
    "interlaced": EXPORT_FLAG, "top_field_first": EXPORT_FLAG}}
OPACITY = {"minimum": 0, "maximum": 1}
MERGE_ATTRIBUTES = ["position", "start", "end", "end-position", "layer", "first:position", "first:end-position",
                    "last:position", "last:end-position"]
MERGE_INSTRUCTION = {"type": "object", "properties": {
    "source": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    "source_type": {"type": "string", "enum": ["clip", "effect", "layer", "all"]},
    "source_attribute": {"type": "string", "enum": MERGE_ATTRIBUTES},
    "target": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    "target_type": {"type": "string", "enum": ["clip", "effect", "layer"]},
    "target_attribute": {"type": "string", "enum": MERGE_ATTRIBUTES},
    "offset": {"type": "number", "minimum": -base.MAX_SECONDS, "maximum": base.MAX_SECONDS}}}
# Field hints that colander validators cannot express (``anyOf`` replaces the colander type;
# in forms such a field is text).
SCHEMA_HINTS = {
    "ProjectSchema": {"width": {"multipleOf": 2}, "height": {"multipleOf": 2}},
    "KeyframeSchema": {
        "property": {"pattern": anycase(list(keyframes.PROPERTY_DEFAULTS) + [
            "wave_color_" + p.split(".", 1)[1] for p in keyframes.PROPERTY_DEFAULTS if p.startswith("wave_color.")])},
        "curve": {"pattern": anycase(keyframes.CURVES)}},
    "PresetSchema": {"preset": {"pattern": anycase(keyframes.PRESETS)},
                     "curve": {"pattern": anycase(keyframes.CURVES)}},
    "TitleSchema": {
        "fill_color": COLOUR, "stroke_color": COLOUR, "background_color": COLOUR,
        "fill_opacity": OPACITY, "stroke_opacity": OPACITY, "background_opacity": OPACITY,
        "font_size": {"minimum": 0, "exclusiveMinimum": True}, "stroke_size": {"minimum": 0},
        "font_name": {"maxLength": 200, "pattern": "^[^\\r\\n]*[^\\s\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f][^\\r\\n]*$"}},
    "ExportSchema": {"video_bitrate": BITRATE, "audio_bitrate": BITRATE,
                     "end_frame": {"minimum": -1, "description": "blank, 0 or -1: the project's end"}, "webhook": {
        "pattern": "^(?:https?://[^\\s/]+[\\s\\S]*)?$", "description": "An http(s) URL told when the export ends"},
        "json": {"anyOf": [EXPORT_OVERRIDES, {"type": "string", "format": "json"}],
                 "description": "Overrides of the project's settings for this export, upload targets and "
                                "the client's own keys"}},
    "TranscribeSchema": {"args": {"anyOf": [{"type": "object"}, {"type": "string", "format": "json"}],
                                  "description": "Options of the transcriber"}},
    "MergeSchema": {"json": {"anyOf": [{"type": "array", "items": MERGE_INSTRUCTION}, MERGE_INSTRUCTION,
                                       {"type": "string", "format": "json"}],
                             "description": "Merge instructions (a list of objects, or JSON text of one)"}},
}
# Hints for JSON only: a form's fields are text.
JSON_ONLY_HINTS = ("nullable",)


def instance_hints(services):
    """SCHEMA_HINTS with what this instance knows: its effect types and title templates."""
    hints = copy.deepcopy(SCHEMA_HINTS)
    try:
        types = [info["class_name"] for info in services.renderer.effect_types()]
        hints.setdefault("EffectSchema", {})["type"] = {"pattern": anycase(types)}
    except Exception:  # the document must not depend on a plugin's health
        pass
    try:
        stems = [name[:-4] if name.lower().endswith(".svg") else name
                 for name in services.title_renderer.templates()]
        hints.setdefault("TitleSchema", {})["template"] = {"pattern": anycase(stems, "(?:\\.[Ss][Vv][Gg])?")}
    except Exception:
        pass
    return hints


# --- the document -------------------------------------------------------------------------------

def _openapi_path(pattern):
    """Cornice/Pyramid ``/projects/{id:\\d+}/`` -> OpenAPI ``/projects/{id}/``."""
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", r"{\1}", pattern)


def _path_parameters(path):
    return [{"name": name, "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1} if name == "id" else {"type": "string"}}
            for name in re.findall(r"\{(\w+)\}", path)]


BLANK = {"type": "string", "maxLength": 0}


def _or_blank(prop):
    """``prop``, or "" (a form's way to leave a field out), kept flat where it can be (the
    demo draws its inputs from the top level: enums, patterns, JSON text)."""
    if prop.get("format") in ("binary", "json"):
        return prop  # a file; or JSON text, where blank is no value
    if prop.get("type") == "string":
        prop = {k: v for k, v in prop.items() if k != "minLength"}
        if "enum" in prop and "" not in prop["enum"]:
            prop["enum"] = list(prop["enum"]) + [""]
        if "pattern" in prop:
            prop["pattern"] = "^$|" + prop["pattern"]
        return prop
    inner = {k: v for k, v in prop.items() if k not in ("description", "default", "x-reference")}
    outer = {k: v for k, v in prop.items() if k in ("description", "default", "x-reference")}
    return {"anyOf": [inner, BLANK], **outer}


def _as_read(node, prop, required, form):
    """A colander field's schema as ``resources.base.validate`` reads the field: from JSON,
    text fields that refuse blanks need a character; from a form (all text, no null), a blank
    field is one left out, unless it is required."""
    prop = dict(prop)
    text = isinstance(node.typ, colander.String) and prop.get("type") == "string"
    if not form:
        if text and not node.typ.allow_empty:
            prop.setdefault("minLength", 1)
        if text and not any(k in prop for k in ("enum", "pattern", "format")):
            # Free text takes a number too, as its text (Django REST framework's CharField does).
            outer = {k: v for k, v in prop.items() if k in ("description", "default", "nullable")}
            inner = {k: v for k, v in prop.items() if k not in outer}
            prop = {"anyOf": [inner, {"type": "number"}], **outer}
        return prop
    prop.pop("nullable", None)
    if isinstance(node.typ, colander.Boolean) and prop.get("type") == "boolean":
        # A form's boolean is a word (base.Flag); blank is false.
        words = [w for w in getattr(node.typ, "true_choices", ()) + getattr(node.typ, "false_choices", ()) if w]
        prop = {**{k: v for k, v in prop.items() if k != "type"}, "type": "string", "pattern": anycase(words)}
    if text and required:
        prop.setdefault("minLength", 1)
    elif not required:
        prop = _or_blank(prop)
    return prop


def _extra_as_read(prop, form):
    """A service's own optional body field (a reference, a storage backend ...) as its handler
    reads it: null (JSON) or blank is no value."""
    if form:
        if "anyOf" in prop:
            text = next((p for p in prop["anyOf"] if p.get("type") == "string"), {"type": "string"})
            prop = {**{k: v for k, v in prop.items() if k != "anyOf"}, **text}
        return _or_blank(prop)
    if "enum" in prop:  # a choice: blank is the default, null no choice at all
        return _or_blank(prop)
    return {**_or_blank(prop), "nullable": True}


def _body_schema(schemas, extra, mode, form, binary, requires, hints=None):
    """One request body schema: the colander schemas' fields plus the service's extra fields."""
    hints = SCHEMA_HINTS if hints is None else hints
    result = {"type": "object", "properties": {}}
    required = []
    for schema_cls in schemas:
        instance = schema_cls()
        part = mapping_schema(instance, mode, form)
        schema_hints = hints.get(schema_cls.__name__, {})
        for name, prop in part["properties"].items():
            if name in BINARY_FIELDS:
                if binary:
                    result["properties"][name] = dict(BINARY)
                continue
            hint = schema_hints.get(name, {})
            if "anyOf" in hint:  # the hint replaces the colander type; a form sends its text
                kept = {k: v for k, v in prop.items() if k in ("default", "nullable")}
                text = next((p for p in hint["anyOf"] if p.get("type") == "string"), {"type": "string"})
                prop = {**text, "description": hint["description"], **kept} if form else {**hint, **kept}
            else:
                prop = {**prop, **{k: v for k, v in hint.items() if not (form and k in JSON_ONLY_HINTS)}}
            result["properties"][name] = _as_read(instance[name], prop, name in part.get("required", []), form)
        required += part.get("required", [])
    for name, prop in extra.items():
        if prop.get("format") == "binary":
            if binary:
                result["properties"][name] = prop
            continue
        if name in requires and mode != "update":
            if form and "anyOf" in prop:  # a form's text: the alternative that is text
                text = next((p for p in prop["anyOf"] if p.get("type") == "string"), {"type": "string"})
                prop = {**{k: v for k, v in prop.items() if k != "anyOf"}, **text}
            result["properties"][name] = prop
        else:
            result["properties"][name] = _extra_as_read(prop, form)
    required += [name for name in requires if name in result["properties"] and name not in required]
    if required:
        result["required"] = required
    return result


def _one_of_required(body, names):
    """``body`` requiring one of ``names`` (each not null nor blank): of those the body has,
    one must be sent; a body with just one of them requires it."""
    present = [n for n in names if n in body["properties"]]
    if any(body["properties"][n].get("format") == "binary" for n in present):
        # A multipart body: which of a file and a field is sent is left to the handler to check
        # (schemathesis cannot draw a file inside anyOf).
        return body
    if len(present) == 1:
        name = present[0]
        prop = body["properties"][name]
        prop = {k: v for k, v in prop.items() if k != "nullable"}
        if "anyOf" in prop and BLANK in prop["anyOf"]:
            rest = [p for p in prop["anyOf"] if p != BLANK]
            prop = {**{k: v for k, v in prop.items() if k != "anyOf"}, **(rest[0] if len(rest) == 1 else {"anyOf": rest})}
        body["properties"][name] = prop
        body["required"] = body.get("required", []) + [name]
    elif present:
        body["anyOf"] = [{"required": [n], "properties": {n: {"not": BLANK}}} for n in present]
    return body


def _request_body(method, schemas, spec, hints=None):
    extra = dict(spec.get("fields", {}))
    if not schemas and not extra:
        return None
    mode = {"POST": "create", "PUT": "replace", "PATCH": "update"}[method]
    requires = []
    if method == "POST":
        requires = spec.get("requires", [])
    elif method == "PUT":
        requires = spec.get("requires_on_put", [])
    has_binary = any(p.get("format") == "binary" for p in extra.values())
    content = {
        JSON: {"schema": _body_schema(schemas, extra, mode, False, False, requires, hints)},
        FORM: {"schema": _body_schema(schemas, extra, mode, True, False, requires, hints)},
        MULTIPART: {"schema": _body_schema(schemas, extra, mode, True, True, requires, hints)},
    }
    if spec.get("requires_any") and method == "POST":
        for media in content.values():
            _one_of_required(media["schema"], spec["requires_any"])
    if has_binary:
        # A file upload travels only in multipart; put that encoding first for tools that pick one.
        content = {MULTIPART: content[MULTIPART], JSON: content[JSON], FORM: content[FORM]}
    required = any(c["schema"].get("required") or c["schema"].get("anyOf") for c in content.values())
    return {"required": required, "content": content}


def _query_parameters(schemas, extra):
    params = []
    for schema_cls in schemas:
        for node in schema_cls().children:
            schema = node_schema(node, "create", form=True)
            schema.pop("nullable", None)  # a query string has no null
            params.append({"name": node.name, "in": "query", "required": False, "schema": schema})
    for name, schema in extra.items():
        params.append({"name": name, "in": "query", "required": False, "schema": schema})
    return params


def _success(method, facts, spec):
    """The success responses of one operation."""
    answer = spec.get("answers", {}).get(method)
    if isinstance(answer, dict) and answer and all(k.isdigit() for k in answer):
        return answer
    if answer is not None:
        return {"200": json_answer(answer)}
    if method == "DELETE" or "no_content" in facts.names:
        return {"204": {"description": "Deleted"}}
    item = next((SERIALIZED[s] for s in facts.serializers if s in SERIALIZED), None)
    if item is None:
        return {"200": json_answer({}, "OK (JSON)")}
    if facts.paginates:
        return {"200": json_answer(ref(f"{item}List"), f"One page of {item.lower()}s")}
    status = "201" if method == "POST" and 201 in facts.consts else "200"
    return {status: json_answer(ref(item), "Created" if status == "201" else "OK")}


def _errors(method, may_miss, has_input, public):
    """The error answers an operation can give, all in the one error shape. Any request may
    be a 400: a body or query the parsers cannot read, an action the object's state refuses
    (``has_input`` is kept for callers)."""
    errors = {"400": {"$ref": "#/components/responses/BadRequest"}}
    if not public:
        errors["401"] = {"$ref": "#/components/responses/Unauthorized"}
        if method != "GET":
            errors["403"] = {"$ref": "#/components/responses/Forbidden"}
    if may_miss:
        errors["404"] = {"$ref": "#/components/responses/NotFound"}
    return errors


def _get_parameters(facts, schemas, spec):
    """Query parameters of a GET: ``page`` for lists, the schema's fields when the handler
    validates the query string, and the service's declared ones."""
    parameters = []
    if facts.paginates:
        parameters.append({"name": "page", "in": "query", "required": False,
                           "schema": {"type": "integer", "minimum": 1, "default": 1}})
    if facts.reads_query or spec.get("query"):
        parameters += _query_parameters(schemas if facts.reads_query else [], spec.get("query", {}))
    return parameters


def _with_formats(spec, format_names):
    """The converter formats of this instance become the enum of ``format``."""
    if "format" not in spec.get("fields", {}) or not format_names:
        return spec
    fields = copy.deepcopy(spec["fields"])
    fields["format"]["enum"] = sorted(format_names)
    return {**spec, "fields": fields}


def _operation(service, method, view, args, path, format_names, hints=None):
    """The OpenAPI operation of one (service, method)."""
    spec = SERVICES.get(service.name, {})
    facts = ViewFacts(view)
    schemas = [s for s in facts.schemas if s.__name__ not in spec.get("not_body", ())]
    explicit = args.get("schema")  # Cornice's own colander validation, should a service use it
    if isinstance(explicit, type) and issubclass(explicit, colander.Schema):
        schemas = [explicit]
    success = _success(method, facts, spec)
    verb = "List" if facts.paginates else "Create" if "201" in success else VERBS[method]
    description = str(service.description or "")
    operation = {"operationId": view.__name__, "tags": [path.strip("/").split("/")[0] or "root"],
                 "summary": f"{verb} · {description}" if description else view.__name__.replace("_", " ")}
    docline = (inspect.getdoc(inspect.unwrap(view)) or "").split("\n\n")[0].replace("\n", " ").strip()
    if docline:
        operation["description"] = docline
    parameters = _path_parameters(path)
    body = None
    if method == "GET":
        parameters += _get_parameters(facts, schemas, spec)
    elif method != "DELETE":
        body = _request_body(method, schemas, _with_formats(spec, format_names), hints)
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = body
    has_input = body is not None or method in ("POST", "PUT", "PATCH") or \
        any(p["in"] == "query" and p["name"] != "page" for p in parameters)
    public = args.get("permission") is NO_PERMISSION_REQUIRED
    may_miss = "{" in path or has_input or facts.paginates
    operation["responses"] = {**success, **_errors(method, may_miss, has_input, public)}
    if public:
        operation["security"] = []
    return operation


def app_services(registry):
    """The Cornice services of this app, in definition order: ``cornice.service.get_services()``
    limited to the paths this app added (tests and plugins may define services elsewhere)."""
    from cornice.service import get_services
    added = getattr(registry, "cornice_services", {}) or {}
    ours = [s for s in get_services() if added.get(s.path) is s]
    known = {id(s) for s in ours}
    return ours + [s for s in added.values() if id(s) not in known]


def _components():
    schemas = copy.deepcopy(COMPONENTS)
    for item in LISTED:
        schemas[f"{item}List"] = {
            "type": "object", "required": ["count", "next", "previous", "results"],
            "properties": {"count": {"type": "integer", "minimum": 0},
                           "next": {**URI, "nullable": True}, "previous": {**URI, "nullable": True},
                           "results": {"type": "array", "items": ref(item)}}}
    error = {"content": {JSON: {"schema": ref("Error")}}}
    return {
        "schemas": schemas,
        "responses": {
            "BadRequest": {"description": "Invalid input: ``detail`` and a list of messages per bad field",
                           **error},
            "Unauthorized": {"description": "No or bad credentials",
                             "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}, **error},
            "Forbidden": {"description": "Not allowed (or a session request without its CSRF token)", **error},
            "NotFound": {"description": "No such object (or one of another user)", **error},
        },
        "securitySchemes": {
            "basicAuth": {"type": "http", "scheme": "basic"},
            "tokenAuth": {"type": "apiKey", "in": "header", "name": "Authorization",
                          "description": "The header value is `Token <key>` (see POST /tokens/)."},
            "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid",
                           "description": "The session of the login page (/api-auth/login/); unsafe "
                                          "methods also need the X-CSRF-Token header."},
        },
    }


def _root_path():
    return {"get": {
        "operationId": "root_view", "tags": ["root"], "summary": "The API root",
        "description": "Links to the lists of the API. A browser (Accept: text/html) gets the "
                       "built-in demo instead.",
        "security": [],
        "responses": {"200": json_answer({"type": "object", "additionalProperties": URI})},
    }}


def _tokens_path():
    body = {"type": "object", "required": ["username", "password"],
            "properties": {"username": {"type": "string", "minLength": 1},
                           "password": {"type": "string", "format": "password", "minLength": 1}}}
    return {"post": {
        "operationId": "tokens_create", "tags": ["tokens"], "summary": "The token of a user",
        "description": "Exchange a username and password for the user's API token.",
        "security": [],
        "requestBody": {"required": True, "content": {JSON: {"schema": body}, FORM: {"schema": body},
                                                      MULTIPART: {"schema": body}}},
        "responses": {"200": json_answer(ref("Token")),
                      "400": {"$ref": "#/components/responses/BadRequest"}},
    }}


def build_document(registry):
    """The OpenAPI document (a dict) of the app whose registry is ``registry``, without
    ``servers``. Every Cornice service appears; HEAD (Cornice's twin of GET) is left out."""
    try:
        from .services import get_services as app_backends
        services = app_backends(registry)
        format_names = list(services.format_converters)
        hints = instance_hints(services)
    except Exception:  # the document must not depend on a plugin's health
        format_names, hints = [], SCHEMA_HINTS
    paths = {"/": _root_path(), "/tokens/": _tokens_path()}
    for service in app_services(registry):
        path = _openapi_path(service.path)
        item = paths.setdefault(path, {})
        for method, view, args in service.definitions:
            if method not in METHODS or method.lower() in item:
                continue
            item[method.lower()] = _operation(service, method, view, args, path, format_names, hints)
    _unique_operation_ids(paths)
    _add_links(paths)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "OpenShot Cloud API",
            "version": _version(),
            "description": "Projects, files, clips, effects and exports of video editing, as the "
                           "OpenShot Cloud API defines them. Lists are paginated with `?page=N`. "
                           "Bodies may be JSON, form fields or multipart (needed for uploads).",
            "license": {"name": "AGPL-3.0-or-later"},
        },
        "paths": dict(sorted(paths.items())),
        "components": _components(),
        "security": [{"basicAuth": []}, {"tokenAuth": []}, {"cookieAuth": []}],
        "tags": _tags(paths),
    }


def _tags(paths):
    """One tag per first path segment, described by its collection's service (``/clips/``)."""
    described = {}
    for path, item in paths.items():
        for operation in item.values():
            tag = operation["tags"][0]
            if path == f"/{tag}/" and "·" in operation["summary"]:
                described[tag] = operation["summary"].split("·", 1)[1].strip()
            described.setdefault(tag, "")
    return [{"name": tag, **({"description": text} if text else {})} for tag, text in sorted(described.items())]


def _add_links(paths):
    """Links from each operation that creates an object (201) to the operations on it: a
    client (or a stateful test) follows the new object's ``id`` into its own paths."""
    for path, item in paths.items():
        for operation in item.values():
            created = operation["responses"].get("201", {}).get("content", {}).get(JSON, {}).get("schema", {})
            kind = {"Project": "projects", "File": "files", "Clip": "clips", "Effect": "effects",
                    "Export": "exports"}.get(created.get("$ref", "").rsplit("/", 1)[-1])
            if kind is None:
                continue
            links = {}
            for target, target_item in paths.items():
                if target.startswith(f"/{kind}/{{id}}/"):
                    for target_operation in target_item.values():
                        name = target_operation["operationId"]
                        links[name] = {"operationId": name, "parameters": {"id": "$response.body#/id"},
                                       "description": f"{target_operation['summary']} of the new object"}
            operation["responses"]["201"]["links"] = links


def _unique_operation_ids(paths):
    seen = {}
    for item in paths.values():
        for method, operation in item.items():
            seen.setdefault(operation["operationId"], []).append((method, operation))
    for name, uses in seen.items():
        if len(uses) > 1:
            for method, operation in uses:
                operation["operationId"] = f"{name}_{method}"


def _version():
    try:
        from importlib.metadata import version
        return version("openshot-api")
    except Exception:
        return "0"


def document_for(request):
    """The document with ``servers`` pointing at the URL this request came to (proxy prefix
    included), built once per app."""
    registry = request.registry
    cached = registry.get("openapi.document")
    if cached is None:
        cached = build_document(registry)
        registry["openapi.document"] = cached
    document = dict(cached)
    document["servers"] = [{"url": request.application_url or "/"}]
    return document


# --- views --------------------------------------------------------------------------------------

def openapi_json(request):
    """GET /openapi.json: the document as JSON (what Swagger UI, Redoc and the demo read)."""
    body = json.dumps(document_for(request), indent=1, sort_keys=False)
    return Response(body, content_type=JSON, charset="utf-8")


def openapi_yaml(request):
    """GET /openapi.yaml: the same document as YAML, written out in full (no anchors)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data):
            return True
    body = yaml.dump(document_for(request), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
    return Response(body, content_type=YAML_TYPE, charset="utf-8")


# Swagger UI's and Redoc's builds, copied unmodified from their npm packages (versions, licences
# and checksums in static/vendor/README.md). The URLs the pages use predate the copies and stay.
VENDOR_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static", "vendor")
SWAGGER_UI_DIR = os.path.join(VENDOR_DIR, "swagger-ui")
SWAGGER_UI_URL = f"{ASSETS_URL}/swagger-ui-dist"
REDOC_BUNDLE = "redoc/bundles/redoc.standalone.js"
REDOC_FILE = os.path.join(VENDOR_DIR, "redoc", "redoc.standalone.js")

# Redoc draws its maker's logo from a CDN in the menu footer; the copy served here points it at
# an empty image instead (Redoc hides a logo that fails to load). The file itself is untouched.
REDOC_REMOTE_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_redoc_cache = {}


def redoc_bundle(request):
    """Redoc's bundle without its one reference to another host."""
    if "body" not in _redoc_cache:
        with open(REDOC_FILE, "rb") as src:
            _redoc_cache["body"] = src.read().replace(REDOC_REMOTE_LOGO, b"data:,")
    response = Response(body=_redoc_cache["body"], content_type="text/javascript", charset="utf-8")
    response.cache_control.max_age = 86400
    response.md5_etag()
    response.conditional_response = True
    return response


def docs_page(request):
    """Swagger UI or Redoc, by route; the CSRF token lets Swagger's "Try it out" use the session."""
    request.response.headers["Content-Security-Policy"] = LOCAL_ONLY_CSP
    return {"spec_url": request.route_url("openapi_json"),
            "assets": f"{request.application_url}/{ASSETS_URL}/",
            "csrf_token": get_csrf_token(request),
            "username": getattr(request.identity, "username", None)}


def includeme(config):
    """Routes: /openapi.json, /openapi.yaml, /swagger-ui/, /redoc/ and the docs' assets."""
    config.add_route("openapi_json", "/openapi.json")
    config.add_route("openapi_yaml", "/openapi.yaml")
    config.add_route("swagger_ui", "/swagger-ui/")
    config.add_route("redoc", "/redoc/")
    public = NO_PERMISSION_REQUIRED
    config.add_view(openapi_json, route_name="openapi_json", request_method=("GET", "HEAD"), permission=public)
    config.add_view(openapi_yaml, route_name="openapi_yaml", request_method=("GET", "HEAD"), permission=public)
    config.add_view(docs_page, route_name="swagger_ui", renderer="templates/demo_swagger.jinja2",
                    request_method=("GET", "HEAD"), permission=public)
    config.add_view(docs_page, route_name="redoc", renderer="templates/demo_redoc.jinja2",
                    request_method=("GET", "HEAD"), permission=public)
    config.add_route("redoc_bundle", f"/{ASSETS_URL}/{REDOC_BUNDLE}")
    config.add_view(redoc_bundle, route_name="redoc_bundle", request_method=("GET", "HEAD"), permission=public)
    config.add_static_view(SWAGGER_UI_URL, SWAGGER_UI_DIR + "/", permission=public, cache_max_age=86400)
