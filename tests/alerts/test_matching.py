"""The alerts job: matching published changes, one e-mail per alert and period, never a
withheld or unpublished value, constant query counts, idempotence."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.matching import alerts_match, alerts_send
from alerts.models import Alert, AlertItem, MatchCursor, WebhookDelivery, WebhookEndpoint
from incidents.models import Incident
from oversight.models import Review
from partnerships.models import Partnership, Visibility
from publication.choices import PublicationStatus
from tests import factories
from tests.alerts.conftest import make_alert, make_follower, start_cursor_now
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db


def run_job(now=None):
    now = now or timezone.now()
    return alerts_match(now=now), alerts_send(now=now)


def change(partnership, **values):
    """A change of the live row, as an approved revision leaves it (the audit log's event)."""
    Partnership.objects.filter(pk=partnership.pk).update(**values)


def test_it_sends_a_followed_partnerships_published_change_with_its_link(follower, partnership):
    alert = make_alert(follower, f"partnership={partnership.slug}")
    other = factories.partnership_with_parties(title="Not followed")
    start_cursor_now()

    change(partnership, title="Harbour referral scheme, renewed")
    change(other, title="Another change")
    items, emails = run_job()

    assert (items, emails) == (1, 1)
    [message] = mail.outbox
    assert message.to == [follower.user.email]
    assert "Harbour referral scheme, renewed" in message.body
    assert f"http://127.0.0.1:8000/partnerships/{partnership.slug}/" in message.body
    assert "Title:" in message.body  # what changed, from the public change history
    assert "Another change" not in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<{alert.unsubscribe_url()}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert AlertItem.objects.filter(sent_at=None).count() == 0


def test_it_matches_the_registry_filters_of_a_saved_search(follower, ngo, police):
    kenya = factories.partnership_with_parties(country="KE", title="Nairobi scheme")
    britain = factories.partnership_with_parties(country="GB", title="Leeds scheme")
    make_alert(follower, "country=KE")
    start_cursor_now()

    change(kenya, objectives="New objectives")
    change(britain, objectives="New objectives")
    run_job()

    [message] = mail.outbox
    assert "Nairobi scheme" in message.body
    assert "Leeds scheme" not in message.body


def test_it_groups_many_changes_into_one_email_per_alert(follower):
    partnerships = [factories.partnership_with_parties(region="africa") for _ in range(3)]
    make_alert(follower, "region=africa")
    start_cursor_now()

    for partnership in partnerships:
        change(partnership, objectives="First")
        change(partnership, objectives="Second")
    items, emails = run_job()

    assert emails == 1
    assert len(mail.outbox) == 1
    for partnership in partnerships:
        assert mail.outbox[0].body.count(partnership.title) == 1


def test_a_flag_raised_and_closed_is_sent_to_a_flags_alert(follower, partnership):
    agreement = factories.AgreementFactory(partnership=partnership)
    make_alert(follower, f"region={partnership.region}", kind=Alert.Kind.FLAGS)
    start_cursor_now()

    flag = factories.FlagFactory(agreement=agreement, detail="Review due on 2025-01-01.")
    run_job()
    assert "Review overdue" in mail.outbox[0].body

    flag.resolved_at = timezone.now()
    flag.resolution = "Reviewed at last."
    flag.save()
    run_job(timezone.now() + dt.timedelta(minutes=5))
    assert len(mail.outbox) == 2
    assert "Closed on" in mail.outbox[1].body
    assert "Reviewed at last." in mail.outbox[1].body


def test_an_unpublished_or_restricted_partnership_is_never_sent(follower, ngo, police):
    draft = factories.partnership_with_parties(
        publication_status=PublicationStatus.DRAFT, title="SENTINEL-DRAFT"
    )
    restricted = factories.partnership_with_parties(
        visibility=Visibility.RESTRICTED, title="SENTINEL-RESTRICTED"
    )
    make_alert(follower, "")
    start_cursor_now()

    change(draft, objectives="SENTINEL-DRAFT-OBJECTIVES")
    change(restricted, objectives="SENTINEL-RESTRICTED-OBJECTIVES")
    run_job()

    assert mail.outbox == []


def test_a_withheld_value_is_never_sent(follower, ngo, police):
    partnership = factories.partnership_with_parties(ngo=ngo, police=police, title="Lantern")
    withhold(partnership, "objectives")
    make_alert(follower, f"partnership={partnership.slug}")
    start_cursor_now()

    change(partnership, objectives="SENTINEL-OBJECTIVES: the shelter on Marigold Lane.")
    run_job()

    [message] = mail.outbox
    assert "SENTINEL" not in message.body
    assert "SENTINEL" not in message.alternatives[0][0]
    assert "withheld" in message.body


def test_a_rerun_sends_nothing_twice(follower, partnership):
    make_alert(follower, f"partnership={partnership.slug}")
    start_cursor_now()
    change(partnership, title="Changed once")

    run_job()
    assert run_job() == (0, 0)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("frequency", ["daily", "weekly"])
def test_a_periodic_alert_waits_for_its_period(follower, partnership, frequency):
    period = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}[frequency]
    make_alert(follower, f"partnership={partnership.slug}", frequency=frequency)
    start_cursor_now()
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        change(partnership, title="First")
        run_job(start)
    assert len(mail.outbox) == 1

    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        change(partnership, title="Second")
    # Just inside the period: nothing; at its end: the second change.
    assert run_job(start + period - dt.timedelta(seconds=1))[1] == 0
    assert len(mail.outbox) == 1
    assert run_job(start + period)[1] == 1
    assert len(mail.outbox) == 2
    assert "Second" in mail.outbox[1].body


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        # The same day of the next month ...
        (
            dt.datetime(2026, 3, 15, 8, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 4, 15, 8, 0, tzinfo=dt.UTC),
        ),
        # ... or the next month's last day, when it is shorter.
        (
            dt.datetime(2026, 1, 31, 8, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 2, 28, 8, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_a_monthly_alert_waits_a_calendar_month(follower, partnership, sent, due):
    make_alert(follower, f"partnership={partnership.slug}", frequency="monthly")
    start_cursor_now()
    with time_machine.travel(sent, tick=False):
        change(partnership, title="First")
        run_job(sent)
    with time_machine.travel(sent + dt.timedelta(days=1), tick=False):
        change(partnership, title="Second")

    # A week, then just inside the month: nothing; at its end: the second change.
    assert run_job(sent + dt.timedelta(days=7))[1] == 0
    assert run_job(due - dt.timedelta(seconds=1))[1] == 0
    assert len(mail.outbox) == 1
    assert run_job(due)[1] == 1
    assert len(mail.outbox) == 2
    assert "Second" in mail.outbox[1].body


def test_unsubscribing_deletes_the_alert_and_sends_nothing_more(client, follower, partnership):
    alert = make_alert(follower, f"partnership={partnership.slug}")
    start_cursor_now()
    change(partnership, title="Changed")
    run_job()

    path = alert.unsubscribe_url().removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200  # no login: a page with the button
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Alert.objects.filter(pk=alert.pk).exists() is False
    change(partnership, title="Changed again")
    assert run_job() == (0, 0)
    assert client.post(path).status_code == 404


def _queries_of_a_run(count: int) -> tuple[int, int]:
    partnerships = list(Partnership.objects.order_by("pk"))
    followers = [make_follower(f"many-{count}-{n}@example.org") for n in range(count // 50 + 1)]
    queries = [f"partnership={p.slug}" for p in partnerships] + [
        "country=GB",
        "region=europe",
        "status=active",
        "search=harbour",
        "organization=safe-harbour",
    ]
    for i in range(count):
        alert_query = queries[i % len(queries)]
        make_alert(followers[i // 50], f"{alert_query}&established_after=2000-01-{1 + i % 28:02d}")
    # Each with a webhook endpoint: the deliveries are queued by the same run.
    WebhookEndpoint.objects.bulk_create(
        WebhookEndpoint(alert=alert, url="https://example.org/hook")
        for alert in Alert.objects.all()
    )
    start_cursor_now()
    for partnership in partnerships:
        change(partnership, objectives=f"Changed for {count}")
    # Their reviews too: followed through the partnerships the searches match.
    Review.objects.update(public_summary=f"Reviewed for {count}")
    Incident.objects.update(measures_taken=f"Measures for {count}")
    now = timezone.now() + dt.timedelta(days=count)
    with CaptureQueriesContext(connection) as matching:
        alerts_match(now=now)
    with CaptureQueriesContext(connection) as sending:
        alerts_send(now=now)
    reviews = WebhookDelivery.objects.filter(event_type="review.changed")
    assert reviews.values("endpoint").distinct().count() == count  # each alert's endpoint
    Alert.objects.all().delete()
    return len(matching), len(sending)


def test_the_job_costs_the_same_queries_for_10_and_1000_alerts(ngo, police):
    for n in range(3):
        partnership = factories.partnership_with_parties(
            ngo=ngo, police=police, title=f"Harbour scheme {n}"
        )
        agreement = factories.AgreementFactory(partnership=partnership)
        factories.ReviewFactory(agreement=agreement)
        factories.IncidentFactory(agreements=[agreement])
    _queries_of_a_run(1)  # fills the per-process caches (content types)
    few = _queries_of_a_run(10)
    mail.outbox.clear()
    many = _queries_of_a_run(1000)
    assert few == many
    assert len(mail.outbox) == 1000
    assert all("Reviewed for 1000" in message.body for message in mail.outbox)
    assert all("Measures for 1000" in message.body for message in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_each_email_once(ngo, police):
    partnership = factories.partnership_with_parties(ngo=ngo, police=police)
    for n in range(20):
        make_alert(make_follower(f"f{n}@example.org"), f"partnership={partnership.slug}")
    start_cursor_now()
    change(partnership, title="Changed under two workers")
    now = timezone.now()
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            run_job(now)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(mail.outbox) == 20
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"f{n}@example.org" for n in range(20))
    assert AlertItem.objects.count() == 20
    assert MatchCursor.objects.count() == 1


def test_a_flag_closed_leaves_an_open_flags_search_and_is_told_so(follower, partnership):
    agreement = factories.AgreementFactory(partnership=partnership)
    make_alert(follower, "open=true", kind=Alert.Kind.FLAGS)
    start_cursor_now()
    flag = factories.FlagFactory(agreement=agreement)
    run_job()
    assert "No longer matches" not in mail.outbox[0].body

    flag.resolved_at = timezone.now()
    flag.resolution = "Reviewed at last."
    flag.save()
    run_job(timezone.now() + dt.timedelta(minutes=5))

    assert len(mail.outbox) == 2
    assert "No longer matches this search." in mail.outbox[1].body
    assert "Reviewed at last." in mail.outbox[1].body


def test_a_retracted_partnership_leaves_the_search_without_a_word(follower, partnership):
    make_alert(follower, f"partnership={partnership.slug}")
    start_cursor_now()
    change(partnership, title="Changed")
    run_job()
    change(
        partnership,
        publication_status=PublicationStatus.RETRACTED,
        retraction_reason="Entered twice.",
        title="SENTINEL-GONE",
    )
    assert run_job(timezone.now() + dt.timedelta(minutes=5))[1] == 0
    assert len(mail.outbox) == 1
