"""The schema documentation and the built-in demo, through the WSGI app: the OpenAPI document
covers every route Cornice serves and validates; Swagger UI and Redoc load only this app's
assets; browsers get HTML at the root and under /demo/ while API clients keep their JSON."""
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import colander
import pytest
import webtest
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec

from openshot_api import openapi
from openshot_api.resources.projects import ProjectSchema
from tests.factories import create_project

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def document(anon):
    return anon.get("/openapi.json").json


def response_validator(document, schema):
    """A validator of one schema of ``document`` that resolves its ``#/components`` refs."""
    return OAS30Validator({**schema, "components": document["components"]})


# --- the document -------------------------------------------------------------------------------

def test_every_route_cornice_serves_is_in_the_document_with_each_of_its_methods(document, registry):
    services = registry.cornice_services
    assert len(services) >= 40
    missing = []
    for service in services.values():
        path = re.sub(r"\{(\w+)(?::[^}]*)?\}", r"{\1}", service.path)
        for method in service.defined_methods:
            if method != "HEAD" and method.lower() not in document["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []


def test_the_document_is_a_valid_openapi_3_document(document):
    assert document["openapi"].startswith("3.")
    validate_spec(document)


def test_the_yaml_and_json_documents_are_public_and_the_same(anon, document):
    response = anon.get("/openapi.yaml")
    assert response.content_type in ("application/vnd.oai.openapi", "application/yaml")
    assert yaml.safe_load(response.text) == document
    assert "*id0" not in response.text  # written out in full, no YAML aliases
    assert anon.get("/openapi.json").content_type == "application/json"
    assert document["servers"] == [{"url": "http://testserver"}]


def test_the_document_points_its_server_at_the_address_it_was_asked_on(wsgi_app):
    proxied = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "api.example.test:8080",
                                                       "SCRIPT_NAME": "/cloud"})
    assert proxied.get("/cloud/openapi.json").json["servers"] == [{"url": "http://api.example.test:8080/cloud"}]


