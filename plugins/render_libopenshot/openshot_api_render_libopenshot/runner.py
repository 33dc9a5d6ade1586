"""Running render children and ffmpeg from the caller's process: progress that never goes back
and is reported at least once a second, cancellation polled every ``POLL_SECONDS``, and every
failure (an error message, a crash, a non-zero exit) turned into a BackendError."""
import json
import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from typing import Callable, Optional

from openshot_api.interfaces import BackendError, WorkerFault

log = logging.getLogger(__name__)

POLL_SECONDS = 0.15      # how often cancelled() is asked
HEARTBEAT_SECONDS = 0.5  # progress is reported at least this often, changed or not
STOP_GRACE_SECONDS = 1.5  # a stopped child may finish its frame and close its writer
STALL_SECONDS = 300.0    # a child silent this long is stuck (libopenshot can hang on odd media)
CHILD_MODULE = "openshot_api_render_libopenshot.child"


class Progress:
    """Passes 0..100 to the caller's callback: monotonic, throttled, with a heartbeat."""

    def __init__(self, callback: Optional[Callable[[float], None]]):
        self.callback = callback
        self.value = 0.0
        self.reported_at = 0.0
        self.reported = None

    def update(self, value: float) -> None:
        """Raise the value (never lower it) and report when due."""
        self.value = max(self.value, min(100.0, float(value)))
        self.tick()

    def finish(self) -> None:
        """Report 100 (once)."""
        self.value = 100.0
        if self.reported != self.value:
            self.tick(force=True)

    def tick(self, force: bool = False) -> None:
        """Report the current value if it changed lately or the heartbeat is due."""
        now = time.monotonic()
        changed = self.reported != self.value
        due = now - self.reported_at >= HEARTBEAT_SECONDS
        if force or due or (changed and now - self.reported_at >= 0.2):
            self.reported_at = now
            self.reported = self.value
            if self.callback is not None:
                self.callback(round(self.value, 2))


def _stop(processes: list) -> None:
    """Ask each live process to stop (SIGTERM), give them the grace period, then kill."""
    alive = [p for p in processes if p.poll() is None]
    for proc in alive:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in alive:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Signals a resource limit sends: the job asked for too much, retrying it elsewhere won't help.
LIMIT_SIGNALS = {signal.SIGXCPU, signal.SIGXFSZ}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def killed_by(code: int) -> Optional[int]:
    """The signal that ended a process with exit status ``code``, or None. A sandboxed process's
    death by signal N comes back from the sandbox as 128+N."""
    if code < 0:
        return -code
    if 128 < code <= 128 + 64:
        return code - 128
    return None


def signal_error(what: str, program: str, number: int) -> BackendError:
    """A limit signal is the job's fault; any other signal is the machine's (retry it)."""
    if number in LIMIT_SIGNALS:
        return BackendError(f"{what} failed: {program} went over its resource limits "
                            f"({_signal_name(number)}).")
    return WorkerFault(f"{what} failed: {program} was killed ({_signal_name(number)}).")


def _tail(path: str, limit: int = 2000) -> str:
    try:
        with open(path, "rb") as src:
            src.seek(max(0, os.path.getsize(path) - limit))
            return src.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def child_command(python: Optional[str] = None) -> list:
    """The plain (unsandboxed) command of a render child; sandbox.py wraps it for real jobs."""
    return [python or sys.executable, "-m", CHILD_MODULE]


def start_child(command: Optional[list] = None, scratch_dir: Optional[str] = None) -> tuple:
    """Start a render child that waits for its job on stdin: ``(process, stderr log path)``."""
    fd, stderr_path = tempfile.mkstemp(prefix="render-child-", suffix=".log", dir=scratch_dir)
    with os.fdopen(fd, "wb") as errors:
        # A session of its own: a signal to the worker's process group (a deploy stopping it)
        # must not reach the child; the worker decides whether it finishes or stops.
        proc = subprocess.Popen(command or child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=errors, close_fds=True, start_new_session=True)
    return proc, stderr_path


