"""Feedback is public only once its author confirms it by a one-time, expiring link, and a
moderator publishes it; unconfirmed feedback is deleted after 7 days."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from feedback.models import Feedback, FeedbackAuthor
from feedback.services import unconfirmed_delete

from .conftest import confirmation_path, submit, submitted

pytestmark = pytest.mark.django_db


def test_it_mails_a_confirmation_link_and_keeps_the_item_unconfirmed(
    client, partnership, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, partnership)
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert feedback.status == Feedback.Status.UNCONFIRMED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["someone@example.org"]
    assert "/feedback/confirm/" in mail.outbox[0].body


def test_unconfirmed_and_pending_feedback_is_never_public(client, partnership):
    unconfirmed = submitted(partnership, status=Feedback.Status.UNCONFIRMED, text="UNCONFIRMED-X")
    pending = submitted(partnership, status=Feedback.Status.PENDING, text="PENDING-X")
    assert set(Feedback.objects.public()) == set()
    page = client.get(partnership.get_absolute_url()).content.decode()
    api = client.get(reverse("api:feedback-list")).json()
    feed = client.get(reverse("feeds:feedback", kwargs={"slug": partnership.slug})).content.decode()
    for body in (page, str(api), feed):
        assert "UNCONFIRMED-X" not in body
        assert "PENDING-X" not in body
    assert api["count"] == 0
    for item in (unconfirmed, pending):
        assert client.get(reverse("api:feedback-detail", kwargs={"pk": item.pk})).status_code == 404


def test_the_link_confirms_once(client, partnership, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, partnership)
    path = confirmation_path(mail.outbox[0])
    # Following the link shows a button; it confirms nothing by itself.
    assert client.get(path).status_code == 200
    assert Feedback.objects.get().status == Feedback.Status.UNCONFIRMED
    response = client.post(path)
    assert response.status_code == 200
    feedback = Feedback.objects.get()
    assert feedback.status == Feedback.Status.PENDING
    assert feedback.confirmed_at is not None
    # A second use is refused with a message, and changes nothing.
    again = client.post(path)
    assert again.status_code == 400
    assert "already been used" in again.content.decode()
    assert client.get(path).status_code == 400
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.PENDING


def test_the_link_expires_after_7_days(client, partnership, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, partnership)
    path = confirmation_path(mail.outbox[0])
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        response = client.post(path)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert Feedback.objects.get().status == Feedback.Status.UNCONFIRMED


def test_a_forged_link_is_refused(client):
    response = client.get(reverse("feedback:confirm", kwargs={"token": "1:forged"}))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_the_cleanup_deletes_unconfirmed_feedback_after_7_days_and_its_address(partnership):
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=7, hours=1)):
        old = submitted(partnership, status=Feedback.Status.UNCONFIRMED, email="old@example.org")
    with time_machine.travel(now - dt.timedelta(days=6)):
        recent = submitted(partnership, status=Feedback.Status.UNCONFIRMED, email="new@example.org")
    with time_machine.travel(now - dt.timedelta(days=30)):
        confirmed = submitted(partnership, status=Feedback.Status.PENDING, email="ok@example.org")

    counts = unconfirmed_delete(now=now)

    assert counts == {"feedback_deleted": 1, "authors_deleted": 1}
    assert set(Feedback.objects.values_list("pk", flat=True)) == {recent.pk, confirmed.pk}
    assert not Feedback.objects.filter(pk=old.pk).exists()
    assert set(FeedbackAuthor.objects.values_list("email", flat=True)) == {
        "new@example.org",
        "ok@example.org",
    }
    # A re-run deletes nothing more.
    assert unconfirmed_delete(now=now) == {"feedback_deleted": 0, "authors_deleted": 0}


def test_the_cleanup_is_scheduled_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["delete-unconfirmed-feedback"]
    assert entry["task"] == "feedback.tasks.delete_unconfirmed_feedback"
