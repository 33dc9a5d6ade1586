"""The demo's pictures, seen in headless Chromium against the real server: a project's timeline
(blocks where the clips are), the scrubber's frames, a clip's keyframe curves (drawn as
libopenshot computes them), renders playing inline with live progress, and a dropped upload.

Every page is saved as a screenshot in ``artifacts/`` (the path is printed); with
OPENSHOT_API_UPDATE_SCREENSHOTS=1 the two pictures of the README are written to docs/screenshots/."""
import json
import os

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT, wait_for

pytestmark = pytest.mark.slow
openshot = pytest.importorskip("openshot")  # the server renders with it; the curve test reads it too

DOCS_SCREENSHOTS = os.path.join(ROOT, "docs", "screenshots")
ACTIVE = ("pending", "in-progress")

# The image as the browser shows it: its source, its centre pixel and an FNV-1a digest of all
# its pixels (drawn on a canvas).
READ_IMAGE = """img => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let digest = 0x811c9dc5;
  for (const byte of pixels) digest = Math.imul(digest ^ byte, 16777619) >>> 0;
  const centre = 4 * ((canvas.height >> 1) * canvas.width + (canvas.width >> 1));
  return {src: img.src, rgb: [pixels[centre], pixels[centre + 1], pixels[centre + 2]], digest: digest};
}"""

# Points along an SVG path, in the path's own coordinates.
SAMPLE_PATH = """path => {
  const total = path.getTotalLength(), points = [];
  for (let i = 0; i <= 600; i++) { const p = path.getPointAtLength(total * i / 600); points.push([p.x, p.y]); }
  return points;
}"""


def log_in(recorded, server, next_path="/"):
    page = recorded.page
    page.goto(server.url + "/api-auth/login/?next=" + next_path)
    page.fill("#id_username", server.username)
    page.fill("#id_password", server.password)
    page.click("button[type=submit]")
    page.wait_for_selector("#demo-username")
    return page


def open_demo(page, url):
    page.goto(url)
    page.wait_for_selector("#demo[data-ready='1']")


def screenshot(recorded, name, readme=False):
    """The whole page into artifacts/; the README's pictures (the top of the page) too when asked."""
    path = recorded.screenshot(name)
    print(f"screenshot: {path} (folder {ARTIFACTS})")
    if readme and os.environ.get("OPENSHOT_API_UPDATE_SCREENSHOTS") == "1":
        os.makedirs(DOCS_SCREENSHOTS, exist_ok=True)
        recorded.page.screenshot(path=os.path.join(DOCS_SCREENSHOTS, name),
                                 clip={"x": 0, "y": 0, "width": 1280, "height": 760})
    return path


def no_csp_violations(recorded):
    assert [e for e in recorded.console_errors if "Content Security Policy" in e] == []
    assert recorded.foreign_requests() == []


def upload(server, project, path):
    with open(path, "rb") as media:
        response = server.api.post(server.url + "/files/", data={"project": project["url"], "json": "{}"},
                                   files={"media": (os.path.basename(path), media)})
    assert response.status_code == 201, response.text
    return response.json()


def new_project(server, name):
    response = server.api.post(server.url + "/projects/", json={"name": name, "width": 320, "height": 240,
                                                                 "fps_num": 30, "fps_den": 1})
    assert response.status_code == 201, response.text
    return response.json()


def add_clip(server, project, file, **fields):
    response = server.api.post(server.url + "/clips/", json={"file": file["url"], "project": project["url"], **fields})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def two_colour_project(live_server, media):
    """Red on layer 1 for 0-1.5 s, blue on layer 2 for 1.5-3 s (from 0.5 s into its file), and a
    Blur effect on layer 3 for 0.5-1 s."""
    project = new_project(live_server, "Two colours")
    red, blue = upload(live_server, project, media["red.mp4"]), upload(live_server, project, media["blue.mp4"])
    clips = [add_clip(live_server, project, red, position=0, start=0, end=1.5, layer=1),
             add_clip(live_server, project, blue, position=1.5, start=0.5, end=2.0, layer=2)]
    effect = live_server.api.post(live_server.url + "/effects/", json={
        "project": project["url"], "type": "Blur", "position": 0.5, "start": 0, "end": 0.5, "layer": 3}).json()
    return {"project": project, "files": {"red": red, "blue": blue}, "clips": clips, "effect": effect}


