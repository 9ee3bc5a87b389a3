"""The README's first command on a bare machine: ``make run`` brings its own PostgreSQL,
shows the whole product with the demo registry, and stops cleanly.

It runs the real thing: the embedded server in a fresh var directory, migrations, the demo
registry, a worker, beat and the web server, as a new user gets them.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
READY = re.compile(r"is ready on (http://127\.0\.0\.1:\d+/) \((\d+) s\)")
START_SECONDS = 240  # a loaded CI machine; the README gives the time measured on a quiet one
STOP_SECONDS = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - 127.0.0.1
        return response.read().decode()


@pytest.fixture
def first_run(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
        and not key.startswith(("MAKE", "PYTEST"))
    }
    environment.update(VAR_DIR=str(tmp_path / "var"), PORT=str(free_port()))
    output = tmp_path / "output.txt"
    with output.open("w") as sink:
        process = subprocess.Popen(  # noqa: S603 - the README's own command
            [shutil.which("make") or "make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            ready = READY.search(output.read_text())
            if ready or process.poll() is not None:
                break
            time.sleep(0.5)
        yield process, output, ready
    finally:
        pgdata = str(tmp_path / "var" / "postgres")
        for leftover in psutil.process_iter(["cmdline"]):
            if pgdata in " ".join(leftover.info["cmdline"] or []):
                leftover.kill()
        if process.poll() is None:
            for leftover in psutil.Process(process.pid).children(recursive=True):
                leftover.kill()
            process.kill()
        process.wait(timeout=30)


def test_make_run_serves_the_whole_product_and_stops_cleanly(first_run, tmp_path):
    process, output, ready = first_run
    assert ready, output.read_text()[-3000:]
    site = ready.group(1)

    # The whole product: the audit trail's head, the search, the change histories.
    root = json.loads(get(f"{site}api/v1/"))
    assert root["audit_log"]["head_hash"]
    found = json.loads(get(f"{site}api/v1/partnerships/?search=police"))
    assert found["count"] > 0
    first = found["results"][0]
    history = json.loads(get(f"{site}api/v1/partnerships/{first['id']}/history/"))
    assert history["count"] > 0
    # The demo accounts come last (only the web server's request log may follow), and in a
    # file only their owner reads.
    after = output.read_text().split(ready.group(0), 1)[1].splitlines()
    said = [line for line in after if not re.match(r'^\[.+\] "(GET|HEAD) ', line)]
    assert said[-1] == "Ctrl-C stops the web server, the worker and beat.", said
    accounts = tmp_path / "var" / "demo-accounts.txt"
    assert "ngo-editor" in accounts.read_text()
    assert accounts.stat().st_mode & 0o077 == 0

    # Everything it started: make, the database wrapper, the command, the worker and its
    # pool, beat, the web server; and the embedded PostgreSQL server (pg_ctl starts it in a
    # session of its own).
    pgdata = str(tmp_path / "var" / "postgres")
    started = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    started += [
        p for p in psutil.process_iter(["cmdline"]) if pgdata in " ".join(p.info["cmdline"] or [])
    ]
    names = " ".join(" ".join(p.cmdline()) for p in started)
    for part in ("run_demo", "worker", "beat", "runserver", "postgres -D"):
        assert part in names, part

    # What a process manager sends: SIGTERM to the process group.
    os.killpg(process.pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(started, timeout=STOP_SECONDS)
    assert alive == [], f"still running {STOP_SECONDS} s after SIGTERM: {alive}"
    text = output.read_text()
    assert "Traceback" not in text
    assert "Stopped." in text
