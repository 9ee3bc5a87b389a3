import subprocess

import pytest

from .processes import stop


@pytest.fixture
def processes():
    """Subprocesses to stop at the end of the test, started with ``start_new_session``."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        stop(process)
