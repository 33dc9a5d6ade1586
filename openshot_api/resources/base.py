"""What every resource shares: body parsing (JSON, form, multipart), colander validation into the
API's error shape, hyperlinks, ownership-checked lookups and pagination."""
import datetime
import json
import re
from array import array
from email.message import Message
from itertools import accumulate
from urllib.parse import urlencode

import colander
from pyramid.threadlocal import get_current_registry
from sqlalchemy import func, select

from ..errors import APIError, bad_request, invalid_fields, not_found
from ..models import Project
from ..settings import get_int

REQUIRED = "This field is required."
# The latest time (seconds) a position, start, end or keyframe may name. libopenshot counts
# frames in doubles and 64-bit integers: at the highest project rate (240 fps) every frame number
# up to here is exact in both. Past it a time cannot be rendered (1e308 s overflows to infinity),
# so it is a 400 when written; anything below renders, however long the timeline.
MAX_SECONDS = 2 ** 53 // 240
SECONDS = colander.Range(0, MAX_SECONDS)
LAYERS = colander.Range(0, 1000000)


def body_of(request):
    """The request body as a dict, whatever its encoding. File uploads stay FieldStorage objects."""
    cached = getattr(request, "_parsed_body", None)
    if cached is not None:
        return cached
    content_type = (request.content_type or "").lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        raw = _read_capped(request)
        if not raw.strip():
            body = {}
        else:
            try:
                body = parse_json(raw, request.registry.settings)
            except JSONValueError as exc:
                if not exc.path:
                    raise APIError(400, f"JSON parse error - {exc}")
                raise bad_request(str(exc.path[0]), exc.message if len(exc.path) == 1 else str(exc))
            except (ValueError, UnicodeDecodeError) as exc:
                raise APIError(400, f"JSON parse error - {exc}")
        if not isinstance(body, dict):
            raise APIError(400, "Invalid data. Expected a dictionary, but got %s." % type(body).__name__)
        body = JSONBody(body)
    else:
        if content_type == "application/x-www-form-urlencoded":
            _read_capped(request)  # parsed in memory like JSON, so held to the same limit
        body = {}
        form = _form_of(request, content_type)
        for key in form.keys():
            if not isinstance(key, str) or not key:
                continue
            values = form.getall(key)
            body[key] = values[-1] if values else None
    request._parsed_body = body
    return body


# What the multipart parser (cgi) takes for a boundary: 1-70 printable ASCII characters in
# RFC 2046, up to 201 there; anything else makes it raise.
_BOUNDARY = re.compile(r"^[ -~]{0,200}[!-~]$")


def _form_of(request, content_type):
    """The form fields of a form or multipart body. What the parser cannot read is the client's
    mistake, a 400 naming the header or the body: a charset other than UTF-8 (WebOb refuses
    those by raising), a multipart type without a usable boundary, a malformed part. Fields
    without a name are no fields (``body_of`` skips them, as Django's parsers do)."""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded", "") \
            and request.charset != "UTF-8":
        raise bad_request("Content-Type", f"Form bodies must be UTF-8, not {request.charset!r}.")
    if content_type == "multipart/form-data":
        header = Message()
        header["Content-Type"] = request.headers.get("Content-Type", "")
        boundary = header.get_param("boundary")
        if not isinstance(boundary, str) or not _BOUNDARY.match(boundary):
            raise bad_request("Content-Type", "multipart/form-data needs a boundary parameter of 1 to 70 "
                                              "printable ASCII characters (not ending in a space).")
    try:
        form = request.POST
    except ValueError as exc:  # the parser's word for a malformed body (a nested part's boundary ...)
        raise bad_request("Content-Type", f"The {content_type or 'form'} body cannot be read: {exc}")
    return form


