"""The browsable face of the API: what a browser sees.

* ``/`` with ``Accept: text/html`` (a browser's page load) lists the endpoints, grouped, with a
  login link or the user's name and a logout link. API clients (no ``text/html`` in Accept, or
  ``*/*``) keep getting the JSON root of ``views.py``: the HTML view only adds a predicate.
* ``/demo/<api path>`` shows what ``GET <api path>`` answers with clickable links, the export
  list with status and progress (refreshing itself while a render runs), and forms that POST,
  PATCH and DELETE through the JSON API with ``fetch()``, the session cookie and the page's CSRF
  token (``X-CSRF-Token``). The forms are built from /openapi.json, so every endpoint has one.
* Above the JSON, static/demo/demo_views.js and demo_curves.js draw what it describes: a
  project's timeline, a scrubber showing its frames (the thumbnail endpoint), a render form with
  presets, exports with live progress and their output inline, drag-and-drop uploads, files'
  thumbnails and players, and clips' keyframe curves with the preset and keyframe forms. They use
  the same API calls and CSRF rule, and need nothing more from the page's Content-Security-Policy:
  media plays from the same-origin ``download/`` endpoints (``default-src 'self'``), frames fetched
  by script are shown as ``blob:`` images, which ``img-src`` already allows.
"""
import re

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPNotFound
from pyramid.security import NO_PERMISSION_REQUIRED

from .auth import wants_html
from .openapi import LOCAL_ONLY_CSP, document_for

# Path segments the demo passes on to the API (ids, names, ``text-replace``...).
_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]+$")
GROUP_ORDER = ("projects", "files", "clips", "effects", "exports", "info", "tokens")


class BrowserPredicate:
    """View predicate ``browser=True``: a GET whose Accept header names ``text/html`` itself.

    Pyramid's ``accept`` predicate would also match ``*/*`` (curl, requests), which must stay
    JSON."""

    def __init__(self, value, config):
        self.value = bool(value)

    def text(self):
        return f"browser = {self.value}"

    phash = text

    def __call__(self, context, request):
        return wants_html(request) == self.value


def endpoint_groups(request):
    """The documented operations grouped by first path segment, for the root page: a list of
    ``(group, [{"path", "methods", "summary", "demo_url"}])``."""
    document = document_for(request)
    groups = {}
    for path, item in document["paths"].items():
        if path == "/":
            continue
        methods = [m.upper() for m in ("get", "post", "put", "patch", "delete") if m in item]
        first = next(iter(item.values()))
        demo_url = None
        if "get" in item and "{" not in path and item["get"].get("security") != []:
            demo_url = request.route_url("demo", subpath=path.strip("/").split("/")) + "/"
        summary = first.get("summary", "").split(" · ", 1)[-1]  # the service, not one method's verb
        groups.setdefault(first["tags"][0], []).append(
            {"path": path, "methods": methods, "summary": summary, "demo_url": demo_url})
    order = {name: index for index, name in enumerate(GROUP_ORDER)}
    return sorted(groups.items(), key=lambda g: (order.get(g[0], len(order)), g[0]))


def _page_context(request):
    request.response.headers["Content-Security-Policy"] = LOCAL_ONLY_CSP
    user = request.identity
    return {"username": getattr(user, "username", None), "csrf_token": get_csrf_token(request)}


def root_page(request):
    """The API root for a browser."""
    return {**_page_context(request), "groups": endpoint_groups(request)}


def demo_page(request):
    """One API path, browsable: the page fetches it and /openapi.json and draws both."""
    segments = request.matchdict["subpath"]
    if any(not _SEGMENT.match(s) or s in (".", "..") for s in segments):
        raise HTTPNotFound()
    api_path = "/" + "/".join(segments) + ("/" if segments else "")
    if request.query_string:
        api_path += "?" + request.query_string
    return {**_page_context(request), "api_path": api_path,
            "spec_url": request.route_url("openapi_json"),
            "demo_base": request.route_url("demo", subpath=()).rstrip("/")}


def includeme(config):
    """Routes: the HTML root (a view on ``root`` with ``browser=True``), /demo/*, and the demo's
    script and style under /static/demo/."""
    config.add_view_predicate("browser", BrowserPredicate)
    config.add_view(root_page, route_name="root", browser=True, request_method="GET",
                    renderer="templates/demo_root.jinja2", permission=NO_PERMISSION_REQUIRED)
    config.add_route("demo", "/demo/*subpath")
    config.add_view(demo_page, route_name="demo", request_method="GET",
                    renderer="templates/demo_page.jinja2", permission="api")
    config.add_static_view("static/demo", "openshot_api:static/demo/", permission=NO_PERMISSION_REQUIRED)
