"""/healthz: 200 when the database and the broker answer, 503 otherwise."""

import pathlib
import time

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def broker_folders(settings):
    """The embedded filesystem broker needs its folders, as `make run` creates them."""
    for folder in getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).values():
        if isinstance(folder, str):
            pathlib.Path(folder).mkdir(parents=True, exist_ok=True)


def test_it_answers_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_naming_the_broker_when_the_broker_is_unreachable(client, monkeypatch):
    # Nothing listens on port 1: a real refused connection. Celery prefers the
    # CELERY_BROKER_URL environment variable (set in CI) to its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}


def test_it_answers_503_naming_the_database_when_the_database_is_unreachable(client, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_it_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


def test_it_answers_503_within_seconds_when_the_broker_hangs(client, broker_hung, settings):
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"
    assert elapsed < settings.HEALTHZ_BROKER_TIMEOUT_SECONDS + 2
