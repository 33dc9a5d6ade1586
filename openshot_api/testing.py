"""Test support shared by the core's and the plugins' tests: contract suites that every backend
of a family reuses by subclassing, and helpers to run the real services tests need.

Imported by tests only (it needs pytest).

Storage backends::

    from openshot_api.testing import StorageContract

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def storage(self, tmp_path):
            return MyStorage(...)

Services (emulators, servers): start them on ``free_port()`` with ``running_process``; when one
cannot run here, call ``missing_service(...)``, which skips the test on a developer machine and
fails it in CI (``CI=true``), where every service must run.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from typing import Iterator, NoReturn, Optional, Sequence

import pytest
import requests

MiB = 1024 * 1024


# --- services ------------------------------------------------------------------------------

def in_ci() -> bool:
    """Return True when running in CI (the environment has ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() == "true"


def missing_service(what: str) -> NoReturn:
    """Stop the current test because ``what`` (a service or tool) is not available: a failure
    in CI, a skip elsewhere. The message says what is missing."""
    if in_ci():
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float,
                  process: Optional[subprocess.Popen] = None) -> float:
    """Wait until something accepts connections on ``host:port``; return the seconds waited.

    Raises RuntimeError after ``timeout`` seconds, or at once when ``process`` exits first.
    """
    started = time.monotonic()
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return time.monotonic() - started
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process exited with status {process.returncode} before listening on {port}")
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"nothing listened on {host}:{port} within {timeout} s")
        time.sleep(0.05)


@contextlib.contextmanager
def running_process(argv: Sequence[str], port: int, name: str, host: str = "127.0.0.1",
                    timeout: float = 60, env: Optional[dict] = None,
                    cwd: Optional[str] = None) -> Iterator[subprocess.Popen]:
    """Run ``argv`` until the block ends, once it listens on ``host:port``.

    A missing executable calls ``missing_service(name)``. When it does not start listening, the
    test fails with the end of its output. On exit it is terminated (killed after 10 s).
    """
    if shutil.which(argv[0]) is None:
        missing_service(f"{name} ({argv[0]})")
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                               start_new_session=True)
    try:
        try:
            wait_for_port(host, port, timeout, process)
        except RuntimeError as exc:
            log.seek(0)
            output = log.read()[-2000:].decode(errors="replace")
            pytest.fail(f"{name} did not start: {exc}\n{output}", pytrace=False)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# --- storage -------------------------------------------------------------------------------

class ChunkedStream:
    """An upload body the way a web server hands one over: only ``read(size)`` with a size,
    no seeking, no length.

    Every requested size is kept in ``reads``. A read without a size (which would pull the
    whole body into memory) or larger than ``max_read`` raises ValueError and is kept in
    ``violations`` too, in case the backend swallows the error.
    """

    def __init__(self, data: bytes, max_read: int):
        self._body = io.BytesIO(data)
        self.max_read = max_read
        self.reads: list[int] = []
        self.violations: list[str] = []

    def readable(self) -> bool:
        """Always True."""
        return True

    def read(self, size: Optional[int] = -1) -> bytes:
        """Return at most ``size`` bytes; refuse to read everything or more than ``max_read``."""
        if size is None or size < 0:
            self.violations.append("read() without a size")
            raise ValueError("this stream must be read in chunks: read() needs a size")
        if size > self.max_read:
            self.violations.append(f"read({size}) over {self.max_read}")
            raise ValueError(f"read({size}) asks for more than {self.max_read} bytes at once")
        self.reads.append(size)
        return self._body.read(size)

    @property
    def fully_read(self) -> bool:
        """True once every byte has been handed out."""
        return self._body.tell() == len(self._body.getbuffer())

    def close(self) -> None:
        """Nothing to release."""


def payload(size: int, seed: str = "") -> bytes:
    """Return ``size`` bytes that differ from one ``seed`` to another (not compressible)."""
    block = hashlib.sha256(seed.encode()).digest()
    out = bytearray()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block * 64 if size - len(out) > 4096 else block
    return bytes(out[:size])


def digest_of(stream, chunk: int = 256 * 1024) -> tuple[int, str]:
    """Return ``(size, sha256 hex)`` of what ``stream`` yields, read in chunks."""
    sha, size = hashlib.sha256(), 0
    while True:
        data = stream.read(chunk)
        if not data:
            return size, sha.hexdigest()
        sha.update(data)
        size += len(data)