def test_the_timeline_draws_each_clip_at_its_time_and_layer(browser_page, live_server, two_colour_project):
    project, clips = two_colour_project["project"], two_colour_project["clips"]
    page = log_in(browser_page, live_server)
    open_demo(page, live_server.url + f"/demo/projects/{project['id']}/")
    page.wait_for_selector("#project-board[data-ready='1'] #timeline")
    pps = float(page.get_attribute("#timeline", "data-pps"))
    assert pps > 100  # 3 s across the page

    rows = {}
    for clip in clips:
        row = page.locator(f".tl-row[data-layer='{clip['layer']}']")
        track, block = row.locator(".tl-track").bounding_box(), row.locator(f".tl-clip[data-clip-id='{clip['id']}']")
        box, rows[clip["layer"]] = block.bounding_box(), row.bounding_box()
        assert abs(box["x"] - (track["x"] + clip["position"] * pps)) <= 2
        assert abs(box["width"] - (clip["end"] - clip["start"]) * pps) <= 2
        top = rows[clip["layer"]]["y"]
        assert top <= box["y"] and box["y"] + box["height"] <= top + rows[clip["layer"]]["height"]
    assert rows[2]["y"] < rows[1]["y"]  # the top layer on top
    assert page.inner_text(f".tl-clip[data-clip-id='{clips[0]['id']}'] .tl-name") == "red.mp4"
    assert page.inner_text(f".tl-clip[data-clip-id='{clips[1]['id']}'] .tl-name") == "blue.mp4"

    # Project effects have their own row, below the layers.
    effect = two_colour_project["effect"]
    effects_row = page.locator(".tl-row.tl-effects")
    box, track = effects_row.locator(".tl-effect").bounding_box(), effects_row.locator(".tl-track").bounding_box()
    assert abs(box["x"] - (track["x"] + effect["position"] * pps)) <= 2
    assert abs(box["width"] - (effect["end"] - effect["start"]) * pps) <= 2
    assert effects_row.bounding_box()["y"] > rows[1]["y"]

    # The ruler: seconds and frame numbers at the same places.
    first_tick = page.locator(".tl-tick").first
    assert first_tick.locator(".tl-sec").inner_text() == "0 s" and first_tick.locator(".tl-frame").inner_text() == "f1"
    second = page.locator(".tl-tick").nth(1)
    seconds = float(second.locator(".tl-sec").inner_text().split()[0])
    assert second.locator(".tl-frame").inner_text() == f"f{round(seconds * 30) + 1}"
    ruler = page.locator(".tl-ruler").bounding_box()
    assert abs(second.bounding_box()["x"] - (ruler["x"] + seconds * pps)) <= 2

    # Each clip shows its file's frame at the clip's start: red, and blue.
    for clip, channel in ((clips[0], 0), (clips[1], 2)):
        thumb = page.locator(f".tl-clip[data-clip-id='{clip['id']}'] img.tl-thumb")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
        assert max(range(3), key=lambda i: thumb.evaluate(READ_IMAGE)["rgb"][i]) == channel
    src = page.get_attribute(f".tl-clip[data-clip-id='{clips[1]['id']}'] img.tl-thumb", "src")
    assert f"/files/{two_colour_project['files']['blue']['id']}/thumbnail/?frame_number=16&" in src  # 0.5 s at 30 fps
    page.wait_for_selector("#scrubber-preview[data-frame='1']")
    screenshot(browser_page, "demo-timeline.png", readme=True)

    page.click(f".tl-clip[data-clip-id='{clips[1]['id']}']")
    page.wait_for_url(live_server.url + f"/demo/clips/{clips[1]['id']}/")
    no_csp_violations(browser_page)


