"""A person with a browser: logs in, uses the built-in demo, reads Swagger UI and Redoc, watches
an export render. Real headless Chromium against the real server; no request may leave 127.0.0.1."""
import re

import pytest

pytestmark = pytest.mark.slow


def log_in(recorded, server):
    page = recorded.page
    page.goto(server.url + "/")
    page.click("#login-link")
    page.fill("#id_username", server.username)
    page.fill("#id_password", server.password)
    page.click("button[type=submit]")
    page.wait_for_selector("#demo-username")
    return page


def open_demo(page, url):
    page.goto(url)
    page.wait_for_selector("#demo[data-ready='1']")


def test_a_person_logs_in_and_creates_edits_and_deletes_a_project_through_the_demo(browser_page, live_server):
    page = log_in(browser_page, live_server)
    assert page.url == live_server.url + "/"
    assert page.inner_text("#demo-username") == live_server.username
    assert page.locator("a.endpoint-link", has_text=re.compile(r"^/projects/$")).count() == 1
    browser_page.screenshot("demo-root.png", full_page=False)

    page.locator("a.endpoint-link", has_text=re.compile(r"^/projects/$")).click()
    page.wait_for_selector("#demo[data-ready='1']")
    assert page.url == live_server.url + "/demo/projects/"
    page.fill("#form-post-name", "Made in a browser")
    page.fill("#form-post-width", "640")
    page.fill("#form-post-height", "360")
    page.click("#form-post button[type=submit]")
    page.wait_for_selector("#results-table >> text=Made in a browser")
    assert "→ 201" in page.inner_text("#demo-result .response-line")
    browser_page.screenshot("demo-projects.png")

    created = [p for p in live_server.api.get(live_server.url + "/projects/").json()["results"]
               if p["name"] == "Made in a browser"]
    assert len(created) == 1 and (created[0]["width"], created[0]["height"]) == (640, 360)
    project = created[0]

    # The id in the table opens the project's own page, whose PATCH form saves one field.
    page.locator("#results-table a.row-link", has_text=re.compile(f"^{project['id']}$")).click()
    page.wait_for_selector("#demo[data-ready='1']")
    assert page.url == live_server.url + f"/demo/projects/{project['id']}/"
    assert page.input_value("#form-patch-name") == "Made in a browser"
    page.fill("#form-patch-name", "Renamed in a browser")
    page.click("#form-patch button[type=submit]")
    page.locator("pre.json span.json-string", has_text='"Renamed in a browser"').first.wait_for()
    fetched = live_server.api.get(project["url"]).json()
    assert fetched["name"] == "Renamed in a browser" and fetched["width"] == 640

    # Links in the JSON lead to the demo pages of what they name.
    assert page.locator("pre.json a.json-link", has_text=f"/projects/{project['id']}/clips/").count() >= 1

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#form-delete button[type=submit]")
    page.wait_for_url(live_server.url + "/demo/projects/")
    page.wait_for_selector("#demo[data-ready='1']")
    assert live_server.api.get(project["url"]).status_code == 404

    page.click("#logout-link")
    page.wait_for_selector("#id_username")
    page.goto(live_server.url + "/")
    assert page.locator("#login-link").count() == 1 and page.locator("#demo-username").count() == 0
    assert browser_page.foreign_requests() == []


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page_by_the_demo(browser_page, live_server):
    page = browser_page.page
    page.goto(live_server.url + "/demo/exports/")
    assert page.url.startswith(live_server.url + "/api-auth/login/")
    page.fill("#id_username", live_server.username)
    page.fill("#id_password", live_server.password)
    page.click("button[type=submit]")
    page.wait_for_selector("#demo[data-ready='1']")
    assert page.url == live_server.url + "/demo/exports/"


def test_swagger_ui_lists_the_operations_with_assets_served_by_the_app(browser_page, live_server):
    page = browser_page.page
    page.goto(live_server.url + "/swagger-ui/")
    page.wait_for_selector(".opblock-summary-path[data-path='/projects/']")
    assert page.locator(".opblock-tag-section").count() >= 5
    page.click(".opblock-summary-path[data-path='/projects/']")
    browser_page.screenshot("swagger-ui.png", full_page=False)
    assert browser_page.foreign_requests() == []
    assert any(url.startswith(live_server.url + "/static/docs/swagger-ui-dist/") for url in browser_page.requests)
    assert live_server.url + "/openapi.json" in browser_page.requests


def test_redoc_lists_the_operations_with_assets_served_by_the_app(browser_page, live_server):
    page = browser_page.page
    page.goto(live_server.url + "/redoc/")
    page.get_by_text("/projects/", exact=True).first.wait_for()
    page.locator("h2", has_text="Video projects").first.wait_for()
    browser_page.screenshot("redoc.png", full_page=False)
    assert browser_page.foreign_requests() == []
    print(browser_page.console_errors)
    assert any(url.startswith(live_server.url + "/static/docs/redoc/") for url in browser_page.requests)


def test_a_person_uploads_media_places_a_clip_and_watches_the_export_render_through_the_demo(
        browser_page, live_server, media):
    api, url = live_server.api, live_server.url
    project = api.post(url + "/projects/", json={"name": "Export watch", "width": 320, "height": 240}).json()
    page = log_in(browser_page, live_server)

    # Upload: the files form is multipart because it has a file field.
    open_demo(page, url + f"/demo/projects/{project['id']}/files/")
    page.set_input_files("#form-post-media", media["red.mp4"])
    page.click("#form-post button[type=submit]")
    page.wait_for_selector("#results-table tbody tr")
    assert "→ 201" in page.inner_text("#demo-result .response-line")
    file = api.get(url + f"/projects/{project['id']}/files/").json()["results"][0]
    assert file["json"]["duration"] == pytest.approx(3.0, abs=0.1)

    # A clip of it: the file field offers the user's files and takes one's URL.
    open_demo(page, url + f"/demo/projects/{project['id']}/clips/")
    page.wait_for_selector(f"#form-post-file-options option[value='{file['url']}']", state="attached")
    page.fill("#form-post-file", file["url"])
    page.fill("#form-post-end", "3")
    page.click("#form-post button[type=submit]")
    page.wait_for_selector("#results-table tbody tr")
    clip = api.get(url + f"/projects/{project['id']}/clips/").json()["results"][0]
    assert (clip["file"], clip["end"]) == (file["url"], 3.0)

    open_demo(page, url + f"/demo/projects/{project['id']}/exports/")
    page.evaluate("window.__sameDocument = true")
    page.fill("#form-post-video_bitrate", "1000000")
    page.click("#form-post button[type=submit]")
    # 90 frames take the worker a while: the table shows the render while it runs...
    page.wait_for_selector("#results-table td.status-pending, #results-table td.status-in-progress")
    assert page.locator(".refreshing").count() == 1
    # ...and refreshes itself until it is done.
    page.wait_for_selector("#results-table td.status-completed", timeout=90000)
    assert page.locator(".refreshing").count() == 0
    assert page.evaluate("window.__sameDocument") is True  # refreshed in place, not reloaded
    assert "100%" in page.inner_text("#results-table td.progress-cell")
    assert page.locator("#results-table a", has_text="output").count() == 1
    browser_page.screenshot("demo-exports.png")
    export = api.get(url + f"/projects/{project['id']}/exports/").json()["results"][0]
    assert (export["status"], export["progress"], export["video_bitrate"]) == ("completed", 100, 1000000)
    assert browser_page.foreign_requests() == []