def _read_capped(request):
    """The body, read into memory only up to ``openshot_api.max_json_bytes``: past it, a 413
    from the Content-Length before reading anything or, for a body sent without one (chunked),
    as soon as one byte more has been read."""
    limit = get_int(request.registry.settings, "openshot_api.max_json_bytes")
    too_large = APIError(413, f"Request body larger than the {limit} bytes allowed.")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    if not request.is_body_readable:
        return b""
    stream, parts, size = request.body_file, [], 0
    while size <= limit:
        chunk = stream.read(min(1 << 16, limit + 1 - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    if size > limit:
        raise too_large
    request.body = raw = b"".join(parts)  # kept seekable for whatever reads the body next
    return raw


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = str.maketrans("[{]}", "\x01\x01\xff\xff")  # +1 and -1, as signed bytes


def json_depth(text):
    """How deep arrays and objects nest in JSON ``text``, found without parsing it (the parser
    recurses, so a deep enough document would exhaust the stack): the brackets outside strings
    as +1/-1 steps, and the highest running sum."""
    steps = _NOT_BRACKET.sub("", _STRING.sub("", text)).translate(_STEP).encode("latin-1")
    return max(accumulate(array("b", steps)), default=0)


def parse_json(text, settings=None):
    """``json.loads`` for JSON from a client: a ValueError past ``openshot_api.max_json_bytes``
    or ``openshot_api.max_json_depth`` (``settings`` default to the current app's)."""
    if settings is None:
        settings = get_current_registry().settings or {}
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode(json.detect_encoding(text))  # strict: no encoded lone surrogates
    size, depth = get_int(settings, "openshot_api.max_json_bytes"), get_int(settings, "openshot_api.max_json_depth")
    if len(text) > size:
        raise ValueError(f"longer than the {size} bytes allowed")
    if json_depth(text) > depth:
        raise ValueError(f"arrays and objects nested deeper than the {depth} levels allowed")
    value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_float_sized_int)
    if _MAY_HOLD_SURROGATE.search(text):
        _check_strings(value)
    return value


class JSONValueError(ValueError):
    """A value inside parsed JSON that the API cannot keep; ``path`` names where it sits
    (``["name"]``, ``["json", "clips", 0, "title"]``)."""

    def __init__(self, path, message):
        self.path, self.message = path, message
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        super().__init__(f"{where}: {message}" if where else message)


def _no_constant(name):
    # NaN and Infinity are not JSON; Python's parser takes them, no database or renderer does.
    raise ValueError(f"{name} is not a JSON number")


def _float_sized_int(text):
    # An integer past the largest double is no number anything downstream can compute with.
    value = int(text)
    if len(text) > 308 and abs(value) > 2 ** 1023:
        raise ValueError(f"{text[:40]}... is too large a number")
    return value


def _finite_float(text):
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:40]} is too large a number")
    return value


# An escaped or raw UTF-16 surrogate: json.loads turns "\ud800" into a str no encoder can write.
_MAY_HOLD_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _check_strings(value):
    """JSONValueError at the first string (or key) holding a lone surrogate, which is not
    Unicode text: a pair in the JSON became one character, so any that remains is lone."""
    stack = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                raise JSONValueError(path, "a lone UTF-16 surrogate (\\ud800-\\udfff) is not valid Unicode")
        elif isinstance(node, dict):
            for key, item in node.items():
                if _SURROGATE.search(key):
                    raise JSONValueError(path, "a lone UTF-16 surrogate in a key is not valid Unicode")
                stack.append((item, path + [key]))
        elif isinstance(node, list):
            stack.extend((item, path + [index]) for index, item in enumerate(node))


class JSONBody(dict):
    """A body parsed from JSON, whose values carry their JSON types: ``validate`` holds them to
    the field's type (a form's values are all text, which fields parse)."""


def params_of(request):
    """What an endpoint answering both GET and POST was asked: the query string or the body."""
    return body_of(request) if request.method == "POST" else dict(request.GET)


class JSONObject(colander.SchemaType):
    """The ``json`` field: an object, or a string holding one (escaped JSON, as the spec sends)."""

    def serialize(self, node, appstruct):
        return appstruct

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct is None or cstruct == "":
            return colander.null
        if isinstance(cstruct, (bytes, bytearray)):
            cstruct = cstruct.decode("utf-8", "replace")
        if isinstance(cstruct, str):
            try:
                cstruct = parse_json(cstruct)
            except ValueError as exc:
                raise colander.Invalid(node, f"Value must be valid JSON ({exc}).")
        if not isinstance(cstruct, dict):
            raise colander.Invalid(node, "Value must be a JSON object.")
        return cstruct


class JSONValue(colander.SchemaType):
    """Any JSON value, given as JSON or as a string holding JSON (merge instructions are a list)."""

    def serialize(self, node, appstruct):
        return appstruct

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct is None or cstruct == "":
            return colander.null
        if isinstance(cstruct, str):
            try:
                return parse_json(cstruct)
            except ValueError as exc:
                raise colander.Invalid(node, f"Value must be valid JSON ({exc}).")
        return cstruct