def test_the_scrubber_shows_the_frame_an_export_would_show(browser_page, live_server, two_colour_project):
    project = two_colour_project["project"]
    page = log_in(browser_page, live_server)
    open_demo(page, live_server.url + f"/demo/projects/{project['id']}/")
    page.wait_for_selector("#scrubber-preview[data-frame='1']")
    assert page.get_attribute("#scrubber", "max") == "90"
    first = page.locator("#scrubber-preview").evaluate(READ_IMAGE)
    assert first["rgb"][0] > 150 and first["rgb"][2] < 80  # red at 0 s

    # The keyboard moves the slider: End is the last frame, where only the blue clip plays.
    page.focus("#scrubber")
    with page.expect_response(lambda r: "/thumbnail/?frame_number=90&" in r.url):
        page.keyboard.press("End")
    page.wait_for_selector("#scrubber-preview[data-frame='90']")
    last = page.locator("#scrubber-preview").evaluate(READ_IMAGE)
    assert last["rgb"][2] > 150 and last["rgb"][0] < 80
    assert last["src"] != first["src"] and last["src"].startswith("blob:")
    assert last["digest"] != first["digest"]
    assert "frame 90 of 90" in page.inner_text("#scrubber-label")
    # The playhead stands at that time on the timeline.
    pps = float(page.get_attribute("#timeline", "data-pps"))
    track = page.locator(".tl-ruler").bounding_box()
    assert abs(page.locator("#tl-playhead").bounding_box()["x"] - (track["x"] + 89 / 30 * pps)) <= 3

    # Quick moves ask for one frame: the one the slider rests on.
    asked = []
    page.on("request", lambda r: "/thumbnail/" in r.url and "/projects/" in r.url and asked.append(r.url))
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    page.wait_for_selector("#scrubber-preview[data-frame='85']")
    assert len(asked) == 1 and "frame_number=85&" in asked[0]
    screenshot(browser_page, "demo-scrubber.png")
    no_csp_violations(browser_page)


def test_a_clip_fade_plots_the_curve_libopenshot_computes(browser_page, live_server, media):
    project = new_project(live_server, "Curves")
    red = upload(live_server, project, media["red.mp4"])
    clip = add_clip(live_server, project, red, position=0, start=0, end=1.5, layer=1)
    page = log_in(browser_page, live_server)
    open_demo(page, live_server.url + f"/demo/clips/{clip['id']}/")
    page.wait_for_selector("#preset-form")
    assert page.locator("#curves svg.curve").count() == 0

    # The preset form on the page: Fade In over the first second, then the plot shows it.
    page.select_option("#preset-name", "Fade In")
    page.fill("#preset-length", "1")
    page.click("#preset-form button[type=submit]")
    svg = page.locator("figure[data-property='alpha'] svg.curve")
    svg.wait_for()
    alpha = live_server.api.get(clip["url"]).json()["json"]["alpha"]
    assert [(p["co"]["X"], p["co"]["Y"]) for p in alpha["Points"]] == [(1.0, 0.0), (31.0, 1.0)]

    scale = {name: float(svg.get_attribute(f"data-{name}"))
             for name in ("left", "top", "frame-min", "px-per-frame", "value-max", "px-per-unit")}

    def to_frame_value(x, y):
        return (scale["frame-min"] + (x - scale["left"]) / scale["px-per-frame"],
                scale["value-max"] - (y - scale["top"]) / scale["px-per-unit"])

    dots = [(float(c.get_attribute("cx")), float(c.get_attribute("cy")))
            for c in svg.locator("circle.curve-point").all()]
    assert [tuple(round(v, 3) for v in to_frame_value(*dot)) for dot in dots] == [(1.0, 0.0), (31.0, 1.0)]
    assert dots[1][0] > dots[0][0] and dots[1][1] < dots[0][1]  # later and higher

    samples = svg.locator("path.curve-line").evaluate(SAMPLE_PATH)
    curve = [to_frame_value(x, y) for x, y in samples]
    # The path goes through both points and only ever rises (or stays level) as time goes on.
    for frame, value in ((1.0, 0.0), (31.0, 1.0)):
        assert min(abs(f - frame) + abs(v - value) for f, v in curve) < 0.05
    assert all(b[0] >= a[0] - 1e-6 and b[1] >= a[1] - 1e-3 for a, b in zip(curve, curve[1:]))
    assert curve[-1][0] >= 45 - 1e-6  # drawn to the clip's last frame (1.5 s)

    # Between the points the curve is libopenshot's own Bezier (the preset's "Ease (Default)").
    keyframe = openshot.Keyframe()
    keyframe.SetJson(json.dumps(alpha))
    for frame in range(2, 31, 3):
        plotted = min(curve, key=lambda point: abs(point[0] - frame))
        assert plotted[1] == pytest.approx(keyframe.GetValue(frame), abs=0.03), frame
    # Under the pointer the plot reads each whole frame's value as libopenshot does.
    box = svg.bounding_box()
    for frame in (8, 16, 24):
        x = scale["left"] + (frame - scale["frame-min"]) * scale["px-per-frame"]
        page.mouse.move(box["x"] + x * box["width"] / float(svg.get_attribute("width")), box["y"] + box["height"] / 2)
        assert svg.get_attribute("data-read-frame") == str(frame)
        assert float(svg.get_attribute("data-read-value")) == pytest.approx(keyframe.GetValue(frame), abs=0.005)

    # The keyframe form adds a linear rotation to 45 degrees at 1 s: a straight line.
    page.select_option("#keyframe-property", "rotation")
    page.fill("#keyframe-time", "1")
    page.fill("#keyframe-value", "45")
    page.select_option("#keyframe-curve", "Linear")
    page.click("#keyframe-form button[type=submit]")
    rotation = page.locator("figure[data-property='rotation'] svg.curve")
    rotation.wait_for()
    points = rotation.locator("circle.curve-point")
    assert [(p.get_attribute("data-frame"), p.get_attribute("data-value"), p.get_attribute("data-interpolation"))
            for p in points.all()] == [("1", "0", "Constant"), ("31", "45", "Linear")]
    d = rotation.locator("path.curve-line").get_attribute("d")
    assert " C " not in d and d.count("L") == 3  # lead-in, the line, and level to the end
    assert page.locator("figure[data-property='alpha'] svg.curve").count() == 1  # still there
    screenshot(browser_page, "demo-curves.png", readme=True)

    # Reset puts alpha and rotation back to one point each: nothing left to plot.
    page.click("#keyframe-reset")
    page.wait_for_selector("#curves[data-drawn='0']")
    assert page.locator("#curves svg.curve").count() == 0
    assert len(live_server.api.get(clip["url"]).json()["json"]["alpha"]["Points"]) == 1
    no_csp_violations(browser_page)


