"""The demo registry shows feedback in each state: published, answered, hidden, reported."""

import datetime as dt

import pytest

from demo.loader import REFUGE_REFERRALS, load_demo_registry
from feedback.models import Feedback, FeedbackEvent

pytestmark = pytest.mark.django_db


def test_the_demo_has_published_hidden_and_answered_feedback():
    load_demo_registry(today=dt.date(2026, 11, 30))
    feedback = Feedback.objects.filter(partnership__slug=REFUGE_REFERRALS["slug"])
    assert feedback.published().count() == 2
    assert feedback.answered().count() == 1
    assert set(feedback.filter(status="hidden").values_list("hidden_reason", flat=True)) == {
        "spam",
        "personal_data",
    }
    assert feedback.filter(status="under_review").count() == 1
    assert feedback.awaiting_moderation().count() == 2
    assert FeedbackEvent.objects.filter(pgh_obj__in=feedback).exists()
    # Loading again adds nothing.
    load_demo_registry(today=dt.date(2026, 11, 30))
    assert feedback.count() == 6