class Scalar(colander.SchemaType):
    """A value kept as the client sent it (string, number or a small object), for fields with
    their own parser such as bitrates."""

    def serialize(self, node, appstruct):
        return appstruct

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct is None or cstruct == "":
            return colander.null
        if isinstance(cstruct, (list, bytes)):
            raise colander.Invalid(node, "Expected a number or a string.")
        return cstruct


class Flag(colander.Boolean):
    """Booleans from JSON or forms ("true", "on", "1", ...)."""

    def __init__(self):
        super().__init__(false_choices=("false", "0", "off", "no", ""), true_choices=("true", "1", "on", "yes"))

    def deserialize(self, node, cstruct):
        if isinstance(cstruct, bool):
            return cstruct
        if isinstance(cstruct, str):
            cstruct = cstruct.strip().lower()
        return super().deserialize(node, cstruct)


class Number(colander.Float):
    """A float that refuses NaN and infinity and bools."""

    def deserialize(self, node, cstruct):
        if isinstance(cstruct, bool):
            raise colander.Invalid(node, "A valid number is required.")
        value = super().deserialize(node, cstruct)
        if value is not colander.null and (value != value or value in (float("inf"), float("-inf"))):
            raise colander.Invalid(node, "A valid number is required.")
        return value


class Integer(colander.Int):
    """An int that refuses floats with a fraction, bools and garbage with one clear message."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct is None or cstruct == "":
            return colander.null
        if isinstance(cstruct, bool):
            raise colander.Invalid(node, "A valid integer is required.")
        if isinstance(cstruct, float):
            if not cstruct.is_integer():
                raise colander.Invalid(node, "A valid integer is required.")
            return int(cstruct)
        try:
            text = str(cstruct).strip()
            value = float(text) if re.fullmatch(r"-?\d+\.0*", text) else int(text)
            return int(value)
        except (TypeError, ValueError):
            raise colander.Invalid(node, "A valid integer is required.")


def _message(msg):
    text = str(msg)
    return REQUIRED if text == "Required" else text


def validate(schema, body, mode):
    """Deserialize ``body`` with ``schema``.

    ``mode`` is ``"create"`` (defaults applied, required fields enforced), ``"replace"`` (PUT:
    required fields enforced, omitted optional fields left alone) or ``"update"`` (PATCH: only
    the given fields). Unknown fields are ignored. Raises a 400 naming every bad field.
    """
    schema = schema.clone()
    data, errors = {}, {}
    for node in schema.children:
        if node.name in body:
            value = body[node.name]
            problem = _json_kind_problem(node, value) if isinstance(body, JSONBody) else None
            if problem:
                errors[node.name] = [problem]
                continue
            if isinstance(node.typ, colander.String) and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                value = str(value)  # a number for a text field is its text (not 0 read as "no value")
            data[node.name] = colander.null if value is None else value
    for node in schema.children:
        if mode == "update" or (mode == "replace" and node.missing is not colander.required):
            node.missing = colander.drop
    try:
        result = schema.deserialize(data)
    except colander.Invalid as exc:
        for path, msg in exc.asdict().items():
            errors.setdefault(path.split(".")[0], []).append(_message(msg))
    if errors:
        raise invalid_fields(errors)
    return result


def _json_kind_problem(node, value):
    """Why a JSON value cannot stand for ``node`` as the hosted API (Django REST framework)
    reads JSON, or None: null only for fields that may be null (a required one is reported as
    missing), text fields take strings and numbers (as their text) but no booleans, objects,
    lists or blank unless they allow it, numbers take numbers or numeric text (the spec's own
    examples send ``"value": "1.0"``) but no blank, objects or lists, and booleans take
    true/false, 1/0 or their words."""
    typ = node.typ
    if value is None:
        return None if node.missing in (None, colander.required) else "This field may not be null."
    if isinstance(typ, colander.String):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return "Not a valid string."
        return "This field may not be blank." if value == "" and not typ.allow_empty else None
    if isinstance(typ, colander.Number):
        if isinstance(value, (dict, list)) or value == "":
            return "A valid integer is required." if isinstance(typ, colander.Int) else "A valid number is required."
        return None
    if isinstance(typ, colander.Boolean) and isinstance(value, (dict, list)):
        return "Must be a valid boolean."
    return None


# ASCII digits only: int() reads other scripts' digits too, so "/projects/\u0663/" would name 3.
_LINK = re.compile(r"(?:https?://[^/]+)?/*(?P<kind>projects|files|clips|effects|exports)/(?P<id>[0-9]+)/?")


def parse_reference(value, kind, field):
    """An integer id or a hyperlink to ``/<kind>/<id>/`` -> the id. Malformed -> 400."""
    if isinstance(value, bool):
        raise bad_request(field, "Incorrect type. Expected URL string or id.")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        return int(text)
    match = _LINK.fullmatch(text.split("?")[0])
    if not match or match.group("kind") != kind:
        raise bad_request(field, f"Invalid hyperlink - No URL match ({text!r} is not a /{kind}/<id>/ URL or id).")
    return int(match.group("id"))


def owned_query(model, user):
    """A select of ``model`` limited to what ``user`` owns."""
    query = select(model)
    if model is Project:
        return query.where(Project.user_id == user.id)
    return query.join(Project, model.project_id == Project.id).where(Project.user_id == user.id)


MAX_ID = 2 ** 63 - 1  # the database's integers; larger numbers name no row


def row_id(value):
    """``value`` as a row id (ASCII digits, 1..MAX_ID), or None when it cannot name a row."""
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


def get_owned(request, model, object_id):
    """The user's object with this id, or a 404: another user's object looks like no object."""
    object_id = row_id(object_id)
    if object_id is None:
        raise not_found()
    obj = request.dbsession.scalar(owned_query(model, request.identity).where(model.id == object_id))
    if obj is None:
        raise not_found()
    return obj


def resolve_reference(request, value, model, field):
    """The object a body field points at (URL or id), checked for ownership.

    A reference to a missing or foreign object is a 404, so that nobody can probe for other
    users' ids; the body names the field."""
    kind = model.__tablename__
    object_id = row_id(parse_reference(value, kind, field))
    obj = None if object_id is None else request.dbsession.scalar(
        owned_query(model, request.identity).where(model.id == object_id))
    if obj is None:
        raise APIError(404, f"{field}: Invalid hyperlink - Object does not exist.",
                       {field: ["Invalid hyperlink - Object does not exist."]})
    return obj


