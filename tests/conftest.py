"""Personas and shared fixtures."""

import os
import socket
import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from partnerships.models import Membership
from tests import factories


def pytest_collection_modifyitems(config, items):
    """Skip the tests that need Redis when it is not configured, unless REQUIRE_REDIS
    says they must run (as in CI). PostgreSQL is always there: the embedded server when
    DATABASE_URL names none."""
    available = {"redis": settings.CELERY_BROKER_URL.startswith("redis://")}
    for service, present in available.items():
        if present:
            continue
        if os.environ.get(f"REQUIRE_{service.upper()}") == "1":
            raise pytest.UsageError(
                f"REQUIRE_{service.upper()}=1 but {service} is not configured "
                "(DATABASE_URL / CELERY_BROKER_URL): its tests would be skipped."
            )
        skip = pytest.mark.skip(reason=f"needs {service} (see README: running the tests)")
        for item in items:
            if service in item.keywords:
                item.add_marker(skip)


DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(scope="session", autouse=True)
def translations_compiled():
    """The interface's translations, compiled from the .po files as `make test` does, for a
    run of pytest alone (a no-op when the .mo files are newer than the .po files)."""
    from core.translations import compile_all

    compile_all()


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language: a page requested in Spanish by one test
    (LocaleMiddleware activates the reader's language) leaves nothing to the next."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def focus_area_vocabulary(request, django_db_setup, django_db_blocker):
    """The focus-area vocabulary a data migration installs, put back before any test that
    uses the database if a transactional test (run before it by the same worker, or by an
    earlier run with --reuse-db) flushed it: the demo registry needs it."""
    uses_database = request.node.get_closest_marker("django_db") or (
        DATABASE_FIXTURES & set(request.fixturenames)
    )
    if not uses_database:
        return
    from importlib import import_module

    from django.apps import apps

    from partnerships.models import FocusArea

    with django_db_blocker.unblock():
        if not FocusArea.objects.exists():
            import_module("partnerships.migrations.0002_focus_areas").add_focus_areas(apps, None)


@pytest.fixture
def ngo():
    return factories.NgoFactory(name="Safe Harbour Women's Aid", slug="safe-harbour")


@pytest.fixture
def police():
    return factories.PoliceAgencyFactory(name="Riverside Police", slug="riverside-police")


@pytest.fixture
def other_ngo():
    return factories.NgoFactory(name="Elsewhere Youth Trust", slug="elsewhere-youth")


@pytest.fixture
def oversight_body():
    return factories.OversightBodyFactory(name="Civilian Oversight Board", slug="civilian-board")


@pytest.fixture
def partnership(ngo, police):
    return factories.partnership_with_parties(ngo=ngo, police=police)


def _member(organization, role=Membership.Role.EDITOR, username=None):
    membership = factories.MembershipFactory(
        organization=organization,
        role=role,
        user__username=username or f"{organization.slug}-{role}",
    )
    return membership.user


@pytest.fixture
def ngo_editor(ngo):
    return _member(ngo, username="ngo_editor")


@pytest.fixture
def ngo_viewer(ngo):
    return _member(ngo, role=Membership.Role.VIEWER, username="ngo_viewer")


@pytest.fixture
def police_editor(police):
    return _member(police, username="police_editor")


@pytest.fixture
def other_ngo_editor(other_ngo):
    return _member(other_ngo, username="other_ngo_editor")


@pytest.fixture
def board_member(oversight_body):
    return _member(oversight_body, username="board_member")


@pytest.fixture
def anonymous():
    return AnonymousUser()


def point_celery_at(monkeypatch, url: str) -> None:
    """Celery reads the environment before its configuration, and keeps connection pools."""
    from config.celery import app as celery_app

    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setitem(celery_app.conf, "broker_url", url)
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)


@pytest.fixture
def broker_hung(monkeypatch):
    """A broker that accepts connections and never answers (a hung Redis), on 127.0.0.1."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []

    def accept_forever():
        while True:
            try:
                peer, _ = server.accept()
            except OSError:  # closed at teardown
                return
            accepted.append(peer)

    threading.Thread(target=accept_forever, daemon=True).start()
    point_celery_at(monkeypatch, f"redis://127.0.0.1:{server.getsockname()[1]}/0")
    yield accepted
    server.close()
    for peer in accepted:
        peer.close()


@pytest.fixture
def broker_down(monkeypatch):
    """The broker is unreachable: publishing a task fails as it would with Redis down."""
    # Nothing listens on port 1: real refused connections.
    point_celery_at(monkeypatch, "redis://127.0.0.1:1/0")
