"""The home page and /api/v1/stats/ read the headline figures from a summary that the
writes make stale and a debounced job (and the nightly one) counts again; the tests run
without debounce (REGISTRY_SUMMARY_DEBOUNCE_SECONDS = 0) unless they say otherwise."""

import contextlib
import json

import pytest
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext

from public import summary
from public.models import RegistrySummary
from public.stats import registry_figures
from public.tasks import refresh_registry_summary
from tests import factories

pytestmark = pytest.mark.django_db


def live() -> dict:
    return json.loads(json.dumps(registry_figures(), cls=DjangoJSONEncoder))


@pytest.fixture(autouse=True)
def _no_pending_refresh():
    cache.delete(summary.PENDING_KEY)
    yield
    cache.delete(summary.PENDING_KEY)


@pytest.fixture
def sent(monkeypatch):
    """The refresh jobs sent to the broker (none reaches one)."""
    tasks = []
    monkeypatch.setattr(summary, "broker_connection", contextlib.nullcontext)
    monkeypatch.setattr(
        summary.current_app, "send_task", lambda name, **options: tasks.append((name, options))
    )
    return tasks


def test_the_summary_equals_the_live_figures_after_writes(client, partnership):
    factories.AgreementFactory(partnership=partnership)
    assert client.get("/api/v1/stats/").json() == live()

    agreement = factories.AgreementFactory(partnership=partnership, status="expired")
    factories.FlagFactory(agreement=agreement, kind="expired_but_active")
    agreement.title = "Renamed"
    agreement.save()

    figures = client.get("/api/v1/stats/").json()
    assert figures == live()
    assert figures["agreements"]["total"] == 2
    assert RegistrySummary.objects.get().figures == figures


def test_the_figures_are_read_not_counted_while_nothing_changed(client, partnership):
    factories.AgreementFactory(partnership=partnership)
    client.get("/api/v1/stats/")  # counted once

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/stats/").status_code == 200

    # The summary and the head of the audit chain, nothing counted.
    assert len(captured.captured_queries) == 2
    assert "public_registrysummary" in captured.captured_queries[0]["sql"]


def test_a_public_write_changes_the_next_stats_after_the_debounced_refresh(
    client, partnership, settings, sent
):
    settings.REGISTRY_SUMMARY_DEBOUNCE_SECONDS = 5
    factories.AgreementFactory(partnership=partnership)
    before = client.get("/api/v1/stats/").json()  # no summary yet: counted at once
    assert before["agreements"]["total"] == 1 and sent == []

    factories.AgreementFactory(partnership=partnership)
    # Stale: the reader gets the figures it had, and one refresh is asked for, however many
    # readers come meanwhile.
    assert client.get("/api/v1/stats/").json() == before
    assert client.get("/").status_code == 200
    assert sent == [(summary.REFRESH_TASK, sent[0][1])]
    assert sent[0][1]["countdown"] == 5

    refresh_registry_summary()  # what the worker runs, 5 s later

    after = client.get("/api/v1/stats/").json()
    assert after["agreements"]["total"] == 2
    assert after == live()


def stored_with_figures(figures: dict, version: int | None = RegistrySummary.SHAPE_VERSION):
    """The stored summary's data with ``figures`` in place of its own (and ``version``)."""
    stored = RegistrySummary.objects.get().stored | {"figures": figures, "version": version}
    return RegistrySummary.dump(stored)


def test_the_home_page_shows_the_summary(client, partnership):
    factories.AgreementFactory(partnership=partnership)
    client.get("/")
    RegistrySummary.objects.update(
        figures_json=stored_with_figures(
            live() | {"partnerships": live()["partnerships"] | {"total": 4242}}
        )
    )

    assert "4242" in client.get("/").content.decode()


@pytest.mark.parametrize("debounce", [0, 5])
@pytest.mark.parametrize("older", ["figures alone", "another version"])
def test_a_summary_of_another_shape_is_counted_again_not_read(
    client, partnership, settings, sent, debounce, older
):
    """A summary stored by another version of the code may hold other figures under the
    same names: it is never shown, whether or not it is stale otherwise."""
    settings.REGISTRY_SUMMARY_DEBOUNCE_SECONDS = debounce
    factories.AgreementFactory(partnership=partnership)
    client.get("/api/v1/stats/")
    figures = live() | {"partnerships": live()["partnerships"] | {"total": 4242}}
    if older == "figures alone":  # the first shape: the figures, without a version
        RegistrySummary.objects.update(figures_json=RegistrySummary.dump(figures))
    else:
        version = RegistrySummary.SHAPE_VERSION - 1
        RegistrySummary.objects.update(figures_json=stored_with_figures(figures, version))

    assert client.get("/api/v1/stats/").json() == live()
    assert "4242" not in client.get("/").content.decode()
    stored = RegistrySummary.objects.get()
    assert stored.version == RegistrySummary.SHAPE_VERSION
    assert stored.figures == live()
    assert sent == []  # counted at once, not left to a later job


def test_a_new_day_makes_the_summary_stale(client, partnership):
    factories.AgreementFactory(partnership=partnership)
    client.get("/api/v1/stats/")
    RegistrySummary.objects.update(computed_on="2000-01-01")

    client.get("/api/v1/stats/")

    assert str(RegistrySummary.objects.get().computed_on) != "2000-01-01"


@pytest.mark.parametrize("url", ["/api/v1/stats/", "/api/v1/agreements/?page_size=1"])
def test_stats_and_cursor_pages_are_cacheable_and_revalidate_to_a_304(client, partnership, url):
    factories.AgreementFactory(partnership=partnership)
    factories.AgreementFactory(partnership=partnership)
    if "agreements" in url:
        url = client.get(url).json()["next"]  # a page reached by cursor
    first = client.get(url)
    assert "public" in first["Cache-Control"] and first["ETag"].startswith('W/"')

    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    factories.AgreementFactory(partnership=partnership, title="A newer one")
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_html_and_json_are_compressed(client, partnership):
    factories.AgreementFactory(partnership=partnership)
    for url in ["/", "/partnerships/", "/api/v1/agreements/", "/api/v1/stats/"]:
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip", url