def paginate(request, query, serialize):
    """The ``{"count", "next", "previous", "results"}`` page asked by ``?page=N``, ordered by id."""
    page_size = get_int(request.registry.settings, "openshot_api.page_size")
    raw_page = request.GET.get("page", "1")
    try:
        page = int(raw_page)
        if page < 1:
            raise ValueError
    except ValueError:
        raise not_found("Invalid page.")
    session = request.dbsession
    count = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if page > 1 and (page - 1) * page_size >= count:
        raise not_found("Invalid page.")
    rows = session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()

    def page_url(number):
        params = [(k, v) for k, v in request.GET.items() if k != "page"]
        if number > 1:
            params.append(("page", str(number)))
        url = request.path_url
        return url + ("?" + urlencode(params) if params else "")

    return {
        "count": count,
        "next": page_url(page + 1) if page * page_size < count else None,
        "previous": page_url(page - 1) if page > 1 else None,
        "results": [serialize(request, row) for row in rows],
    }


def iso(dt):
    """Timestamps as the spec shows them: ``2017-11-07T04:14:46.896016Z``."""
    if dt is None:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return dt.isoformat(timespec="microseconds") + "Z"


def set_json(obj, value):
    """Assign a new dict so SQLAlchemy notices the change of a JSON column."""
    obj.json = json.loads(json.dumps(value))


def no_content(request):
    """The empty 204 answer of a DELETE."""
    response = request.response
    response.status = 204
    response.content_type = None
    response.body = b""
    return response


