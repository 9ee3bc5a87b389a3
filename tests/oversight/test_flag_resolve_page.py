"""Resolving a flag by hand on its page: the reason, and until when or what it stays
closed; what is wrong is said beside the field."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement
from oversight.flagging import flagging_run
from oversight.models import Flag

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
REASON = "Review held on 19 November; minutes to follow."


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def flag(partnership, police):
    agreement = Agreement.objects.create(
        partnership=partnership,
        title="Referral protocol",
        kind="mou",
        status=Agreement.Status.ACTIVE,
        signed_on=dt.date(2024, 1, 1),
        effective_from=dt.date(2024, 1, 1),
        next_review_due=TODAY - dt.timedelta(days=3),
        independent_auditor=police,  # a party: not independent, but another kind of flag
        visibility="public",
    )
    flagging_run(now=timezone.now())
    return agreement.flags.get(kind=Flag.Kind.REVIEW_OVERDUE)


def resolve(client, flag, **data):
    return client.post(reverse("oversight:flag_resolve", args=[flag.pk]), data)


def test_the_resolve_form_offers_until_the_facts_change_or_until_a_date(client, board_member, flag):
    client.force_login(board_member)

    html = client.get(reverse("oversight:flag_detail", args=[flag.pk])).content.decode()

    assert "How long does it stay closed?" in html
    assert 'value="until_changed"' in html and 'value="until_date"' in html
    assert "Until the facts it is resolved on change" in html
    assert "the date the review was due" in html  # the facts it would stay closed on
    assert 'name="closed_until"' in html


def test_by_default_it_stays_closed_until_the_facts_change(client, board_member, flag):
    client.force_login(board_member)

    response = resolve(client, flag, reason=REASON, stays_closed="until_changed")

    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.is_open is False
    assert flag.resolved_facts == {"next_review_due": "2026-11-18"}
    assert flag.closed_until is None
    page = client.get(reverse("oversight:flag_detail", args=[flag.pk])).content.decode()
    assert "While the date the review was due stay as they were when it was resolved" in page


def test_until_a_date_it_records_the_date(client, board_member, flag):
    client.force_login(board_member)

    response = resolve(
        client, flag, reason=REASON, stays_closed="until_date", closed_until="2027-01-15"
    )

    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.closed_until == dt.date(2027, 1, 15)
    assert flag.resolved_facts == {"next_review_due": "2026-11-18"}
    page = client.get(reverse("oversight:flag_detail", args=[flag.pk])).content.decode()
    assert "and until 15 January 2027" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stays_closed": "until_date"}, "Give the date until which the flag stays closed."),
        (
            {"stays_closed": "until_date", "closed_until": TODAY.isoformat()},
            "Give a date after today",
        ),
        (
            {"stays_closed": "until_changed", "closed_until": "2027-01-15"},
            "Only “until a date” takes a date",
        ),
        ({"stays_closed": "until_date", "closed_until": "15/01/2027"}, "Enter a real date"),
        ({"stays_closed": "forever"}, "Select a valid choice"),
    ],
    ids=["no-date", "today", "date-without-choosing-it", "malformed-date", "unknown-choice"],
)
def test_what_is_wrong_is_said_and_the_flag_stays_open(client, board_member, flag, data, message):
    client.force_login(board_member)

    response = resolve(client, flag, reason=REASON, **data)

    assert response.status_code == 200
    form = response.context["form"]
    field = "stays_closed" if data["stays_closed"] == "forever" else "closed_until"
    assert len(form.errors[field]) == 1
    assert message in form.errors[field][0]
    assert message in response.content.decode()
    flag.refresh_from_db()
    assert flag.is_open is True
    assert flag.resolved_facts is None


def test_the_page_of_a_flag_closed_by_the_job_says_nothing_of_staying_closed(
    client, board_member, flag
):
    client.force_login(board_member)
    Agreement.objects.filter(pk=flag.agreement_id).update(
        next_review_due=TODAY + dt.timedelta(days=30)
    )
    flagging_run(now=timezone.now())

    page = client.get(reverse("oversight:flag_detail", args=[flag.pk])).content.decode()

    assert "The review is no longer overdue" in page
    assert "Stays closed" not in page
