"""Fixtures of the browser tests: the app served for real by waitress in a child process, and
headless Chromium (Debian's ``chromium``) driven by Playwright, recording every request."""
import json
import os
import shutil
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import IN_CI, base_settings

HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))
ARTIFACTS = os.path.join(ROOT, "artifacts")
CHROMIUM = os.environ.get("OPENSHOT_API_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def missing(what):
    """Skip when a tool is absent, except in CI where a missing tool is a failure."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not installed (CI=true makes this a failure)")


class LiveServer:
    """A running instance: ``url``, the user's ``username``/``password``, and ``api``, a
    requests session authenticated with Basic auth."""

    def __init__(self, url, username, password, log_path):
        self.url, self.username, self.password, self.log_path = url, username, password, log_path
        self.api = requests.Session()
        self.api.auth = (username, password)
        self.api.headers["Accept"] = "application/json"

    def log_tail(self, size=4000):
        with open(self.log_path, errors="replace") as log:
            return log.read()[-size:]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served by waitress on a free 127.0.0.1 port with SQLite, local storage and the
    embedded worker, in its own process (its broker and worker stay out of this one)."""
    tmp = tmp_path_factory.mktemp("live")
    settings = base_settings(tmp, f"sqlite:///{tmp}/live.sqlite")
    settings.update({"openshot_api.embedded_worker": "true", "openshot_api.embedded_worker_threads": "1",
                     "openshot_api.page_size": "10"})
    username, password = "browser-user", "browser-pass-1"
    log_path = str(tmp / "server.log")
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, os.path.join(HERE, "live_server.py"), json.dumps(settings),
                                username, password], stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
    line = process.stdout.readline()
    if not line.startswith("READY"):
        process.kill()
        log.close()
        raise RuntimeError(f"the server did not start: {line!r}\n{open(log_path).read()[-4000:]}")
    server = LiveServer(f"http://127.0.0.1:{int(line.split()[1])}", username, password, log_path)
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
def chromium():
    """A Playwright Chromium browser: Debian's binary, never a downloaded one."""
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        missing("Chromium (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python (PyPI package playwright)")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM)
                                         else shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


class RecordedPage:
    """A page in a fresh browser context, with every request URL it made in ``requests``."""

    def __init__(self, context, page):
        self.context, self.page, self.requests, self.console_errors = context, page, [], []
        context.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))

    def foreign_requests(self):
        """Requests that left this machine: any http(s)/ws(s) host that is not loopback."""
        foreign = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK:
                foreign.append(url)
        return foreign

    def screenshot(self, name, full_page=True):
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, name)
        self.page.screenshot(path=path, full_page=full_page)
        return path


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    recorded = RecordedPage(context, context.new_page())
    recorded.page.set_default_timeout(20000)
    yield recorded
    context.close()


def wait_for(predicate, timeout=30.0, interval=0.2):
    """Poll ``predicate`` until it returns a true value; return it, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(interval)
