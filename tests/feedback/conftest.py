"""Fixtures for public feedback: a partnership to leave it on, a moderator, and helpers
that submit and confirm as a person would."""

import re
import time

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.challenge import challenge_issue
from feedback.models import Feedback
from partnerships.models import Membership
from tests import factories

SENTINEL_EMAIL = "sentinel-7f3a9c@feedback-private.example"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The rate limits count in the cache: each test starts from none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def community_board():
    return factories.OrganizationFactory(
        name="Riverside Community Board", slug="riverside-board", kind="community_board"
    )


@pytest.fixture
def moderator(community_board):
    membership = factories.MembershipFactory(
        organization=community_board, role=Membership.Role.EDITOR, user__username="moderator"
    )
    return membership.user


def form_data(**overrides) -> dict:
    return {
        "category": "concern",
        "text": "The data-sharing with the police is not explained to the people it concerns.",
        "display_name": "A neighbour",
        "email": "someone@example.org",
        "website": "",
        # Served ten seconds ago: a person, not a script.
        "challenge": challenge_issue(time.time() - 10),
    } | overrides


def submit(client, partnership, **overrides):
    return client.post(
        reverse("feedback:new", kwargs={"slug": partnership.slug}), form_data(**overrides)
    )


def confirmation_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/feedback/confirm/[^\s]+/)", message.body).group(1)


def submitted(partnership, *, status=Feedback.Status.PUBLISHED, **fields) -> Feedback:
    """A feedback item through the services, in ``status``."""
    feedback = services.feedback_submit(
        partnership=partnership,
        category=fields.pop("category", "concern"),
        text=fields.pop("text", "What I saw of this partnership."),
        email=fields.pop("email", "someone@example.org"),
        client_address=fields.pop("client_address", "192.0.2.1"),
        display_name=fields.pop("display_name", ""),
    )
    now = timezone.now()
    if status != Feedback.Status.UNCONFIRMED:
        Feedback.objects.filter(pk=feedback.pk).update(
            status=status,
            confirmed_at=now,
            published_at=now if status == Feedback.Status.PUBLISHED else None,
            decided_at=None if status == Feedback.Status.PENDING else now,
            hidden_reason=fields.pop("hidden_reason", "abusive")
            if status == Feedback.Status.HIDDEN
            else "",
        )
    mail.outbox.clear()
    cache.clear()  # items made for a test are not counted by the rate limits
    feedback.refresh_from_db()
    return feedback
