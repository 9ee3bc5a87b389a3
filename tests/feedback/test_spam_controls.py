"""Spam controls answer with a clear message, never a 500, and create nothing: the
honeypot, the time-based challenge, the size limit and the rate limits."""

import time

import pytest

from feedback.challenge import PER_CLIENT, PER_EMAIL, challenge_issue
from feedback.models import MAX_TEXT_LENGTH, Feedback

from .conftest import submit

pytestmark = pytest.mark.django_db


def test_the_honeypot_refuses_a_filled_in_form(client, partnership):
    response = submit(client, partnership, website="http://spam.example")
    assert response.status_code == 400
    assert "could not be accepted" in response.content.decode()
    assert Feedback.objects.count() == 0


def test_a_form_sent_too_fast_is_refused(client, partnership):
    response = submit(client, partnership, challenge=challenge_issue(time.time()))
    assert response.status_code == 400
    assert "very fast" in response.content.decode()
    assert Feedback.objects.count() == 0


def test_a_forged_or_stale_challenge_is_refused(client, partnership):
    forged = submit(client, partnership, challenge="12345:nope")
    stale = submit(client, partnership, challenge=challenge_issue(time.time() - 3 * 3600))
    assert forged.status_code == stale.status_code == 400
    assert "reload the page" in forged.content.decode()
    assert "expired" in stale.content.decode()
    assert Feedback.objects.count() == 0


def test_a_text_over_the_size_limit_is_refused(client, partnership):
    response = submit(client, partnership, text="x" * (MAX_TEXT_LENGTH + 1))
    assert response.status_code == 400
    assert f"at most {MAX_TEXT_LENGTH} characters" in response.content.decode()
    assert Feedback.objects.count() == 0


def test_the_rate_limit_per_address(client, partnership):
    limit, _ = PER_EMAIL
    for n in range(limit):
        assert submit(client, partnership, text=f"Item {n}").status_code == 302
    response = submit(client, partnership, text="One too many")
    assert response.status_code == 429
    assert "wait an hour" in response.content.decode()
    assert Feedback.objects.count() == limit
    # Another address is not limited.
    other = submit(client, partnership, email="other@example.org")
    assert other.status_code == 302


def test_the_rate_limit_per_client_address(client, partnership):
    limit, _ = PER_CLIENT
    for n in range(limit):
        response = submit(client, partnership, email=f"person{n}@example.org")
        assert response.status_code == 302
    response = submit(client, partnership, email="one-more@example.org")
    assert response.status_code == 429
    assert Feedback.objects.count() == limit