class Child:
    """One render child: started with a job, read line by line until it answers. ``command``
    starts it (a sandboxed one from sandbox.py, whose exit status 128+N means signal N)."""

    def __init__(self, job: dict, scratch_dir: Optional[str] = None, frames: int = 0,
                 command: Optional[list] = None, started: Optional[tuple] = None):
        self.frames = frames
        self.done = 0
        self.answer = None
        self.buffer = b""
        self.eof = False
        self.heard_at = time.monotonic()
        if started is not None:
            self.proc, self.stderr_path = started  # from start_child(), waiting for its job
        else:
            self.proc, self.stderr_path = start_child(command, scratch_dir)
        try:
            self.proc.stdin.write(json.dumps(job).encode())
            self.proc.stdin.close()
        except BrokenPipeError:
            pass  # it died at start; its exit status says how

    def fileno(self) -> int:
        """The pipe to wait on with select()."""
        return self.proc.stdout.fileno()

    def pump(self) -> None:
        """Read what the child has written and act on whole lines."""
        chunk = os.read(self.fileno(), 65536)
        self.heard_at = time.monotonic()
        if not chunk:
            self.eof = True
            return
        self.buffer += chunk
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "done" in message:
                self.done = int(message["done"])
            else:
                self.answer = message

    def outcome(self, what: str):
        """The child's result; BackendError for an error, a crash or a missing answer."""
        code = self.proc.wait()
        if self.answer and "result" in self.answer:
            return self.answer["result"]
        if self.answer and self.answer.get("cancelled"):
            raise BackendError("cancelled")
        details = _tail(self.stderr_path)
        if self.answer and "error" in self.answer:
            log.debug("%s failed; its log ends with:\n%s", what, details)
            raise BackendError(f"{what} failed: {self.answer['error']}")
        if details:
            log.warning("%s failed; its log ends with:\n%s", what, details)
        number = killed_by(code)
        if number is not None:
            raise signal_error(what, "libopenshot", number)
        raise BackendError(f"{what} failed: the render process ended without an answer (exit {code}).")

    def cleanup(self) -> None:
        """Close the pipe and drop the log."""
        if self.proc.stdout:
            self.proc.stdout.close()
        try:
            os.unlink(self.stderr_path)
        except OSError:
            pass


def run_children(jobs: list, what: str, progress: Optional[Progress] = None,
                 cancelled: Callable[[], bool] = lambda: False, span=(0.0, 100.0),
                 scratch_dir: Optional[str] = None, command: Optional[list] = None,
                 stall_seconds: float = STALL_SECONDS, started: Optional[list] = None) -> list:
    """Run ``jobs`` (each ``(job_dict, frames)``) in parallel children; return their results in
    order. Progress moves through ``span`` as frames are done; when ``cancelled()`` turns True
    the children are stopped and BackendError("cancelled") is raised; the first failure stops
    the others and is raised, as is a child silent for ``stall_seconds``. ``command`` starts
    each child (default: this interpreter, unsandboxed)."""
    children = []
    try:
        started = list(started or [])
        for job, frames in jobs:
            children.append(Child(job, scratch_dir, frames, command, started.pop(0) if started else None))
        total = sum(c.frames for c in children) or 1
        low, high = span
        while True:
            waiting = [c for c in children if not c.eof]
            if not waiting:
                break
            readable, _, _ = select.select(waiting, [], [], POLL_SECONDS)
            for child in readable:
                child.pump()
            if progress is not None:
                progress.update(low + (high - low) * sum(c.done for c in children) / total)
            if cancelled():
                _stop([c.proc for c in children])
                raise BackendError("cancelled")
            if any(time.monotonic() - c.heard_at > stall_seconds for c in waiting):
                _stop([c.proc for c in children])
                raise BackendError(f"{what} failed: libopenshot stopped making progress "
                                   f"(nothing for {stall_seconds:.0f} s).")
            # A child that closed its pipe without a result failed (error message or crash).
            failed = [c for c in children if c.eof and not (c.answer and "result" in c.answer)]
            if failed:
                _stop([c.proc for c in children])
                failed[0].outcome(what)
        results = [c.outcome(what) for c in children]
        if progress is not None:
            progress.update(high)
        return results
    finally:
        _stop([c.proc for c in children])
        for child in children:
            child.cleanup()


def run_child(job: dict, what: str, timeout: float = 300.0, scratch_dir: Optional[str] = None,
              command: Optional[list] = None, started: Optional[tuple] = None):
    """Run one short job (probe, thumbnail) in a child (``started``: one from start_child())
    and return its result."""
    deadline = time.monotonic() + timeout

    def too_late():
        if time.monotonic() > deadline:
            raise BackendError(f"{what} failed: it took longer than {timeout:.0f} s.")
        return False

    return run_children([(job, 0)], what, cancelled=too_late, scratch_dir=scratch_dir, command=command,
                        started=[started] if started else None)[0]


def run_command(cmd: list, what: str, progress: Optional[Progress] = None,
                cancelled: Callable[[], bool] = lambda: False, scratch_dir: Optional[str] = None) -> None:
    """Run an ffmpeg command to the end, keeping the heartbeat and obeying cancellation."""
    fd, errors_path = tempfile.mkstemp(prefix="render-ffmpeg-", suffix=".log", dir=scratch_dir)
    try:
        with os.fdopen(fd, "wb") as errors:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=errors, close_fds=True, start_new_session=True)
        try:
            while True:
                try:
                    proc.wait(POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if progress is not None:
                    progress.tick()
                if cancelled():
                    raise BackendError("cancelled")
        finally:
            _stop([proc])
        number = killed_by(proc.returncode)
        if number is not None:
            raise signal_error(what, "ffmpeg", number)
        if proc.returncode != 0:
            details = _tail(errors_path, 600) or f"exit status {proc.returncode}"
            raise BackendError(f"{what} failed: {details}")
    finally:
        os.unlink(errors_path)
