"""While the database is unreachable, a request is answered 503 with Retry-After, never 500:
a page under /api/ as JSON, any other as a short page; and the site recovers by itself."""

import http.client
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.db.backends.base.base import BaseDatabaseWrapper

from public.views import HomeView
from tests import factories

from .processes import PROJECT_ROOT, database_url, subprocess_environment


def database_refuses(monkeypatch, error=OperationalError):
    def refuse(self, *args, **kwargs):
        raise error("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_page_answers_503_with_retry_after_while_the_database_is_unreachable(
    client, monkeypatch, error
):
    database_refuses(monkeypatch, error)

    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert "Briefly unavailable" in response.text
    assert "try again in 5 seconds" in response.text
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_api_answers_503_json_with_retry_after_while_the_database_is_unreachable(
    client, monkeypatch
):
    database_refuses(monkeypatch)

    response = client.get("/api/v1/agreements/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "The registry is briefly unavailable. Try again in 5 seconds."
    }


@pytest.mark.django_db
def test_a_write_whose_middleware_finds_the_database_unreachable_answers_503(
    client, monkeypatch, ngo_editor
):
    """Loading the session of a staff member's write happens in a middleware, before any
    view (the audit trail names the acting user): the 500 handler turns it into a 503."""
    client.force_login(ngo_editor)
    client.raise_request_exception = False
    database_refuses(monkeypatch)

    response = client.post("/partnerships/new/", {"name": "Anything"})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Briefly unavailable" in response.text


@pytest.mark.django_db
def test_any_other_uncaught_error_is_still_a_500(client, monkeypatch):
    def fail(self, request, *args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(HomeView, "get", fail)
    client.raise_request_exception = False

    response = client.get("/")

    assert response.status_code == 500
    assert "Retry-After" not in response


def test_persistent_database_connections_are_checked_before_reuse():
    from config.settings import base

    assert base.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


# --- a live server whose database connections are killed --------------------------------

LOAD_SECONDS = 5
PATHS = ("/", "/partnerships/", "/api/v1/agreements/", "/api/v1/partnerships/")


def get(port: int, path: str) -> tuple[int, dict[str, str]]:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        client.request("GET", path)
        response = client.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        client.close()


def start_gunicorn(processes, log_path, application_name: str) -> int:
    """gunicorn on 127.0.0.1 (a free port), two workers keeping their database connections
    (CONN_MAX_AGE) as in production; returns the port."""
    log = log_path.open("w")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind=127.0.0.1:0",
            "--workers=2",
            "--timeout=60",
            "--preload",  # the application imported once, before the workers start
        ],
        cwd=PROJECT_ROOT,
        env=subprocess_environment(
            DATABASE_URL=database_url(application_name=application_name),
            CONN_MAX_AGE="60",
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    processes.append(process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log_path.read_text())
        if listening and log_path.read_text().count("Booting worker") == 2:
            port = int(listening.group(1))
            try:
                if get(port, "/robots.txt")[0] == 200:
                    return port
            except OSError:
                pass
        assert process.poll() is None, log_path.read_text()
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not start:\n{log_path.read_text()}")


def terminate_backends(application_name: str) -> int:
    """Kill the live server's connections to the test database (and only those)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [application_name],
        )
        return cursor.fetchone()[0]


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_a_live_server_whose_database_connections_are_killed_answers_503_at_worst_and_recovers(
    processes, tmp_path, partnership
):
    for _ in range(5):
        factories.AgreementFactory(partnership=partnership)
    application_name = f"fault-web-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "gunicorn.log"
    port = start_gunicorn(processes, log_path, application_name)
    for path in PATHS * 2:  # each worker's first answers load the URLs and templates
        assert get(port, path)[0] == 200

    answers: list[tuple[str, int, dict[str, str]]] = []
    stop_load = threading.Event()

    def load(offset: int) -> None:
        n = offset
        while not stop_load.is_set():
            path = PATHS[n % len(PATHS)]
            answers.append((path, *get(port, path)))
            n += 1

    clients = [threading.Thread(target=load, args=(i,)) for i in range(3)]
    for client in clients:
        client.start()
    terminated = 0
    try:
        deadline = time.monotonic() + LOAD_SECONDS
        while time.monotonic() < deadline:
            terminated += terminate_backends(application_name)
            time.sleep(0.25)
    finally:
        stop_load.set()
        for client in clients:
            client.join(timeout=30)

    statuses = Counter(status for _, status, _ in answers)
    assert terminated > 0, "no connection of the live server was killed"
    assert set(statuses) <= {200, 503}, (statuses, log_path.read_text()[-5000:])
    for path, status, headers in answers:
        if status == 503:
            assert headers.get("Retry-After") == "5", (path, headers)
            expected_type = "application/json" if path.startswith("/api/") else "text/html"
            assert headers["Content-Type"].startswith(expected_type), (path, headers)
    # Recovered, without a restart: every page answers, from the same two workers.
    assert [get(port, path)[0] for path in PATHS * 3] == [200] * len(PATHS) * 3
    assert log_path.read_text().count("Booting worker") == 2
    assert processes[0].poll() is None
    print(f"{len(answers)} requests: {dict(statuses)}; {terminated} connections killed")
