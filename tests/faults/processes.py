"""What the fault tests share: the servers and workers they start as subprocesses, on the
test database, stopped whatever happens."""

import contextlib
import os
import signal
import subprocess
from pathlib import Path
from urllib.parse import quote, urlencode

from django.db import connection

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def database_url(**options: str) -> str:
    """The URL of the database the tests run on (pytest-django's ``test_<name>``), for a
    subprocess's DATABASE_URL, with ``options`` in its query (django-environ's)."""
    database = connection.settings_dict
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    # The server in the query, as core.embedded_db writes it: a host or a socket folder.
    server = {
        "host": database["HOST"] or database["OPTIONS"].get("host", ""),
        "port": str(database["PORT"] or database["OPTIONS"].get("port", "")),
    }
    query = urlencode({name: value for name, value in server.items() if value} | options)
    return f"postgres://{credentials}@/{quote(database['NAME'], safe='')}?{query}"


def subprocess_environment(**environ: str) -> dict[str, str]:
    """The test's environment with the test settings and ``environ``."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **environ}


def stop(process: subprocess.Popen) -> None:
    """Kill ``process`` and whatever it started: it leads its own session. Its id names the
    group until it is reaped, so the group is killed only before that."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):  # all gone already
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
