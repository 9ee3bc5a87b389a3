"""What the pages say in plain words: retention periods, overdue reviews."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (2190, "6 years"),
        (365, "1 year"),
        (90, "3 months"),
        (30, "1 month"),
        (14, "2 weeks"),
        (45, "45 days"),
        (1, "1 day"),
    ],
)
def test_a_retention_period_is_said_in_the_largest_whole_unit(days, words):
    rendered = Template("{% load durations %}{{ days|days_as_words }}").render(
        Context({"days": days})
    )
    assert rendered == words


def test_the_agreement_page_says_retention_in_years_and_marks_an_overdue_review(
    client, partnership
):
    agreement = factories.AgreementFactory(
        partnership=partnership,
        status="active",
        next_review_due=timezone.localdate() - dt.timedelta(days=400),
    )
    factories.DataSharingTermFactory(agreement=agreement, retention_days=2190)
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert "6 years" in page and "2190 days" not in page.replace('title="2190 days"', "")
    assert "overdue</strong>" in page


def test_a_review_due_in_the_future_or_of_an_ended_agreement_is_not_overdue(partnership):
    today = timezone.localdate()
    due_later = factories.AgreementFactory(
        partnership=partnership, status="active", next_review_due=today + dt.timedelta(days=1)
    )
    ended = factories.AgreementFactory(
        partnership=partnership, status="terminated", next_review_due=today - dt.timedelta(days=9)
    )
    due_today = factories.AgreementFactory(
        partnership=partnership, status="signed", next_review_due=today
    )
    assert [a.is_review_overdue for a in (due_later, ended, due_today)] == [False] * 3
