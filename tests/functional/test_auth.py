"""Basic, token and session authentication, /tokens/, isolation between users, admin pages."""
import re

import webtest

from tests.factories import create_project, user_id


def test_requests_without_credentials_are_refused(anon):
    response = anon.get("/projects/", status=401)
    assert response.json["detail"] == "Authentication credentials were not provided."
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_wrong_basic_password_is_refused(anon, make_user):
    username, _password, _token = make_user()
    anon.authorization = ("Basic", (username, "wrong"))
    assert anon.get("/projects/", status=401).json["detail"] == "Invalid username/password."


def test_token_authentication_sees_the_same_data_as_basic(api, anon):
    project = create_project(api)
    got = anon.get("/projects/", headers={"Authorization": f"Token {api.token}"}).json
    assert [p["id"] for p in got["results"]] == [project["id"]]
    anon.get("/projects/", headers={"Authorization": "Token nope"}, status=401)


def test_tokens_endpoint_returns_the_users_token(anon, make_user):
    username, password, token = make_user()
    assert anon.post_json("/tokens/", {"username": username, "password": password}).json == {"token": token}
    assert anon.post("/tokens/", {"username": username, "password": password}).json == {"token": token}
    bad = anon.post_json("/tokens/", {"username": username, "password": "x"}, status=400).json
    assert bad["non_field_errors"] == ["Unable to log in with provided credentials."]
    assert "password" in anon.post_json("/tokens/", {"username": username}, status=400).json


def _login(app, username, password):
    page = app.get("/api-auth/login/")
    form = page.forms[0]
    form["username"], form["password"] = username, password
    return form.submit()


def test_session_login_then_unsafe_methods_need_the_csrf_token(wsgi_app, make_user):
    username, password, _ = make_user()
    browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    assert _login(browser, username, password).status_int == 302
    assert browser.get("/projects/").json["count"] == 0
    refused = browser.post_json("/projects/", {"name": "no csrf"}, status=403)
    assert "CSRF" in refused.json["detail"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/api-auth/login/").text).group(1)
    browser.post_json("/projects/", {"name": "with csrf"}, headers={"X-CSRF-Token": token}, status=201)
    # Logging out is a POST with the CSRF token (a GET is only a confirmation page).
    browser.post("/api-auth/logout/", {"csrf_token": token}, status=302)
    browser.get("/projects/", status=401)


def test_wrong_login_shows_an_error(wsgi_app, make_user):
    username, _password, _ = make_user()
    browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    page = _login(browser, username, "bad")
    assert page.status_int == 200 and "correct username and password" in page.text


def test_another_users_objects_are_404_everywhere(api, other_api):
    project = create_project(api)
    other_api.get(project["url"], status=404)
    other_api.patch_json(project["url"], {"name": "stolen"}, status=404)
    other_api.delete(project["url"], status=404)
    other_api.get(f"{project['url']}files/", status=404)
    assert other_api.get("/projects/").json["count"] == 0
    assert api.get(project["url"]).json["name"] == "Test project"


def test_a_body_pointing_at_another_users_project_is_a_404(api, other_api):
    project = create_project(api)
    for ref in (project["url"], project["id"], str(project["id"])):
        response = other_api.post_json("/exports/", {"project": ref}, status=404).json
        assert response["project"] == ["Invalid hyperlink - Object does not exist."]


def test_a_malformed_hyperlink_is_a_400(api):
    response = api.post_json("/exports/", {"project": "http://testserver/files/1/"}, status=400).json
    assert "project" in response


def _admin(wsgi_app, make_user):
    admin = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    username, password, _ = make_user(is_admin=True)
    admin.authorization = ("Basic", (username, password))
    return admin, username


def _form_for(page, user_field_value=None, action=None):
    for form in page.forms.values():
        fields = form.fields
        if action and ("action" not in fields or form["action"].value != action):
            continue
        if user_field_value is not None and ("user_id" not in fields or form["user_id"].value != str(user_field_value)):
            continue
        return form
    raise AssertionError("form not found")


def test_admin_pages_are_for_admins_only(wsgi_app, make_user):
    admin, username = _admin(wsgi_app, make_user)
    page = admin.get("/cloud-admin/auth/user/")
    assert username in page.text
    form = _form_for(page, action="create")
    new_name = "created-by-" + username
    form["username"], form["password"] = new_name, "secret-pass"
    assert f"User {new_name} created." in form.submit().text
    anon = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    assert anon.post_json("/tokens/", {"username": new_name, "password": "secret-pass"}).json["token"]
    assert new_name in admin.get("/cloud-admin/authtoken/token/").text

    plain = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    u, p, _ = make_user()
    plain.authorization = ("Basic", (u, p))
    plain.get("/cloud-admin/auth/user/", status=403)
    plain.get("/cloud-admin/authtoken/token/", status=403)


def test_admin_rotates_a_token_and_disables_a_user(wsgi_app, make_user, registry):
    admin, _ = _admin(wsgi_app, make_user)
    victim, victim_pass, old_token = make_user()
    victim_id = user_id(registry, victim)
    _form_for(admin.get("/cloud-admin/authtoken/token/"), victim_id).submit()
    client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    client.get("/projects/", headers={"Authorization": f"Token {old_token}"}, status=401)
    new_token = client.post_json("/tokens/", {"username": victim, "password": victim_pass}).json["token"]
    assert new_token != old_token
    client.get("/projects/", headers={"Authorization": f"Token {new_token}"}, status=200)
    _form_for(admin.get("/cloud-admin/auth/user/"), victim_id, action="disable").submit()
    client.authorization = ("Basic", (victim, victim_pass))
    client.get("/projects/", status=401)
