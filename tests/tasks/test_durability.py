"""Nothing accepted is lost: PostgreSQL, RabbitMQ and separate `openshot-api worker` processes,
with the broker and the database behind fault proxies that a test cuts (an outage or a restart,
as the clients see it), a render child killed alone, and a worker stopped as systemd stops it."""
import http.server
import json
import os
import signal
import threading
import time

import psutil
import pytest
import transaction
import webtest

from openshot_api.app import make_app
from tests.conftest import _postgres_url, base_settings
from tests.factories import create_clip, create_project, upload_file
from tests.faultproxy import FaultProxy
from tests.functional.test_exports import download, wait_for
from tests.media_checks import probe, stream
from tests.tasks.test_production_workers import _rabbitmq_vhost, start_worker, stop_worker, write_ini

pytestmark = pytest.mark.slow

CHILD_MODULE = "openshot_api_render_libopenshot.child"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """An ini like production.ini whose database and broker are reached through fault proxies,
    and the app served in-process (its job keeper runs in this process, as in a server)."""
    import subprocess

    import dramatiq
    from openshot_api import worker as worker_module
    from openshot_api.broker import use_broker
    from openshot_api.cli import initdb

    url, drop = _postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not running (CI=true makes this a failure)")
    vhost = _rabbitmq_vhost()
    db_proxy, broker_proxy = FaultProxy(5432), FaultProxy(5672)
    tmp = tmp_path_factory.mktemp("durability")
    settings = base_settings(tmp, url.replace("127.0.0.1:5432", f"127.0.0.1:{db_proxy.port}"))
    settings.update({
        "openshot_api.broker": "rabbitmq",
        "openshot_api.broker_url": f"amqp://guest:guest@127.0.0.1:{broker_proxy.port}/{vhost}",
        # Long enough that nothing here can be rescued by the heartbeat sweep instead.
        "openshot_api.export_heartbeat_timeout": "120",
        "openshot_api.worker_shutdown_grace": "1",
        "openshot_api.db_outage_patience": "120",
    })
    ini = write_ini(tmp / "durability.ini", settings, level="INFO")
    initdb(dict(settings))
    previous_broker, previous_context = dramatiq.get_broker(), worker_module._context
    app = make_app({}, dict(settings))
    yield {"ini": str(ini), "app": app, "tmp": tmp, "db": db_proxy, "broker": broker_proxy}
    db_proxy.restore()
    broker_proxy.restore()
    app.app.registry["job_keeper"].stop()
    use_broker(previous_broker)
    worker_module.set_context(previous_context)
    app.app.registry["db_engine"].dispose()
    db_proxy.close()
    broker_proxy.close()
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)
    if drop:
        drop()


@pytest.fixture
def client(stack):
    import uuid

    from openshot_api.auth import create_user
    from openshot_api.db import get_tm_session
    username = f"durable-{uuid.uuid4().hex[:8]}"
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        create_user(get_tm_session(stack["app"].app.registry["dbsession_factory"], tm), username, "pw")
    app = webtest.TestApp(stack["app"], extra_environ={"HTTP_HOST": "testserver"})
    app.authorization = ("Basic", (username, "pw"))
    return app


@pytest.fixture
def outages(stack):
    """Whatever a test cut is restored after it, pass or fail."""
    yield stack
    stack["db"].restore()
    stack["broker"].restore()


def long_project(client, media, seconds=24):
    """A 1280x720 project of ``seconds`` that takes a worker some seconds to render."""
    project = create_project(client, width=1280, height=720)
    file = upload_file(client, project, media["red.mp4"])
    for position in range(0, seconds, 3):
        create_clip(client, project, file, position=float(position))
    return project


