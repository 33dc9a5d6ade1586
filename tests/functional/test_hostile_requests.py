"""Requests a hostile user sends to pages and routes: redirects after login stay on this site,
HTML pages cannot be framed, and ids nobody could have are a 404, never a 500."""
import re

import pytest
import webtest


def _login_to(app, username, password, next_url):
    page = app.get("/api-auth/login/", {"next": next_url})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return app.post("/api-auth/login/?" + webtest.utils.urlencode({"next": next_url}),
                    {"username": username, "password": password, "csrf_token": token}, status=302)


@pytest.mark.parametrize("target", ["http://testserver@evil.example/phish", "//evil.example/x", "/\\evil.example",
                                    "https://evil.example/", "http://testserver.evil.example/",
                                    "javascript:alert(1)", "/\x00x", "evil.example"])
def test_next_after_login_never_leaves_the_site(wsgi_app, make_user, target):
    username, password, _ = make_user()
    browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    location = _login_to(browser, username, password, target).headers["Location"]
    assert location == "http://testserver/", location


def test_next_after_login_keeps_a_path_on_the_site(wsgi_app, make_user):
    username, password, _ = make_user()
    browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    location = _login_to(browser, username, password, "/demo/projects/?page=1").headers["Location"]
    assert location == "http://testserver/demo/projects/?page=1"


@pytest.mark.parametrize("path", ["/api-auth/login/", "/"])
def test_html_pages_cannot_be_framed_by_other_sites(anon, path):
    page = anon.get(path, headers={"Accept": "text/html"})
    assert page.content_type == "text/html"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("ident", [str(2 ** 63), str(2 ** 64), "99999999999999999999999", "0"])
def test_ids_too_large_for_the_database_are_a_404(api, ident):
    for kind in ("projects", "files", "clips", "effects", "exports"):
        api.get(f"/{kind}/{ident}/", status=404)
    for reference in (ident, f"http://testserver/projects/{ident}/"):
        api.post_json("/files/", {"project": reference, "json": {"url": "x"}}, status=404)


def test_a_superscript_digit_is_not_an_id(api):
    api.post_json("/clips/", {"project": "\u00b9", "file": "\u00b9"}, status=400)
    api.get("/projects/%C2%B9/", status=404)


def test_the_login_form_carries_next_back_and_lands_there(wsgi_app, make_user):
    username, password, _ = make_user()
    browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    form = browser.get("/api-auth/login/", {"next": "/demo/exports/"}).forms[0]
    form["username"], form["password"] = username, password
    assert form.submit(status=302).headers["Location"] == "http://testserver/demo/exports/"