class ProjectResource:
    """The routes every resource owned through a project shares: ``/<plural>/``,
    ``/<plural>/{id}/`` and ``/projects/{id}/<plural>/``. Lists, reads and deletes are the same
    for all of them; creating and updating are the resource's own functions:

    - ``create(request, project, body)`` answers the new object (``project`` comes from the body's
      ``project`` field or from the nested URL);
    - ``update(request, mode)`` with ``mode`` ``"replace"`` (PUT) or ``"update"`` (PATCH);
    - ``stored(obj)`` lists the storage keys to delete with the object.
    """

    def __init__(self, name, plural, model, serialize, create, update, stored=None, description=""):
        from cornice import Service
        self.model, self.serialize = model, serialize
        self.collection = Service(name=plural, path=f"/{plural}/", description=description)
        self.item = Service(name=name, path=f"/{plural}/{{id}}/", description=f"One of {plural}")
        self.nested = Service(name=f"project_{plural}", path=f"/projects/{{id}}/{plural}/",
                              description=f"The {plural} of one project")

        def list_all(request):
            """Every object of this kind the user owns, a page at a time."""
            return paginate(request, owned_query(model, request.identity).order_by(model.id), serialize)

        def create_from_body(request):
            """Create one; the body names its ``project`` by URL or id."""
            body = body_of(request)
            if body.get("project") in (None, ""):
                raise invalid_fields({"project": [REQUIRED]})
            return create(request, resolve_reference(request, body["project"], Project, "project"), body)

        def list_of_project(request):
            """The objects of this kind in one project, a page at a time."""
            project = get_owned(request, Project, request.matchdict["id"])
            query = owned_query(model, request.identity).where(model.project_id == project.id)
            return paginate(request, query.order_by(model.id), serialize)

        def create_in_project(request):
            """Create one in the project of the URL."""
            return create(request, get_owned(request, Project, request.matchdict["id"]), body_of(request))

        def read(request):
            """One object."""
            return serialize(request, get_owned(request, model, request.matchdict["id"]))

        def replace(request):
            """Replace the object's fields (required fields must be sent)."""
            return update(request, "replace")

        def modify(request):
            """Change only the fields sent."""
            return update(request, "update")

        def delete(request):
            """Delete the object (and what it keeps in storage)."""
            obj = get_owned(request, model, request.matchdict["id"])
            if stored is not None:
                from .projects import delete_stored
                delete_stored(request, [key for key in stored(obj) if key])
            request.dbsession.delete(obj)
            return no_content(request)

        # Named per resource: the OpenAPI document uses handler names as operation ids.
        for handler, handler_name in ((list_all, f"{plural}_list"), (create_from_body, f"{name}_create"),
                                      (list_of_project, f"project_{plural}_list"),
                                      (create_in_project, f"project_{name}_create"), (read, f"{name}_get"),
                                      (replace, f"{name}_replace"), (modify, f"{name}_update"),
                                      (delete, f"{name}_delete")):
            handler.__name__ = handler.__qualname__ = handler_name
        self.collection.add_view("GET", list_all)
        self.collection.add_view("POST", create_from_body)
        self.nested.add_view("GET", list_of_project)
        self.nested.add_view("POST", create_in_project)
        self.item.add_view("GET", read)
        self.item.add_view("PUT", replace)
        self.item.add_view("PATCH", modify)
        self.item.add_view("DELETE", delete)

    def includeme(self, config):
        for service in (self.collection, self.item, self.nested):
            config.add_cornice_service(service)


def refuse_get_from_browsers(request):
    """Action endpoints (retry, cancel, reset) also answer GET, as clients of the original API
    call them that way; a browser session must still POST, so a link on another site cannot
    trigger them with the user's cookie."""
    if request.method == "GET" and getattr(request, "auth_method", None) == "session":
        raise APIError(405, 'Method "GET" not allowed for a browser session; use POST.',
                       headers={"Allow": "POST"})


def may_read_key(request, key):
    """Whether the user may use stored media ``key``: media in a project's folder belongs to that
    project's owner; media the operator put elsewhere in the media folder is shared."""
    from ..media import project_of_key
    project_id = project_of_key(key)
    if project_id is None:
        return True
    query = owned_query(Project, request.identity).where(Project.id == project_id)
    return request.dbsession.scalar(query) is not None


def keep_project(request, body, obj, what):
    """An update may name the object's project but never another one: clips, effects and
    exports do not move between projects."""
    if body.get("project") not in (None, ""):
        project = resolve_reference(request, body["project"], Project, "project")
        if project.id != obj.project_id:
            raise bad_request("project", f"{what} cannot move to another project.")


def update_fields(obj, data):
    """Set validated ``data`` on ``obj``; its ``json`` is merged into the object's json, which
    also holds the defaults libopenshot gave it."""
    user_json = data.pop("json", None)
    for key, value in data.items():
        setattr(obj, key, value)
    if user_json is not None:
        set_json(obj, {**(obj.json or {}), **user_json})


def created(request, obj, serialize):
    """The 201 answer for a new object, added to the session first if it is not there yet."""
    if obj not in request.dbsession:
        request.dbsession.add(obj)
    request.dbsession.flush()
    request.response.status = 201
    return serialize(request, obj)