def wait_until_rendering(client, export, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        current = client.get(export["url"]).json
        if current["status"] == "in-progress" and current["progress"] > 0:
            return current
        assert current["status"] in ("pending", "in-progress"), current
        time.sleep(0.2)
    raise AssertionError(f"the export never started rendering: {current}")


def check_output(client, export, tmp_path, seconds):
    path = download(client, export, tmp_path, "out.mp4")
    assert int(stream(probe(path), "video")["nb_read_frames"]) == seconds * 30


def outbox_rows(stack):
    from openshot_api.jobs import pending_count
    return pending_count(stack["app"].app.registry["dbsession_factory"])


class Receiver(http.server.BaseHTTPRequestHandler):
    bodies = []

    def do_POST(self):
        Receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.bodies = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook/"
    server.shutdown()


def test_an_export_created_while_the_broker_is_down_is_rendered_once_it_is_back(
        stack, outages, client, media, tmp_path):
    worker = start_worker(stack, "worker-broker-down")
    try:
        project = create_project(client)
        file = upload_file(client, project, media["red.mp4"])
        create_clip(client, project, file, end=2.0)
        stack["broker"].cut()
        export = client.post_json(f"{project['url']}exports/", {"audio_codec": "aac"}, status=201).json
        assert outbox_rows(stack) >= 1  # kept, not lost
        assert client.get("/__heartbeat__", status=503).json == {"database": True, "broker": False, "storage": True}
        time.sleep(5)
        assert client.get(export["url"]).json["status"] == "pending"
        stack["broker"].restore()
        back = time.time()
        done = wait_for(client, export, timeout=60)
        print(f"completed {time.time() - back:.1f} s after the broker came back")
        assert done["status"] == "completed", done["json"]
        assert outbox_rows(stack) == 0
        path = download(client, done, tmp_path, "out.mp4")
        assert int(stream(probe(path), "video")["nb_read_frames"]) == 60
    finally:
        stop_worker(worker)


def test_a_webhook_due_while_the_broker_is_down_is_delivered_after_it(
        stack, outages, client, media, receiver):
    worker = start_worker(stack, "worker-webhook")
    try:
        project = long_project(client, media, seconds=9)
        export = client.post_json(f"{project['url']}exports/", {"audio_codec": "aac", "webhook": receiver},
                                  status=201).json
        wait_until_rendering(client, export)
        stack["broker"].cut()
        done = wait_for(client, export, timeout=180)
        assert done["status"] == "completed", done["json"]
        time.sleep(3)
        assert Receiver.bodies == [] and "webhook" not in client.get(export["url"]).json["json"]
        stack["broker"].restore()
        back = time.time()
        deadline = back + 60
        while time.time() < deadline and "webhook" not in client.get(export["url"]).json["json"]:
            time.sleep(0.3)
        print(f"webhook delivered {time.time() - back:.1f} s after the broker came back")
        assert client.get(export["url"]).json["json"]["webhook"] == '200: [application/json] {"ok": true}'
        assert [body["url"] for body in Receiver.bodies] == [export["url"]]
        assert Receiver.bodies[0]["status"] == "completed"
    finally:
        stop_worker(worker)


def render_children(worker):
    """The render children (the Python processes running libopenshot) under a worker."""
    found = []
    for process in psutil.Process(worker.pid).children(recursive=True):
        try:
            if CHILD_MODULE in " ".join(process.cmdline()):
                found.append(process)
        except psutil.NoSuchProcess:
            pass
    return [p for p in found if not any(q.pid in {c.pid for c in p.children(recursive=True)} for q in found)]


def test_a_render_child_killed_alone_is_retried_and_the_export_completes(stack, client, media, tmp_path):
    worker = start_worker(stack, "worker-child-killed")
    try:
        project = long_project(client, media, seconds=12)
        export = client.post_json(f"{project['url']}exports/", {"audio_codec": "aac"}, status=201).json
        wait_until_rendering(client, export)
        children = render_children(worker)
        assert children, "no render child found"
        for child in children:  # what the OOM killer does: the child dies, the worker lives
            child.send_signal(signal.SIGKILL)
        done = wait_for(client, export, timeout=240)
        assert done["status"] == "completed", done["json"]
        assert done["json"]["auto_retries"] == 1 and done["json"]["retries"] == 1
        assert worker.poll() is None
        check_output(client, done, tmp_path, 12)
    finally:
        stop_worker(worker)


def test_sigterm_to_a_rendering_workers_process_group_hands_the_export_to_another_worker(
        stack, client, media, tmp_path):
    first = start_worker(stack, "worker-stopped")
    second = None
    try:
        project = long_project(client, media, seconds=12)
        export = client.post_json(f"{project['url']}exports/", {"audio_codec": "aac"}, status=201).json
        wait_until_rendering(client, export)
        second = start_worker(stack, "worker-successor")
        time.sleep(3)  # the successor is consuming
        stopped = time.time()
        os.killpg(first.pid, signal.SIGTERM)  # systemd's stop: SIGTERM to every process
        first.wait(timeout=60)
        print(f"the stopped worker exited in {time.time() - stopped:.1f} s (code {first.returncode})")
        done = wait_for(client, export, timeout=100)  # well before the 120 s heartbeat timeout
        print(f"completed by the successor {time.time() - stopped:.1f} s after the SIGTERM")
        assert done["status"] == "completed", done["json"]
        assert "auto_retries" not in done["json"] and "error" not in done["json"]
        check_output(client, done, tmp_path, 12)
    finally:
        stop_worker(first)
        if second is not None:
            stop_worker(second)


def test_the_api_answers_json_503_while_the_database_is_down_and_a_render_survives_it(
        stack, outages, client, media, tmp_path):
    worker = start_worker(stack, "worker-db-down")
    try:
        project = long_project(client, media, seconds=24)
        export = client.post_json(f"{project['url']}exports/", {"audio_codec": "aac"}, status=201).json
        wait_until_rendering(client, export)
        stack["db"].cut()
        down = time.time()
        assert client.get("/__heartbeat__", status=503).json["database"] is False
        for path in (export["url"], "/projects/", f"{project['url']}exports/"):
            answer = client.get(path, status=503)
            assert answer.content_type == "application/json"
            assert "database" in answer.json["detail"] and answer.headers["Retry-After"].isdigit()
        time.sleep(max(0.0, 10 - (time.time() - down)))
        stack["db"].restore()
        deadline = time.time() + 20
        while time.time() < deadline:  # the API recovers by itself
            if client.get(export["url"], expect_errors=True).status_int == 200:
                break
            time.sleep(0.2)
        assert client.get("/__heartbeat__").json == {"database": True, "broker": True, "storage": True}
        done = wait_for(client, export, timeout=240)
        assert done["status"] == "completed", done["json"]
        # The same attempt finished it: no retry was used.
        assert "retries" not in done["json"] and "auto_retries" not in done["json"]
        check_output(client, done, tmp_path, 24)
    finally:
        stop_worker(worker)


def test_the_development_server_killed_mid_render_finishes_the_export_soon_after_its_restart(
        tmp_path, media):
    """`make run`'s instance (development.ini: SQLite, the embedded worker) killed with SIGKILL:
    started again, it takes the orphaned render back within seconds, not after the heartbeat
    timeout."""
    import shutil
    import socket
    import subprocess

    import requests

    from tests.conftest import ROOT
    from tests.tasks.test_production_workers import VENV_BIN
    shutil.copy(os.path.join(ROOT, "development.ini"), tmp_path / "development.ini")
    ini = str(tmp_path / "development.ini")
    cli = os.path.join(VENV_BIN, "openshot-api")
    subprocess.run([cli, "initdb", ini], check=True, capture_output=True)
    subprocess.run([cli, "create-user", ini, "--username", "dev", "--password", "pw"], check=True,
                   capture_output=True)
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    api = requests.Session()
    api.auth = ("dev", "pw")

    def serve(name):
        log = open(tmp_path / f"{name}.log", "wb")
        process = subprocess.Popen([os.path.join(VENV_BIN, "pserve"), ini, f"http_port={port}"], stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(base + "/", timeout=2).status_code < 500:
                    return process
            except requests.ConnectionError:
                time.sleep(0.2)
        raise AssertionError("the development server did not start")

    def status():
        return api.get(export["url"], timeout=10).json()

    server = serve("first")
    try:
        project = api.post(base + "/projects/", json={"name": "dev", "width": 1280, "height": 720}).json()
        with open(media["red.mp4"], "rb") as src:
            file = api.post(base + "/files/", data={"project": project["url"]},
                            files={"media": ("red.mp4", src, "video/mp4")}).json()
        for position in range(0, 12, 3):
            api.post(base + "/clips/", json={"project": project["url"], "file": file["url"],
                                             "position": position, "end": 3.0}).raise_for_status()
        export = api.post(base + "/exports/", json={"project": project["url"], "audio_codec": "aac"}).json()
        deadline = time.time() + 120
        while time.time() < deadline and not (status()["status"] == "in-progress" and status()["progress"] > 0):
            time.sleep(0.2)
        assert status()["status"] == "in-progress"
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        server = serve("second")
        restarted = time.time()
        deadline = restarted + 50  # the heartbeat timeout (60 s) would come later
        while time.time() < deadline and status()["status"] not in ("completed", "failed"):
            time.sleep(0.3)
        done = status()
        print(f"completed {time.time() - restarted:.1f} s after the restart")
        assert done["status"] == "completed", done
        assert done["json"]["auto_retries"] == 1
        path = tmp_path / "out.mp4"
        path.write_bytes(api.get(export["url"] + "download/").content)
        assert int(stream(probe(str(path)), "video")["nb_read_frames"]) == 360
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