def test_security_schemes_are_basic_token_and_session_cookie(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["basicAuth"] == {"type": "http", "scheme": "basic"}
    assert (schemes["tokenAuth"]["type"], schemes["tokenAuth"]["in"], schemes["tokenAuth"]["name"]) == \
        ("apiKey", "header", "Authorization")
    assert "Token <key>" in schemes["tokenAuth"]["description"]
    assert (schemes["cookieAuth"]["in"], schemes["cookieAuth"]["name"]) == ("cookie", "sessionid")
    assert document["security"] == [{"basicAuth": []}, {"tokenAuth": []}, {"cookieAuth": []}]
    assert document["paths"]["/tokens/"]["post"]["security"] == []


def test_bodies_are_json_forms_or_multipart_and_uploads_are_binary_multipart_fields(document):
    for path, field in (("/files/", "media"), ("/projects/{id}/load/", "archive"), ("/info/fonts/", "font_file")):
        content = document["paths"][path]["post"]["requestBody"]["content"]
        assert set(content) == {"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}
        multipart = content["multipart/form-data"]["schema"]["properties"]
        assert multipart[field] == {**multipart[field], "type": "string", "format": "binary"}
        assert field not in content["application/json"]["schema"]["properties"]
    create = document["paths"]["/files/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create["required"] == ["project"]


def test_request_schemas_come_from_the_resources_colander_schemas(document):
    body = document["paths"]["/projects/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["name"]
    # Free text takes a number as its text, as DRF's CharField does.
    assert body["properties"]["name"] == {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 255},
                                                    {"type": "number"}]}
    assert body["properties"]["width"] == {"type": "integer", "minimum": 2, "maximum": 8192, "default": 1920,
                                           "multipleOf": 2}
    assert 3 in body["properties"]["channel_layout"]["enum"]
    patch = document["paths"]["/projects/{id}/"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert "required" not in patch and "default" not in patch["properties"]["width"]
    keyframe = document["paths"]["/clips/{id}/keyframes/"]["post"]["requestBody"]["content"]
    assert set(keyframe["application/json"]["schema"]["required"]) == {"property", "position_in_seconds", "value"}
    thumbnail = {p["name"]: p for p in document["paths"]["/files/{id}/thumbnail/"]["get"]["parameters"]}
    assert thumbnail["image_format"]["in"] == "query" and "PNG" in thumbnail["image_format"]["schema"]["enum"]


def test_lists_answer_with_the_pagination_wrapper_and_take_a_page(document):
    for path, item in (("/projects/", "Project"), ("/files/", "File"), ("/clips/", "Clip"),
                       ("/effects/", "Effect"), ("/exports/", "Export"), ("/projects/{id}/exports/", "Export")):
        operation = document["paths"][path]["get"]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{item}List"}
        assert "page" in [p["name"] for p in operation["parameters"]]
    listed = document["components"]["schemas"]["ProjectList"]
    assert set(listed["required"]) == {"count", "next", "previous", "results"}
    assert listed["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Project"}


def test_operations_document_their_success_and_error_answers(document):
    paths = document["paths"]
    assert set(paths["/projects/"]["post"]["responses"]) >= {"201", "400", "401"}
    assert set(paths["/projects/{id}/"]["get"]["responses"]) >= {"200", "401", "404"}
    assert set(paths["/projects/{id}/"]["delete"]["responses"]) >= {"204", "401", "404"}
    assert "image/png" in paths["/projects/{id}/thumbnail/"]["post"]["responses"]["200"]["content"]
    assert "application/zip" in paths["/projects/{id}/download/"]["get"]["responses"]["200"]["content"]
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"]
    bad = document["components"]["responses"]["BadRequest"]["content"]["application/json"]["schema"]
    assert bad == {"$ref": "#/components/schemas/Error"}


def test_real_answers_match_their_documented_schemas(api, document):
    project = create_project(api, name="Documented")
    for path, method, answer, status in (
            ("/projects/", "post", project, "201"),
            ("/projects/{id}/", "get", api.get(project["url"]).json, "200"),
            ("/projects/", "get", api.get("/projects/").json, "200"),
            ("/projects/{id}/storage/", "get", api.get(project["url"] + "storage/").json, "200")):
        schema = document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        errors = list(response_validator(document, schema).iter_errors(answer))
        assert errors == [], (path, errors)
    error = api.post_json("/projects/", {"width": 3}, status=400).json
    schema = document["components"]["schemas"]["Error"]
    assert list(response_validator(document, schema).iter_errors(error)) == []
    wrong = dict(project, id="not a number")
    schema = document["paths"]["/projects/{id}/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert list(response_validator(document, schema).iter_errors(wrong)) != []


def test_colander_fields_become_json_schema_by_type_default_and_validators():
    class ThingSchema(colander.MappingSchema):
        label = colander.SchemaNode(colander.String(), validator=colander.Length(2, 9), description="A label")
        count = colander.SchemaNode(colander.Int(), missing=3, validator=colander.All(
            colander.Range(0, 10), colander.OneOf([1, 2, 3])))
        ratio = colander.SchemaNode(colander.Float(), missing=None)
        on = colander.SchemaNode(colander.Boolean(), missing=colander.drop)
        tags = colander.SchemaNode(colander.Sequence(), colander.SchemaNode(colander.String()), missing=())

    schema = openapi.mapping_schema(ThingSchema())
    assert schema["required"] == ["label"]
    assert schema["properties"]["label"] == {"type": "string", "minLength": 2, "maxLength": 9, "description": "A label"}
    assert schema["properties"]["count"] == {"type": "integer", "minimum": 0, "maximum": 10, "enum": [1, 2, 3],
                                             "default": 3}
    assert schema["properties"]["ratio"] == {"type": "number", "nullable": True}
    assert schema["properties"]["on"] == {"type": "boolean"}
    assert schema["properties"]["tags"]["items"] == {"type": "string"}
    assert "required" not in openapi.mapping_schema(ThingSchema(), mode="update")
    assert openapi.mapping_schema(ProjectSchema(), form=True)["properties"]["json"]["type"] == "string"


# --- Swagger UI and Redoc -------------------------------------------------------------------------

class AssetLinks(HTMLParser):
    """The URLs a page loads by itself: scripts, stylesheets, images, icons."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def script_or_style_types(url):
    """The content types a stylesheet or a script may be served with."""
    return ("text/css",) if url.endswith(".css") else ("text/javascript", "application/javascript")


def page_assets(app, page):
    """The page's response and the absolute URLs of what it loads by itself (``data:`` left out)."""
    response = app.get(page)
    parser = AssetLinks()
    parser.feed(response.text)
    urls = [urljoin("http://testserver" + page, url) for url in parser.urls]
    return response, [url for url in urls if not url.startswith("data:")]


@pytest.mark.parametrize("page", ["/swagger-ui/", "/redoc/"])
def test_swagger_ui_and_redoc_load_only_assets_the_app_serves(anon, page):
    response, assets = page_assets(anon, page)
    assert response.headers["Content-Security-Policy"] == openapi.LOCAL_ONLY_CSP
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "docs-missing" not in response.text
    assert len([a for a in assets if a.endswith(".js")]) >= 2
    for asset in assets:
        assert urlsplit(asset).netloc == "testserver", asset
        fetched = anon.get(asset, status=200)
        assert fetched.content_type in script_or_style_types(asset), asset
        assert len(fetched.body) > 100, asset
        assert b"cdn.redoc.ly" not in fetched.body
    assert "/openapi.json" in response.text


# The vendored builds each page loads (URL under /static/docs/, smallest plausible size): a file
# missing from static/vendor/, or served at another URL than the page asks for, fails here.
VENDORED = {"/swagger-ui/": {"swagger-ui-dist/swagger-ui-bundle.js": 1000000,
                             "swagger-ui-dist/swagger-ui-standalone-preset.js": 100000,
                             "swagger-ui-dist/swagger-ui.css": 100000},
            "/redoc/": {"redoc/bundles/redoc.standalone.js": 500000}}


@pytest.mark.parametrize("page", sorted(VENDORED))
def test_the_docs_pages_load_every_vendored_build_from_this_app(anon, page):
    _, assets = page_assets(anon, page)
    base = "http://testserver/static/docs/"
    loaded = {url[len(base):] for url in assets if url.startswith(base)}
    assert loaded == set(VENDORED[page])
    for path, min_size in VENDORED[page].items():
        fetched = anon.get("/static/docs/" + path, status=200)
        assert fetched.content_type in script_or_style_types(path), path
        assert len(fetched.body) > min_size, path
        assert fetched.headers["Cache-Control"] == "max-age=86400", path
        anon.head("/static/docs/" + path, status=200)


def test_the_vendored_builds_ship_with_their_licences_and_unmodified():
    vendor = Path(openapi.VENDOR_DIR)
    for folder, licence in (("swagger-ui", "Apache License"), ("redoc", "MIT License")):
        assert licence in (vendor / folder / "LICENSE").read_text(), folder
    assert (vendor / "swagger-ui" / "NOTICE").is_file()
    readme = (vendor / "README.md").read_text()
    assert "swagger-ui-dist` 5." in readme and "redoc` 2." in readme and "unmodified" in readme
    checksums = [line.split("  ") for line in readme.splitlines() if re.fullmatch(r"[0-9a-f]{64}  \S+", line)]
    assert {name for _, name in checksums} == {str(path.relative_to(vendor)) for path in vendor.glob("*/*")}
    for digest, name in checksums:
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    # The remote logo is taken out when serving, not in the copy.
    assert openapi.REDOC_REMOTE_LOGO in (vendor / "redoc" / "redoc.standalone.js").read_bytes()


def test_the_redoc_bundle_is_served_without_its_remote_logo(anon):
    body = anon.get("/static/docs/redoc/bundles/redoc.standalone.js").body
    assert len(body) > 500000 and b"Redoc" in body
    assert b"https://cdn.redoc.ly" not in body
    original = Path(openapi.REDOC_FILE).read_bytes()
    assert body == original.replace(openapi.REDOC_REMOTE_LOGO, b"data:,")


# --- the built-in demo ----------------------------------------------------------------------------

def _login(app, username, password):
    form = app.get("/api-auth/login/").forms[0]
    form["username"], form["password"] = username, password
    return form.submit()


def test_api_clients_keep_the_json_root_and_browsers_get_the_endpoint_list(anon):
    expected = {name: f"http://testserver/{name}/" for name in ("projects", "files", "clips", "effects",
                                                                  "exports", "info")}
    assert anon.get("/").json == expected
    assert anon.get("/", headers={"Accept": "*/*"}).json == expected
    assert anon.get("/", headers={"Accept": "application/json"}).json == expected
    page = anon.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert page.content_type == "text/html"
    assert 'id="login-link"' in page.text
    links = re.findall(r'class="endpoint-link" href="([^"]+)">([^<]+)<', page.text)
    assert ("http://testserver/demo/projects/", "/projects/") in links
    assert ("http://testserver/demo/exports/", "/exports/") in links
    assert "/projects/{id}/thumbnail/" in page.text


def test_a_signed_in_browser_sees_its_name_and_the_demo_page_carries_a_working_csrf_token(wsgi_app, make_user):
    username, password, _ = make_user()
    browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    assert browser.get("/demo/projects/", headers={"Accept": BROWSER_ACCEPT}).status_int == 302
    assert _login(browser, username, password).status_int == 302
    root = browser.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert f'id="demo-username">{username}<' in root.text and 'id="logout-link"' in root.text
    page = browser.get("/demo/projects/", headers={"Accept": BROWSER_ACCEPT})
    assert 'data-api-path="/projects/"' in page.text
    token = re.search(r'data-csrf-token="([^"]+)"', page.text).group(1)
    created = browser.post_json("/projects/", {"name": "From the demo"}, headers={"X-CSRF-Token": token},
                                status=201).json
    browser.patch_json(created["url"], {"name": "Renamed"}, headers={"X-CSRF-Token": token}, status=200)
    browser.patch_json(created["url"], {"name": "No token"}, status=403)
    browser.delete(created["url"], headers={"X-CSRF-Token": token}, status=204)
    detail = browser.get("/demo/projects/7/clips/?page=2", headers={"Accept": BROWSER_ACCEPT})
    assert 'data-api-path="/projects/7/clips/?page=2"' in detail.text
    assert browser.get("/static/demo/demo.js").content_type in ("text/javascript", "application/javascript")


def test_the_demo_refuses_paths_that_are_not_plain_segments(api):
    api.get("/demo/projects/%3Cscript%3E/", headers={"Accept": BROWSER_ACCEPT}, status=404)
