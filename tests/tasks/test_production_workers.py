"""The production way: PostgreSQL, RabbitMQ on 127.0.0.1:5672 and separate `openshot-api worker`
processes — an export rendered end to end, and a worker killed mid-render."""
import os
import signal
import subprocess
import sys
import time
import uuid

import psutil
import pytest
import webtest

from openshot_api.app import make_app
from tests.conftest import IN_CI, _postgres_url, base_settings
from tests.factories import create_clip, create_project, upload_file
from tests.functional.test_exports import download, wait_for
from tests.media_checks import close, pixel_at, probe, stream

VENV_BIN = os.path.dirname(sys.executable)


def _rabbitmq_vhost():
    """A vhost of our own, so no other consumer on this broker takes our jobs."""
    name = f"openshot-test-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True, timeout=60)
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        if IN_CI:
            raise
        pytest.skip("RabbitMQ (rabbitmqctl) is not available (CI=true makes this a failure)")
    return name


def write_ini(path, settings, level="WARNING"):
    """An ini file serving ``settings`` (for `openshot-api worker`), logging to stderr."""
    path.write_text("[app:main]\nuse = egg:openshot-api\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())
                    + "\n[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n"
                      f"[logger_root]\nlevel = {level}\nhandlers = console\n[handler_console]\n"
                      "class = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n"
                      "[formatter_generic]\nformat = %(asctime)s %(levelname)s [%(name)s] %(message)s\n")
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """An ini like production.ini, its database and vhost, and the app served in-process."""
    import dramatiq
    from openshot_api import worker as worker_module
    from openshot_api.broker import use_broker
    from openshot_api.cli import initdb

    url, drop = _postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not running (CI=true makes this a failure)")
    vhost = _rabbitmq_vhost()
    tmp = tmp_path_factory.mktemp("production")
    settings = base_settings(tmp, url)
    settings.update({
        "openshot_api.broker": "rabbitmq",
        "openshot_api.broker_url": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
        "openshot_api.export_heartbeat_timeout": "4",
    })
    ini = write_ini(tmp / "production-test.ini", settings)
    initdb(dict(settings))
    previous_broker, previous_context = dramatiq.get_broker(), worker_module._context
    app = make_app({}, dict(settings))
    yield {"ini": str(ini), "app": app, "tmp": tmp}
    # Later tests keep using the in-memory broker and context they had.
    use_broker(previous_broker)
    worker_module.set_context(previous_context)
    app.app.registry["db_engine"].dispose()
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)
    if drop:
        drop()


def start_worker(stack, name):
    log = open(stack["tmp"] / f"{name}.log", "wb")
    process = subprocess.Popen([os.path.join(VENV_BIN, "openshot-api"), "worker", stack["ini"], "--processes", "1",
                                "--threads", "1"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return process


def stop_worker(process, sig=signal.SIGTERM):
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def client(stack, make_user_in):
    username, password = make_user_in(stack["app"])
    app = webtest.TestApp(stack["app"], extra_environ={"HTTP_HOST": "testserver"})
    app.authorization = ("Basic", (username, password))
    return app


@pytest.fixture
def make_user_in():
    import transaction
    from openshot_api.auth import create_user
    from openshot_api.db import get_tm_session

    def make(app):
        username, password = f"prod-{uuid.uuid4().hex[:8]}", "pw"
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            create_user(get_tm_session(app.app.registry["dbsession_factory"], tm), username, password)
        return username, password
    return make


def test_export_is_rendered_by_a_separate_worker_process_over_rabbitmq(stack, client, media, tmp_path):
    worker = start_worker(stack, "worker-e2e")
    try:
        project = create_project(client)
        file = upload_file(client, project, media["blue.mp4"])
        create_clip(client, project, file, end=2.0)
        export = client.post_json(f"{project['url']}exports/", {"audio_codec": "aac"}, status=201).json
        done = wait_for(client, export, timeout=180)
        assert done["status"] == "completed", done["json"]
        path = download(client, done, tmp_path, "prod.mp4")
        info = probe(path)
        assert int(stream(info, "video")["nb_read_frames"]) == 60
        assert close(pixel_at(path, 1.0, 160, 120), (0, 0, 255))
    finally:
        stop_worker(worker)


def test_an_export_whose_worker_is_killed_is_retried_once_and_completes(stack, client, media):
    project = create_project(client, width=1280, height=720)
    file = upload_file(client, project, media["red.mp4"])
    for position in range(0, 45, 3):
        create_clip(client, project, file, position=float(position))
    doomed = start_worker(stack, "worker-doomed")
    export = client.post_json(f"{project['url']}exports/", {"audio_codec": "aac"}, status=201).json
    deadline = time.time() + 120
    while time.time() < deadline:
        current = client.get(export["url"]).json
        if current["status"] == "in-progress" and current["progress"] > 0:
            break
        time.sleep(0.2)
    assert current["status"] == "in-progress", current
    # The whole worker, its processes and any render child, dies at once, as on a lost machine.
    victims = [doomed.pid] + [p.pid for p in psutil.Process(doomed.pid).children(recursive=True)]
    stop_worker(doomed, signal.SIGKILL)

    def alive(pid):
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
    # Render children die with their worker (they are told when their parent goes).
    deadline = time.time() + 5
    while time.time() < deadline and any(alive(pid) for pid in victims):
        time.sleep(0.1)
    assert not [pid for pid in victims if alive(pid)]
    rescuer = start_worker(stack, "worker-rescuer")
    try:
        done = wait_for(client, export, timeout=300)
        assert done["status"] == "completed", done["json"]
        assert done["json"]["retries"] == 1 and done["json"]["auto_retries"] == 1
    finally:
        stop_worker(rescuer)