def test_renders_show_live_progress_then_play_inline(browser_page, live_server, media):
    project = new_project(live_server, "Renders")
    red = upload(live_server, project, media["red.mp4"])
    add_clip(live_server, project, red, position=0, start=0, end=1, layer=1)
    url = live_server.url
    page = log_in(browser_page, live_server)
    open_demo(page, url + f"/demo/projects/{project['id']}/")
    page.wait_for_selector("#render-form")

    # The preset fills the form (1080p in the project's 4:3 shape); the test renders it small.
    page.select_option("#render-preset", "mp4-1080p")
    assert (page.input_value("#render-width"), page.input_value("#render-height")) == ("1440", "1080")
    assert page.input_value("#render-video_codec") == "libx264" and page.input_value("#render-audio_codec") == "aac"
    page.fill("#render-width", "320")
    page.fill("#render-height", "240")
    # Every status and progress the card shows, as it shows them.
    page.evaluate("""() => {
      window.__seen = [];
      new MutationObserver(() => document.querySelectorAll('.export-card').forEach(card => {
        const value = card.querySelector('progress').value;
        window.__seen.push([card.dataset.exportId, card.dataset.status, value]);
      })).observe(document.getElementById('export-cards'), {subtree: true, childList: true, attributes: true});
    }""")
    page.click("#render-submit")
    card = page.locator(".export-card").first
    card.wait_for()
    export_id = card.get_attribute("data-export-id")
    card.locator("video").wait_for(timeout=60000)
    seen = [s for s in page.evaluate("window.__seen") if s[0] == export_id]
    assert seen[0][1] in ACTIVE and seen[-1][1] == "completed" and seen[-1][2] == 100
    export = live_server.api.get(url + f"/exports/{export_id}/").json()
    assert (export["status"], export["json"].get("width"), export["video_codec"]) == ("completed", 320, "libx264")

    video = card.locator("video")
    assert video.get_attribute("src") == url + f"/exports/{export_id}/download/"
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.3", arg=video.element_handle(), timeout=15000)
    assert video.evaluate("v => v.duration") == pytest.approx(1.0, abs=0.1)

    # A render cancelled before it starts fails, and its card says why.
    page.click("#render-submit")
    page.wait_for_function("() => document.querySelectorAll('.export-card').length === 2")
    second = page.locator(".export-card").first
    second.locator("button.export-cancel").click()
    second.locator(".export-error").wait_for(timeout=30000)
    assert second.get_attribute("data-status") == "failed"
    assert second.locator(".export-error").inner_text().strip()
    screenshot(browser_page, "demo-project-renders.png")

    # Pictures and image sequences, on the project's export list.
    waveform = live_server.api.post(url + "/exports/", json={
        "project": project["url"], "export_type": "waveform", "video_format": "png",
        "json": {"width": 640, "height": 120}})
    sequence = live_server.api.post(url + "/exports/", json={
        "project": project["url"], "export_type": "image sequence", "video_format": "png", "end_frame": 3})
    assert waveform.status_code == sequence.status_code == 201
    ids = waveform.json()["id"], sequence.json()["id"]
    wait_for(lambda: all(live_server.api.get(url + f"/exports/{i}/").json()["status"] == "completed" for i in ids),
             timeout=60)
    open_demo(page, url + f"/demo/projects/{project['id']}/exports/")
    picture = page.locator(f".export-card[data-export-id='{ids[0]}'] img.player-image")
    page.wait_for_function("img => img.complete && img.naturalWidth === 640", arg=picture.element_handle())
    frames = page.locator(f".export-card[data-export-id='{ids[1]}'] .frame-list li")
    frames.nth(2).locator("img").wait_for()
    assert [f.get_attribute("data-name") for f in frames.all()] == ["00001.png", "00002.png", "00003.png"]
    assert frames.nth(0).locator("img").evaluate("img => img.naturalWidth") == 320
    screenshot(browser_page, "demo-project-exports.png")

    # The completed video's own page plays it too.
    open_demo(page, url + f"/demo/exports/{export_id}/")
    page.locator(".export-card video").wait_for()
    screenshot(browser_page, "demo-export.png")
    no_csp_violations(browser_page)


