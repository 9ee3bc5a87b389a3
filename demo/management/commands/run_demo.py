"""``make run``: the whole product on one machine, with the demo registry.

1. Migrate the database and load the demo registry (``seed_demo``), then flag it.
2. Start a Celery worker and beat (their logs in ``$VAR_DIR/log/``, so that they do not
   bury what matters) and the web server on http://127.0.0.1:<port>.
3. Once the site answers, print the demo accounts last (they are also written to
   ``$VAR_DIR/demo-accounts.txt``, readable by its owner only).
4. Ctrl-C or SIGTERM stops all three, each given ``STOP_SECONDS`` to finish its work
   before it is killed, and nothing is left running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from audit.trail import audit_job
from demo.loader import load_demo_registry

STOP_SECONDS = 6
READY_SECONDS = 60


class Command(BaseCommand):
    help = "Migrate, load the demo registry and serve it with a worker and beat (make run)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, port: int, **options):
        started = time.monotonic()
        self.stdout.write("Preparing the database and the demo registry…")
        call_command("migrate", interactive=False, verbosity=0)
        accounts = self.seed()
        call_command("run_flagging", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        processes = self.start(port)
        stopping: list[int] = []

        def stop(signum, frame):
            stopping.append(signum)

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, stop)
        try:
            if self.wait_until_ready(port, processes, stopping):
                seconds = time.monotonic() - started
                self.announce(port, accounts, seconds)
            while not stopping and all(p.poll() is None for p in processes.values()):
                time.sleep(0.2)
            for name, process in processes.items():
                if process.poll() is not None and not stopping:
                    self.stderr.write(f"The {name} stopped (exit {process.returncode}).")
        finally:
            self.stop(processes)
        self.stdout.write("Stopped.")

    @audit_job("seed_demo")
    def seed(self) -> list[tuple[str, str, str]]:
        """Load the demo registry; the demo accounts with their passwords, kept in the
        accounts file (a password is known only when its account is created)."""
        report = load_demo_registry(today=timezone.localdate())
        path = Path(settings.VAR_DIR) / "demo-accounts.txt"
        known = {}
        if path.exists():
            for line in path.read_text().splitlines()[1:]:
                username, _organization, password = line.split("\t")
                known[username] = password
        accounts = []
        for username, organization, password in report.accounts:
            password = password or known.get(username, "")
            accounts.append((username, organization, password))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "username\torganization\tpassword\n"
            + "".join(f"{u}\t{o}\t{p}\n" for u, o, p in accounts)
        )
        path.chmod(0o600)
        return accounts

    def start(self, port: int) -> dict[str, subprocess.Popen]:
        logs = Path(settings.VAR_DIR) / "log"
        logs.mkdir(parents=True, exist_ok=True)
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "config"]
        commands = {
            "worker": [*celery, "worker", "--loglevel=WARNING", "--concurrency=2"],
            "beat": [*celery, "beat", "--loglevel=WARNING"],
            "web server": [
                python,
                "manage.py",
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
                "--skip-checks",
            ],
        }
        processes = {}
        for name, command in commands.items():
            log = None
            if name != "web server":
                log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - the child's
            # Each in a session of its own: Ctrl-C reaches this command, which stops them in
            # order, rather than all at once.
            processes[name] = subprocess.Popen(  # noqa: S603 - our own commands
                command,
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT if log else None,
                start_new_session=True,
            )
        return processes

    def wait_until_ready(self, port, processes, stopping) -> bool:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and not stopping:
            if any(p.poll() is not None for p in processes.values()):
                return False
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310
                    return True
            except urllib.error.HTTPError:
                return True  # it answers (a 503 names what is not healthy)
            except OSError:
                time.sleep(0.3)
        return False

    def announce(self, port: int, accounts, seconds: float) -> None:
        path = Path(settings.VAR_DIR) / "demo-accounts.txt"
        lines = [
            "",
            f"The Partnership Registry is ready on http://127.0.0.1:{port}/ "
            f"({seconds:.0f} s). Administration: http://127.0.0.1:{port}/admin/",
            "Demo accounts (also in " + str(path) + "):",
        ]
        for username, organization, password in accounts:
            lines.append(f"  {username:<16} {password or '(unchanged)':<20} {organization}")
        lines.append("Ctrl-C stops the web server, the worker and beat.")
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def stop(self, processes: dict[str, subprocess.Popen]) -> None:
        """SIGTERM to each process group (the worker's pool too), then SIGKILL to what is
        still running after ``STOP_SECONDS``."""
        for process in processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
