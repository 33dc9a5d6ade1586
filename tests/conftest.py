"""Shared fixtures: real media made by ffmpeg, the app on SQLite and on PostgreSQL, users, and
an in-process Dramatiq worker for tests that render."""
import base64
import itertools
import os
import subprocess
import uuid

import psycopg2
import pytest
import webtest

from openshot_api.app import make_app

HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(HERE)
PG_DSN = os.environ.get("OPENSHOT_API_TEST_PG", "host=127.0.0.1 port=5432 dbname=test")
IN_CI = os.environ.get("CI") == "true"


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    """Small media files: 3 s red and blue videos with a tone, a green PNG, a 2 s tone WAV."""
    folder = tmp_path_factory.mktemp("media")
    files = {
        "red.mp4": ["-f", "lavfi", "-i", "color=c=red:s=320x240:r=30:d=3", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=44100:duration=3", "-c:v", "libx264", "-pix_fmt",
                    "yuv420p", "-c:a", "aac", "-shortest"],
        "blue.mp4": ["-f", "lavfi", "-i", "color=c=blue:s=320x240:r=30:d=3", "-f", "lavfi", "-i",
                     "sine=frequency=880:sample_rate=44100:duration=3", "-c:v", "libx264", "-pix_fmt",
                     "yuv420p", "-c:a", "aac", "-shortest"],
        "green.png": ["-f", "lavfi", "-i", "color=c=0x00ff00:s=160x120", "-frames:v", "1"],
        "tone.wav": ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2", "-ac", "2"],
    }
    for name, args in files.items():
        ffmpeg(*args, str(folder / name))
    (folder / "notes.txt").write_text("not a media file\n")
    return {name: str(folder / name) for name in [*files, "notes.txt"]}


def _postgres_url():
    """A fresh PostgreSQL database for this run, dropped at the end; None when there is none."""
    try:
        conn = psycopg2.connect(PG_DSN, connect_timeout=3)
    except psycopg2.OperationalError:
        if IN_CI:
            raise
        return None, None
    conn.autocommit = True
    name = f"openshot_test_{uuid.uuid4().hex[:10]}"
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
        cur.execute("SELECT current_user")
        user = cur.fetchone()[0]
    conn.close()

    def drop():
        conn = psycopg2.connect(PG_DSN)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
    return f"postgresql+psycopg2://{user}@127.0.0.1:5432/{name}", drop


def base_settings(tmp, url):
    return {
        "sqlalchemy.url": url,
        "openshot_api.storage": "local",
        "openshot_api.storage.root": str(tmp / "media"),
        "openshot_api.var_dir": str(tmp / "var"),
        "openshot_api.work_dir": str(tmp / "work"),
        "openshot_api.broker": "embedded",
        "openshot_api.embedded_worker": "false",
        "openshot_api.renderer": "libopenshot",
        "openshot_api.transcriber": "whisper",
        "openshot_api.page_size": "5",
        "openshot_api.allow_private_urls": "true",
        "openshot_api.session_secret": "test-secret",
    }


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def app_settings(request, tmp_path_factory):
    """The app's settings on each database; the schema is made by the real migrations."""
    from openshot_api.cli import initdb
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp}/test.sqlite", None
    else:
        url, drop = _postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not running (CI=true makes this a failure)")
    settings = base_settings(tmp, url)
    initdb(dict(settings))
    yield settings
    if drop:
        from openshot_api.worker import current
        try:
            current().session_factory.kw["bind"].dispose()
        except Exception:
            pass
        drop()


@pytest.fixture(scope="session")
def wsgi_app(app_settings):
    app = make_app({}, dict(app_settings))
    yield app
    # Before the database is dropped: the keeper would go on polling it.
    app.app.registry["job_keeper"].stop()


@pytest.fixture(scope="session")
def registry(wsgi_app):
    return wsgi_app.app.registry


_usernames = itertools.count()


@pytest.fixture
def make_user(registry):
    """Create a user directly in the database; returns (username, password, token)."""
    import transaction
    from openshot_api.auth import create_user
    from openshot_api.db import get_tm_session

    def make(is_admin=False):
        username = f"user{next(_usernames)}-{uuid.uuid4().hex[:6]}"
        password = "pw-" + uuid.uuid4().hex[:8]
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            session = get_tm_session(registry["dbsession_factory"], tm)
            user = create_user(session, username, password, is_admin=is_admin)
            token = user.token.key
        return username, password, token
    return make


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def anon(wsgi_app):
    return webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})


@pytest.fixture
def api(wsgi_app, make_user):
    """A client authenticated with Basic auth as a fresh user."""
    username, password, token = make_user()
    app = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    app.authorization = ("Basic", (username, password))
    app.username, app.password, app.token = username, password, token
    return app


@pytest.fixture
def other_api(wsgi_app, make_user):
    """A second, unrelated user."""
    username, password, token = make_user()
    app = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "testserver"})
    app.authorization = ("Basic", (username, password))
    return app


@pytest.fixture
def worker(wsgi_app):
    """Dramatiq worker threads on the app's broker; ``worker.join()`` waits for queued jobs."""
    import dramatiq
    broker = dramatiq.get_broker()
    w = dramatiq.Worker(broker, worker_threads=2, worker_timeout=50)
    w.start()

    class Handle:
        def join(self, timeout=120):
            for queue in ("render", "webhooks", "default"):
                if queue in broker.queues:
                    broker.join(queue, timeout=timeout * 1000)
            w.join()
    yield Handle()
    w.stop()
