"""Entry point of the render child: ``python -m openshot_api_render_libopenshot.child``.

libopenshot runs only in these short-lived processes, never in the web or worker process,
because its Python bindings hold the GIL for every call (a render would freeze the caller's
threads), a crash in it would take the caller down, and it opens a ZeroMQ socket per process.

Protocol: the parent writes one json job on stdin and closes it. The child answers json lines on
the stdout it was started with — ``{"done": frames}`` while working, then ``{"result": ...}``,
``{"error": message}`` or ``{"cancelled": true}``. Everything libopenshot, Qt or ffmpeg print
goes to stderr, which the parent keeps for its log. SIGTERM asks the child to stop after the
current frame, close its writer and answer ``{"cancelled": true}``.
"""
import ctypes
import json
import os
import signal
import sys
import traceback


class Channel:
    """The line-json channel back to the parent, on a private copy of the original stdout."""

    def __init__(self):
        self.out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
        os.dup2(2, 1)  # C/C++ code printing to stdout must not corrupt the channel
        self.stop_requested = False

    def send(self, **message) -> None:
        """Write one message line."""
        self.out.write(json.dumps(message) + "\n")
        self.out.flush()

    def cancelled(self) -> bool:
        """True once the parent asked this child to stop."""
        return self.stop_requested


def _die_with_parent() -> None:
    # A render must not outlive the worker that asked for it.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run(job: dict, channel: Channel):
    """Do ``job`` (its ``op``: probe, render, thumbnail) and return its result."""
    from . import los
    los.setup(job.get("settings") or {})
    op = job.get("op")
    if op == "probe":
        return los.probe(job["path"])
    if op == "render":
        if job.get("nice"):
            # An export gives way to the probes, thumbnails and requests sharing these cores.
            os.nice(int(job["nice"]))
        return los.render(job, channel)
    if op == "thumbnail":
        return los.thumbnail(job)
    raise ValueError(f"unknown child operation {op!r}")


def main() -> int:
    """Read the job, run it, report; the exit status is 0 unless the job could not start.
    libopenshot is imported only here, once C-level stdout no longer reaches the channel."""
    channel = Channel()
    _die_with_parent()

    def stop(signum, frame):
        channel.stop_requested = True

    signal.signal(signal.SIGTERM, stop)
    # Everything that needs no job first: a child started ahead of need (warm.py) is ready when
    # its job comes.
    try:
        from .los import Cancelled, warm_up
        warm_up()
    except ImportError as exc:
        channel.send(error=f"libopenshot's Python module cannot be loaded ({exc}).")
        return 2
    try:
        job = json.loads(sys.stdin.read())
    except ValueError as exc:
        channel.send(error=f"bad job: {exc}")
        return 2
    try:
        result = run(job, channel)
    except Cancelled:
        channel.send(cancelled=True)
        return 0
    except Exception as exc:  # every failure becomes a message the parent can show
        traceback.print_exc(file=sys.stderr)
        channel.send(error=_readable(exc))
        return 0
    channel.send(result=result)
    return 0


def _readable(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 500 else text[:497] + "..."


if __name__ == "__main__":
    sys.exit(main())