def test_files_show_their_thumbnail_and_play(browser_page, live_server, two_colour_project, media):
    project, red = two_colour_project["project"], two_colour_project["files"]["red"]
    tone = upload(live_server, project, media["tone.wav"])
    page = log_in(browser_page, live_server)
    open_demo(page, live_server.url + f"/demo/files/{red['id']}/")
    thumb = page.locator(".file-thumb img")
    page.wait_for_function("img => img.complete && img.naturalWidth === 320", arg=thumb.element_handle())
    video = page.locator(".file-card video")
    assert video.get_attribute("src") == live_server.url + f"/files/{red['id']}/download/"
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.2", arg=video.element_handle(), timeout=15000)
    screenshot(browser_page, "demo-file.png")

    open_demo(page, live_server.url + f"/demo/files/{tone['id']}/")
    audio = page.locator(".file-card audio")
    page.wait_for_function("a => a.readyState >= 1 && a.duration > 1.9", arg=audio.element_handle())
    no_csp_violations(browser_page)


def test_a_dropped_file_uploads_with_progress_and_goes_on_the_timeline(browser_page, live_server, media):
    project = new_project(live_server, "Drop")
    page = log_in(browser_page, live_server)
    open_demo(page, live_server.url + f"/demo/projects/{project['id']}/")
    page.wait_for_selector("#project-board[data-ready='1']")
    assert page.locator(".tl-clip").count() == 0

    with open(media["green.png"], "rb") as handle:
        data = list(handle.read())
    dropped = page.evaluate_handle("""bytes => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'green.png', {type: 'image/png'}));
      return transfer;
    }""", data)
    with page.expect_request(lambda r: r.method == "POST" and r.url == live_server.url + "/files/") as sent:
        page.dispatch_event("#upload-drop", "dragover", {"dataTransfer": dropped})
        page.dispatch_event("#upload-drop", "drop", {"dataTransfer": dropped})
    request = sent.value
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert request.headers["x-csrf-token"] == page.get_attribute("#demo", "data-csrf-token")

    item = page.locator(".upload-item.done")
    item.wait_for()
    assert item.locator("progress").evaluate("p => p.value") == 100
    files = live_server.api.get(live_server.url + f"/projects/{project['id']}/files/").json()["results"]
    assert [(f["json"]["name"], f["json"]["width"]) for f in files] == [("green.png", 160)]
    assert item.get_attribute("data-file-id") == str(files[0]["id"])

    item.locator("button.place-clip").click()
    page.wait_for_selector(".tl-clip")
    clips = live_server.api.get(live_server.url + f"/projects/{project['id']}/clips/").json()["results"]
    assert [(c["file"], c["position"], c["layer"]) for c in clips] == [(files[0]["url"], 0.0, 1)]
    screenshot(browser_page, "demo-upload.png")
    no_csp_violations(browser_page)
