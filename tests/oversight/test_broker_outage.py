"""Redis down never loses a save: follow-up work is enqueued after commit, and a broker
error is logged, not raised."""

import datetime as dt
import logging
import time

import pytest

from oversight.models import Review
from oversight.services import review_complete
from tests import factories

pytestmark = pytest.mark.django_db


def test_completing_a_review_with_the_broker_down_saves_it_and_logs_the_error(
    broker_down,
    partnership,
    oversight_body,
    board_member,
    caplog,
    django_capture_on_commit_callbacks,
):
    agreement = factories.AgreementFactory(partnership=partnership, next_review_due=None)
    review = factories.ReviewFactory(
        agreement=agreement, reviewer=oversight_body, status="in_progress", completed_on=None
    )

    with (
        caplog.at_level(logging.WARNING, logger="core.tasks"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        review_complete(
            review=review,
            actor=board_member,
            completed_on=dt.date(2026, 11, 2),
            outcome=Review.Outcome.COMPLIANT,
        )

    review.refresh_from_db()
    agreement.refresh_from_db()
    assert len(callbacks) == 1
    assert review.status == Review.Status.COMPLETED
    assert agreement.next_review_due == dt.date(2027, 11, 2)
    assert "could not enqueue oversight.tasks.run_flagging" in caplog.text


def test_nothing_is_enqueued_when_the_transaction_rolls_back(
    partnership, oversight_body, board_member, django_capture_on_commit_callbacks
):
    review = factories.ReviewFactory(
        reviewer=oversight_body, status="in_progress", completed_on=None
    )

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Exception):  # noqa: B017
        review_complete(
            review=review, actor=board_member, completed_on=dt.date(2000, 1, 1), outcome="compliant"
        )

    assert callbacks == []  # completed before it started: refused, nothing sent
    review.refresh_from_db()
    assert review.status == Review.Status.IN_PROGRESS


@pytest.mark.fault
def test_a_hung_broker_holds_a_save_for_two_seconds_at_most(
    broker_hung,
    partnership,
    oversight_body,
    board_member,
    caplog,
    django_capture_on_commit_callbacks,
):
    """Redis accepting connections but never answering: each try to publish gives up after
    BROKER_TIMEOUT_SECONDS (1 s), and there are two; the save is kept."""
    agreement = factories.AgreementFactory(partnership=partnership, next_review_due=None)
    review = factories.ReviewFactory(
        agreement=agreement, reviewer=oversight_body, status="in_progress", completed_on=None
    )

    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="core.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        review_complete(
            review=review,
            actor=board_member,
            completed_on=dt.date(2026, 11, 2),
            outcome=Review.Outcome.COMPLIANT,
        )
    elapsed = time.monotonic() - started

    review.refresh_from_db()
    assert review.status == Review.Status.COMPLETED
    assert broker_hung, "the save did try the hung broker"
    assert elapsed < 3
    assert "could not enqueue oversight.tasks.run_flagging" in caplog.text