def _digest(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


class StorageContract:
    """What every ``openshot_api.interfaces.Storage`` backend must do.

    A subclass named ``Test...`` provides a ``storage`` fixture returning the backend to test
    (one per test or shared: every test works under its own random key folder). Class
    attributes tune it:

    - ``expects_url``: True when ``url()`` must return a URL (cloud backends); when False it may
      return None. A returned URL is always fetched and compared.
    - ``max_read_size``: the largest single ``read(size)`` ``save()`` may ask of an upload
      stream; the large-object test uses an object bigger than it.
    """

    expects_url = False
    max_read_size = 8 * MiB

    @pytest.fixture
    def folder(self) -> str:
        """A key folder no other test uses."""
        return f"contract-{uuid.uuid4().hex[:12]}/"

    def save(self, storage, key, data, content_type="application/octet-stream"):
        """Save ``data`` under ``key`` through a ChunkedStream; check the count and the reads."""
        stream = ChunkedStream(data, self.max_read_size)
        stored = storage.save(key, stream, content_type)
        assert stream.violations == [], f"save() read the stream wrongly: {stream.violations}"
        assert stream.fully_read, "save() stopped before the end of the stream"
        assert stored == len(data)
        return stream

    def assert_holds(self, storage, key, data):
        """Check every way of reading ``key`` gives ``data``: open, size, local_path, url."""
        expected = _digest(data)
        with storage.open(key) as stream:
            assert digest_of(stream) == expected
        assert storage.size(key) == len(data)
        with open(storage.local_path(key), "rb") as local:
            assert digest_of(local) == expected
        url = storage.url(key)
        if url is None:
            assert not self.expects_url, "url() returned None"
        else:
            with requests.get(url, stream=True, timeout=30) as response:
                assert response.status_code == 200, f"GET {url}: HTTP {response.status_code}"
                assert digest_of(response.raw) == expected

    def test_save_reads_the_stream_in_bounded_chunks_and_returns_its_size(self, storage, folder):
        data = payload(300 * 1024 + 3, "small")
        stream = self.save(storage, folder + "clip.mp4", data, "video/mp4")
        assert stream.reads and max(stream.reads) <= self.max_read_size

    def test_saved_bytes_come_back_from_open_size_local_path_and_url(self, storage, folder):
        data = payload(123457, "round trip")
        self.save(storage, folder + "video/files/12/clip.mp4", data, "video/mp4")
        self.assert_holds(storage, folder + "video/files/12/clip.mp4", data)

    def test_open_returns_a_stream_that_can_be_read_in_small_chunks(self, storage, folder):
        data = payload(100000, "chunks")
        self.save(storage, folder + "a.bin", data)
        parts = []
        with storage.open(folder + "a.bin") as stream:
            while chunk := stream.read(7000):
                assert len(chunk) <= 7000
                parts.append(chunk)
        assert b"".join(parts) == data

    def test_a_large_object_round_trips_without_being_read_whole(self, storage, folder):
        data = payload(self.max_read_size + MiB + 7, "large")
        assert len(data) > 5 * MiB
        stream = self.save(storage, folder + "large.mp4", data, "video/mp4")
        assert len(stream.reads) >= 2 and max(stream.reads) < len(data)
        self.assert_holds(storage, folder + "large.mp4", data)

    def test_an_empty_object_can_be_stored(self, storage, folder):
        self.save(storage, folder + "empty.txt", b"", "text/plain")
        assert storage.exists(folder + "empty.txt")
        self.assert_holds(storage, folder + "empty.txt", b"")

    def test_save_also_takes_an_ordinary_file_object(self, storage, folder):
        assert storage.save(folder + "f.txt", io.BytesIO(b"plain file"), None) == 10
        self.assert_holds(storage, folder + "f.txt", b"plain file")

    def test_keys_with_spaces_and_unusual_characters_work(self, storage, folder):
        key = folder + "files/My clip – été #1 +50% (final)&.mp4"
        self.save(storage, key, b"odd name", "video/mp4")
        assert storage.exists(key)
        assert list(storage.list(folder + "files/")) == [(key, 8)]
        self.assert_holds(storage, key, b"odd name")

    def test_exists_is_true_only_for_saved_keys(self, storage, folder):
        self.save(storage, folder + "dir/file.txt", b"x")
        assert storage.exists(folder + "dir/file.txt")
        assert not storage.exists(folder + "dir/file")
        assert not storage.exists(folder + "dir/other.txt")

    def test_saving_again_replaces_the_object(self, storage, folder):
        key = folder + "replace.mp4"
        self.save(storage, key, payload(50000, "first"))
        storage.local_path(key)  # a cached copy must not outlive the replacement
        storage.url(key)
        second = payload(20000, "second")
        self.save(storage, key, second)
        self.assert_holds(storage, key, second)
        assert list(storage.list(folder)) == [(key, 20000)]

    def test_delete_removes_the_object_and_may_be_repeated(self, storage, folder):
        self.save(storage, folder + "gone.txt", b"bye")
        storage.delete(folder + "gone.txt")
        assert not storage.exists(folder + "gone.txt")
        with pytest.raises(KeyError):
            storage.open(folder + "gone.txt")
        storage.delete(folder + "gone.txt")

    def test_absent_keys_raise_key_error(self, storage, folder):
        absent = folder + "never/saved.mp4"
        assert not storage.exists(absent)
        for method in (storage.open, storage.size, storage.local_path):
            with pytest.raises(KeyError):
                method(absent)
        with pytest.raises(KeyError):
            storage.copy(absent, folder + "copy.mp4")
        storage.delete(absent)
        assert not storage.exists(folder + "copy.mp4")

    def test_copy_makes_an_independent_duplicate(self, storage, folder):
        data = payload(70000, "copy")
        self.save(storage, folder + "src/a.mp4", data)
        storage.copy(folder + "src/a.mp4", folder + "dst/b.mp4")
        self.assert_holds(storage, folder + "dst/b.mp4", data)
        self.save(storage, folder + "src/a.mp4", b"changed")
        storage.delete(folder + "src/a.mp4")
        self.assert_holds(storage, folder + "dst/b.mp4", data)

    def test_list_yields_every_key_starting_with_the_prefix_and_its_size(self, storage, folder):
        sizes = {"a/1.mp4": 10, "a/2.png": 20, "a/sub/3.txt": 30, "ab.txt": 40, "b/4.txt": 50}
        for name, size in sizes.items():
            self.save(storage, folder + name, payload(size, name))
        assert sorted(storage.list(folder + "a/")) == [
            (folder + "a/1.mp4", 10), (folder + "a/2.png", 20), (folder + "a/sub/3.txt", 30)]
        assert sorted(storage.list(folder + "a")) == [
            (folder + "a/1.mp4", 10), (folder + "a/2.png", 20), (folder + "a/sub/3.txt", 30),
            (folder + "ab.txt", 40)]
        assert sorted(storage.list(folder)) == sorted((folder + n, s) for n, s in sizes.items())
        assert list(storage.list(folder + "c/")) == []

    def test_the_backend_answers_its_heartbeat(self, storage):
        assert storage.heartbeat() is True


class CloudStorageContract(StorageContract):
    """``StorageContract`` plus what a cloud backend adds: a URL for every object and a
    bounded local cache behind ``local_path`` (``storage.cache``, an
    ``openshot_api.fetch.DownloadCache``)."""

    expects_url = True

    def test_local_path_reuses_its_cached_copy_while_the_object_is_unchanged(self, storage, folder):
        self.save(storage, folder + "clip.mp4", payload(40000, "cached"))
        first = storage.local_path(folder + "clip.mp4")
        inode = os.stat(first).st_ino
        assert os.path.dirname(first) == storage.cache.root
        assert first.endswith(".mp4"), "media readers need the extension"
        assert storage.local_path(folder + "clip.mp4") == first
        assert os.stat(first).st_ino == inode, "an unchanged object must not be downloaded again"

    def test_the_local_cache_evicts_the_least_recently_used_copies(self, storage, folder):
        storage.cache.max_bytes, storage.cache.keep_seconds = 250000, 0
        paths = []
        for n in range(3):
            self.save(storage, folder + f"{n}.bin", payload(100000, str(n)))
            paths.append(storage.local_path(folder + f"{n}.bin"))
            os.utime(paths[-1], (time.time() - 100 + n, time.time() - 100 + n))
        assert [os.path.exists(p) for p in paths] == [False, True, True]
        total = sum(e.stat().st_size for e in os.scandir(storage.cache.root) if e.is_file())
        assert total <= 250000
