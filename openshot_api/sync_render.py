"""Slots for the renders answered inside a request (thumbnails, probes of new files).

Each such render holds a server thread until it is done, so a user who makes libopenshot slow
could otherwise take every thread. ``RenderSlots`` bounds them per instance and per user; a
request that finds no slot waits briefly, then gets 429 (the user's own slots are busy) or 503
(the instance's are). Waiting holds a thread too, so waiters are bounded like renders (at most
``per_user`` of a user, ``slots`` in all; past that the answer is at once): the limiter never
holds more than ``2 × slots`` threads. Workers render without it.
"""
import math
import threading
import time
from contextlib import contextmanager

from .errors import APIError
from .settings import get_int


class RenderSlots:
    """``slots`` renders at once, ``per_user`` of one user; a request waits ``wait`` seconds."""

    def __init__(self, slots, per_user, wait):
        self.slots, self.per_user, self.wait = slots, per_user, wait
        self._cond = threading.Condition()
        self._running = {}  # user -> renders in progress
        self._waiting = {}  # user -> requests waiting for a slot

    @classmethod
    def from_settings(cls, settings):
        return cls(max(1, get_int(settings, "openshot_api.sync_render_slots")),
                   max(1, get_int(settings, "openshot_api.sync_render_slots_per_user")),
                   max(0, get_int(settings, "openshot_api.sync_render_wait")))

    @contextmanager
    def slot(self, user):
        """Hold one slot of ``user`` while the block runs; raises the 429/503 APIError."""
        self._acquire(user)
        try:
            yield
        finally:
            with self._cond:
                _add(self._running, user, -1)
                self._cond.notify_all()

    def _free(self, user):
        return (sum(self._running.values()) < self.slots
                and self._running.get(user, 0) < self.per_user)

    def _acquire(self, user):
        with self._cond:
            if not self._free(user):
                if (self._waiting.get(user, 0) >= self.per_user
                        or sum(self._waiting.values()) >= self.slots):
                    raise self._refusal(user)
                _add(self._waiting, user, 1)
                try:
                    deadline = time.monotonic() + self.wait
                    while not self._free(user):
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise self._refusal(user)
                        self._cond.wait(left)
                finally:
                    _add(self._waiting, user, -1)
            _add(self._running, user, 1)

    def _refusal(self, user):
        retry = {"Retry-After": str(max(1, math.ceil(self.wait)))}
        if self._running.get(user, 0) >= self.per_user:
            return APIError(429, f"You already have {self.per_user} thumbnails or media probes in "
                                 "progress; retry when one is done.", headers=retry)
        return APIError(503, "The server is busy rendering thumbnails and media probes; "
                             "retry shortly.", headers=retry)

    def busy(self):
        """``(renders in progress, requests waiting)`` over all users."""
        with self._cond:
            return sum(self._running.values()), sum(self._waiting.values())


def _add(counts, user, delta):
    value = counts.get(user, 0) + delta
    if value:
        counts[user] = value
    else:
        counts.pop(user, None)


class SlotRenderer:
    """The renderer as one request sees it: ``probe`` and ``thumbnail`` run in a slot of the
    request's user; everything else passes straight through."""

    def __init__(self, renderer, slots, user):
        self._renderer, self._slots, self._user = renderer, slots, user

    def probe(self, path):
        with self._slots.slot(self._user()):
            return self._renderer.probe(path)

    def thumbnail(self, *args, **kwargs):
        with self._slots.slot(self._user()):
            return self._renderer.thumbnail(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._renderer, name)
