"""Render children started ahead of need, for the short jobs users wait on (probes of uploads,
thumbnails): a child's interpreter, libopenshot and Qt take most of a second to start, the job
itself a few milliseconds.

A warm child is sandboxed from the start, so it cannot see the media of the job it will get.
It gets a private scratch folder and an empty staging folder, bound read-only into its box;
when a job comes, that job's files are hard-linked into the staging folder (no copy; the box
sees them through the bind, and cannot write them) and the job's paths are rewritten to them.
Each child does one job and exits, so it never holds one user's media when it serves another.
When a file cannot be linked (another file system), the job runs in a child started for it.
"""
import atexit
import json
import logging
import os
import queue
import shutil
import tempfile
import threading
from typing import Optional

from . import runner

log = logging.getLogger(__name__)


class WarmChild:
    """A started child waiting for its job, with its scratch and staging folders."""

    def __init__(self, process, stderr_path, scratch, staging):
        self.started = (process, stderr_path)
        self.scratch = scratch
        self.staging = staging
        self.links = {}

    @property
    def alive(self):
        return self.started[0].poll() is None

    def stage(self, paths) -> Optional[dict]:
        """Link ``paths`` into the staging folder; ``{original: staged}``, or None when one of
        them could not be linked."""
        for index, path in enumerate(dict.fromkeys(paths)):
            staged = os.path.join(self.staging, f"{index}-{os.path.basename(path)}")
            try:
                os.link(path, staged)
            except OSError:
                return None
            self.links[path] = staged
        return dict(self.links)

    def discard(self):
        """Stop the child (if it never got a job) and remove its folders."""
        process = self.started[0]
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()
        try:
            os.unlink(self.started[1])
        except OSError:
            pass
        shutil.rmtree(self.scratch, ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)


def rewrite(job: dict, links: dict) -> dict:
    """``job`` with every string equal to an original path replaced by its staged link."""
    if not links:
        return job
    text = json.dumps(job)
    for original, staged in links.items():
        text = text.replace(json.dumps(original), json.dumps(staged))
    return json.loads(text)


class WarmPool:
    """Keeps ``size`` warm children ready. One long-lived thread starts them all: a child (and
    bubblewrap) dies with the thread that started it (PR_SET_PDEATHSIG), so no short-lived
    thread may be its parent."""

    def __init__(self, spawn, size: int):
        self.spawn = spawn  # () -> WarmChild
        self.size = size
        self.ready = queue.Queue()
        self.wanted = threading.Semaphore(0)
        self.lock = threading.Lock()
        self.thread = None

    def close(self):
        """Stop the children still waiting (at exit: their folders would stay behind)."""
        while True:
            try:
                self.ready.get_nowait().discard()
            except queue.Empty:
                return

    def _start(self):
        with self.lock:
            if self.thread is None:
                atexit.register(self.close)
                self.thread = threading.Thread(target=self._keep_filled, name="warm-render-children", daemon=True)
                for _ in range(self.size):
                    self.wanted.release()
                self.thread.start()

    def _keep_filled(self):
        while True:
            self.wanted.acquire()
            try:
                self.ready.put(self.spawn())
            except Exception:
                log.exception("could not start a warm render child")
                threading.Event().wait(5.0)
                self.wanted.release()

    def take(self) -> Optional[WarmChild]:
        """A ready child, or None when none is ready yet (the caller starts one for its job)."""
        if self.size <= 0:
            return None
        self._start()
        while True:
            try:
                child = self.ready.get_nowait()
            except queue.Empty:
                return None
            self.wanted.release()  # start its replacement
            if child.alive:
                return child
            child.discard()


def make_spawn(sandbox, limits, python, work_dir):
    """The function that starts one warm child with its own folders."""
    def spawn() -> WarmChild:
        if work_dir:
            os.makedirs(work_dir, exist_ok=True)
        scratch = tempfile.mkdtemp(prefix=".warm-", dir=work_dir)
        staging = scratch + ".in"
        os.mkdir(staging, 0o755)
        sandbox.prepare_scratch(scratch)
        command = sandbox.python_command(runner.CHILD_MODULE, [], scratch, limits, python, staging=staging)
        process, stderr_path = runner.start_child(command, scratch)
        return WarmChild(process, stderr_path, scratch, staging)
    return spawn
