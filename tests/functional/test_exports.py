"""Exports: creation with the spec's defaults, validation at creation, rendering by the worker,
progress, cancel, retry, download, webhooks. Renders are checked with ffprobe and pixels."""
import http.server
import json
import threading
import time

import pytest

from tests.factories import create_clip, create_project, upload_file
from tests.media_checks import close, mean_volume, pixel_at, probe, stream


@pytest.fixture
def red_project(api, media):
    project = create_project(api)
    file = upload_file(api, project, media["red.mp4"])
    create_clip(api, project, file, end=2.0)
    return project


def wait_for(api, export, statuses=("completed", "failed"), timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        current = api.get(export["url"]).json
        if current["status"] in statuses:
            return current
        time.sleep(0.2)
    raise AssertionError(f"export stayed {current['status']}")


def download(api, export, tmp_path, name="out"):
    body = api.get(f"{export['url']}download/").body
    path = tmp_path / name
    path.write_bytes(body)
    return str(path)


def test_export_is_created_pending_with_the_specs_defaults(api, red_project):
    export = api.post_json("/exports/", {"project": red_project["url"]}, status=201).json
    assert export["status"] == "pending" and export["progress"] == 0.0
    assert (export["export_type"], export["video_format"], export["video_codec"]) == ("video", "mp4", "libx264")
    assert export["video_bitrate"] == 8000000 and export["audio_bitrate"] == 1920000
    assert export["start_frame"] == 1 and export["end_frame"] == 60
    assert export["output"] is None and export["project"] == red_project["url"]
    assert f"{export['url']}retry/" in export["actions"]


def test_bitrates_are_read_in_the_specs_human_form(api, red_project):
    export = api.post_json("/exports/", {"project": red_project["url"], "video_bitrate": "8.0 Mb/sec",
                                         "audio_bitrate": "192 kb/sec", "end_frame": -1}, status=201).json
    assert export["video_bitrate"] == 8000000 and export["audio_bitrate"] == 192000
    crf = api.post_json("/exports/", {"project": red_project["url"], "video_bitrate": "crf 23"}, status=201).json
    assert crf["video_bitrate"] == "crf 23"


@pytest.mark.parametrize("fields, field", [
    ({"export_type": "hologram"}, "export_type"),
    ({"video_codec": "no-such-codec"}, "video_codec"),
    ({"audio_codec": "no-such-codec"}, "audio_codec"),
    ({"video_format": "nosuchformat"}, "video_format"),
    ({"video_bitrate": "fast"}, "video_bitrate"),
    ({"video_bitrate": "crf 99"}, "video_bitrate"),
    ({"start_frame": 0}, "start_frame"),
    ({"start_frame": 10, "end_frame": 5}, "end_frame"),
    ({"webhook": "not a url"}, "webhook"),
    ({"json": '{"width": 321}'}, "json"),
    ({"json": '{"fps": {"num": 0, "den": 1}}'}, "json"),
])
def test_a_bad_export_is_a_400_at_creation(api, red_project, fields, field):
    response = api.post_json("/exports/", {"project": red_project["url"], **fields}, status=400).json
    assert field in response, response


def test_frames_after_the_projects_end_render_black_as_the_hosted_api_allows(api, red_project, worker, tmp_path):
    export = api.post_json(f"{red_project['url']}exports/", {"start_frame": 31, "end_frame": 90,
                                                              "audio_codec": "aac"}, status=201).json
    done = wait_for(api, export)
    assert done["status"] == "completed", done["json"]
    path = download(api, done, tmp_path, "tail.mp4")
    assert int(stream(probe(path), "video")["nb_frames"]) == 60
    assert close(pixel_at(path, 0.5, 160, 120), (255, 0, 0))   # frames 31-60: the red clip
    assert close(pixel_at(path, 1.6, 160, 120), (0, 0, 0))     # frames 61-90: past its end


def test_an_empty_project_cannot_be_exported(api):
    project = create_project(api)
    assert "project" in api.post_json("/exports/", {"project": project["url"]}, status=400).json


def test_video_export_renders_the_timeline_to_mp4(api, red_project, worker, tmp_path):
    export = api.post_json(f"{red_project['url']}exports/", {"video_codec": "libx264", "audio_codec": "aac",
                                                              "audio_bitrate": 128000}, status=201).json
    done = wait_for(api, export)
    assert done["status"] == "completed", done["json"]
    assert done["progress"] == 100.0 and done["output"].endswith(".mp4")
    assert done["json"]["hostname"] and set(done["json"]["worker_stats"]) == {"cpu", "memory"}
    path = download(api, done, tmp_path, "out.mp4")
    info = probe(path)
    video = stream(info, "video")
    assert video["codec_name"] == "h264" and (video["width"], video["height"]) == (320, 240)
    assert int(video["nb_read_frames"]) == 60
    assert abs(float(info["format"]["duration"]) - 2.0) < 0.1
    assert stream(info, "audio")["codec_name"] == "aac"
    assert close(pixel_at(path, 1.0, 160, 120), (255, 0, 0))
    assert mean_volume(path) > -30


def test_layer_two_covers_layer_one(api, media, worker, tmp_path):
    project = create_project(api)
    red = upload_file(api, project, media["red.mp4"])
    blue = upload_file(api, project, media["blue.mp4"])
    create_clip(api, project, red, layer=1, end=2.0)
    create_clip(api, project, blue, layer=2, position=1.0, end=1.0)
    done = wait_for(api, api.post_json(f"{project['url']}exports/", {}, status=201).json)
    assert done["status"] == "completed", done["json"]
    path = download(api, done, tmp_path, "layers.mp4")
    assert close(pixel_at(path, 0.5, 160, 120), (255, 0, 0))
    assert close(pixel_at(path, 1.5, 160, 120), (0, 0, 255))


def test_alpha_keyframe_ramp_is_half_grey_halfway(api, media, worker, tmp_path):
    project = create_project(api)
    png = upload_file(api, project, media["green.png"])
    ramp = {"alpha": {"Points": [{"co": {"X": 1, "Y": 1.0}, "interpolation": 1},
                                 {"co": {"X": 61, "Y": 0.0}, "interpolation": 1}]},
            "scale": 2}
    create_clip(api, project, png, end=2.0, json=json.dumps(ramp))
    done = wait_for(api, api.post_json(f"{project['url']}exports/", {"audio_codec": "aac"}, status=201).json)
    path = download(api, done, tmp_path, "ramp.mp4")
    r, g, b = pixel_at(path, 1.0, 160, 120)
    assert 100 <= g <= 155 and r < 40 and b < 40, (r, g, b)
    assert pixel_at(path, 0.0, 160, 120)[1] > 220


def test_volume_keyframe_at_zero_gives_silence(api, media, worker, tmp_path):
    project = create_project(api)
    tone = upload_file(api, project, media["red.mp4"])
    silent = {"volume": {"Points": [{"co": {"X": 1, "Y": 0.0}, "interpolation": 2}]}}
    create_clip(api, project, tone, end=2.0, json=json.dumps(silent))
    done = wait_for(api, api.post_json(f"{project['url']}exports/", {"export_type": "audio", "video_format": "wav",
                                                                      "video_codec": "", "audio_codec": "pcm_s16le"},
                                       status=201).json)
    assert done["status"] == "completed", done["json"]
    path = download(api, done, tmp_path, "silent.wav")
    assert mean_volume(path) < -60


def test_audio_image_and_waveform_exports(api, red_project, worker, tmp_path):
    mp3 = api.post_json(f"{red_project['url']}exports/", {"export_type": "audio", "video_format": "mp3",
                                                           "audio_codec": "libmp3lame", "audio_bitrate": 128000},
                        status=201).json
    png = api.post_json(f"{red_project['url']}exports/", {"export_type": "image", "video_format": "png",
                                                           "start_frame": 30}, status=201).json
    wave = api.post_json(f"{red_project['url']}exports/", {"export_type": "waveform", "video_format": "png",
                                                            "json": {"wave_color": "#00ff00"}}, status=201).json
    mp3_done, png_done, wave_done = (wait_for(api, e) for e in (mp3, png, wave))
    audio = probe(download(api, mp3_done, tmp_path, "a.mp3"))
    assert stream(audio, "audio")["codec_name"] == "mp3" and stream(audio, "video") is None
    assert abs(float(audio["format"]["duration"]) - 2.0) < 0.2
    image = download(api, png_done, tmp_path, "a.png")
    assert close(pixel_at(image, 0, 160, 120), (255, 0, 0))
    assert wave_done["status"] == "completed", wave_done["json"]
    assert api.get(f"{wave_done['url']}download/").content_type == "image/png"


def test_cancel_stops_a_render_and_fails_it(api, media, worker):
    project = create_project(api, width=1280, height=720)
    file = upload_file(api, project, media["red.mp4"])
    for position in range(0, 60, 3):
        create_clip(api, project, file, position=float(position))
    export = api.post_json(f"{project['url']}exports/", {}, status=201).json
    wait_for(api, export, statuses=("in-progress",), timeout=60)
    time.sleep(0.5)
    cancelled_at = time.time()
    api.post_json(f"{export['url']}cancel/", {}, status=200)
    done = wait_for(api, export, timeout=10)
    assert done["status"] == "failed" and done["json"]["error"] == "Export cancelled."
    assert time.time() - cancelled_at < 3
    assert "detail" in api.post_json(f"{export['url']}cancel/", {}, status=400).json


def test_retry_renders_again_and_counts(api, red_project, worker):
    export = api.post_json(f"{red_project['url']}exports/", {}, status=201).json
    first = wait_for(api, export)
    api.post_json(f"{export['url']}retry/", {}, status=200)
    second = wait_for(api, export)
    assert second["status"] == "completed" and second["json"]["retries"] == 1
    assert second["output"] != first["output"]


def test_deleting_an_export_deletes_its_output(api, red_project, worker, registry):
    done = wait_for(api, api.post_json(f"{red_project['url']}exports/", {}, status=201).json)
    key = done["output"].split("/media/", 1)[1]
    assert registry["services"].storage.exists(key)
    api.delete(done["url"], status=204)
    assert not registry["services"].storage.exists(key)


class WebhookReceiver(http.server.BaseHTTPRequestHandler):
    received, signatures, attempts, fail_first = [], [], 0, 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        WebhookReceiver.attempts += 1
        if WebhookReceiver.fail_first:
            WebhookReceiver.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        WebhookReceiver.received.append((self.headers["Content-Type"], body))
        WebhookReceiver.signatures.append(self.headers.get("X-OpenShot-Signature"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_url():
    WebhookReceiver.received, WebhookReceiver.signatures = [], []
    WebhookReceiver.attempts = WebhookReceiver.fail_first = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), WebhookReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook/"
    server.shutdown()


def test_webhook_receives_the_export_and_its_answer_is_saved(api, red_project, worker, webhook_url):
    export = api.post_json(f"{red_project['url']}exports/", {"webhook": webhook_url}, status=201).json
    wait_for(api, export)
    deadline = time.time() + 20
    while time.time() < deadline and "webhook" not in api.get(export["url"]).json["json"]:
        time.sleep(0.2)
    saved = api.get(export["url"]).json
    assert saved["json"]["webhook"] == '200: [application/json] {"ok": true}'
    content_type, body = WebhookReceiver.received[0]
    payload = json.loads(body)
    assert content_type == "application/json"
    assert payload["url"] == export["url"] and payload["status"] == "completed"
    assert payload["json"]["status"] == "success" and payload["output"].endswith(".mp4")


def test_webhook_can_be_form_encoded(api, red_project, worker, webhook_url):
    export = api.post_json(f"{red_project['url']}exports/", {
        "webhook": webhook_url, "json": {"webhook-form-urlencoded": True}}, status=201).json
    wait_for(api, export)
    deadline = time.time() + 20
    while time.time() < deadline and not WebhookReceiver.received:
        time.sleep(0.2)
    content_type, body = WebhookReceiver.received[0]
    assert content_type == "application/x-www-form-urlencoded"
    assert b"status=completed" in body


def test_webhook_is_signed_when_a_secret_is_configured(api, red_project, worker, webhook_url):
    import hashlib
    import hmac
    from openshot_api.worker import current
    settings = current().settings
    settings["openshot_api.webhook_secret"] = "s3cret"
    try:
        export = api.post_json(f"{red_project['url']}exports/", {"webhook": webhook_url}, status=201).json
        wait_for(api, export)
        deadline = time.time() + 20
        while time.time() < deadline and not WebhookReceiver.received:
            time.sleep(0.2)
    finally:
        settings["openshot_api.webhook_secret"] = ""
    headers, body = WebhookReceiver.signatures[0], WebhookReceiver.received[0][1]
    assert headers == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()


def test_a_failing_webhook_is_retried_and_its_last_answer_kept(api, red_project, worker, webhook_url):
    WebhookReceiver.fail_first = 1
    export = api.post_json(f"{red_project['url']}exports/", {"webhook": webhook_url}, status=201).json
    wait_for(api, export)
    deadline = time.time() + 30
    while time.time() < deadline and "webhook" not in api.get(export["url"]).json["json"]:
        time.sleep(0.2)
    assert api.get(export["url"]).json["json"]["webhook"].startswith("200:")
    assert WebhookReceiver.attempts == 2


def test_retry_and_cancel_also_answer_get_for_api_clients_but_not_for_browser_sessions(api, red_project, worker,
                                                                                      wsgi_app):
    import webtest
    export = api.post_json(f"{red_project['url']}exports/", {}, status=201).json
    wait_for(api, export)
    assert api.get(f"{export['url']}retry/").json["json"]["retries"] == 1
    wait_for(api, export)
    browser = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    form = browser.get("/api-auth/login/").forms[0]
    form["username"], form["password"] = api.username, api.password
    form.submit()
    browser.get(f"{export['url']}retry/", status=405)
