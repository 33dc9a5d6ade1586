"""Fixtures for every test in the repository, plugins included."""
import signal

import pytest


@pytest.fixture(autouse=True)
def _ignore_sigpipe():
    """libopenshot restores the default SIGPIPE action when a timeline renders in-process; a
    test server writing to a closed socket would then kill the whole test run."""
    yield
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
