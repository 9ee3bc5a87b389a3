"""Moderation: publish, hide with a reason (a public stub), auto-hide after reports, close a
partnership to feedback; a party's members never moderate feedback on it; every decision
and response is in the audit log."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import Feedback, FeedbackEvent, FeedbackResponse, FeedbackResponseEvent
from feedback.personal_data import personal_data_signals
from tests import factories

from .conftest import submit, submitted

pytestmark = pytest.mark.django_db


def test_a_moderator_publishes_and_the_page_shows_it(client, partnership, moderator):
    feedback = submitted(partnership, status=Feedback.Status.PENDING, text="Seen at the station.")
    client.force_login(moderator)
    queue = client.get(reverse("feedback:moderation"))
    assert queue.status_code == 200
    assert "1 awaiting a decision" in queue.content.decode()
    response = client.post(
        reverse("feedback:moderate", kwargs={"pk": feedback.pk}), {"decision": "publish"}
    )
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.PUBLISHED
    assert feedback.published_at is not None
    assert feedback.decided_by == moderator
    client.logout()
    assert "Seen at the station." in client.get(partnership.get_absolute_url()).content.decode()


def test_hidden_feedback_is_a_stub_with_its_reason(client, partnership, moderator):
    feedback = submitted(partnership, status=Feedback.Status.PENDING, text="Something abusive")
    services.feedback_hide(
        feedback=feedback, actor=moderator, now=timezone.now(), reason="abusive", note="insults"
    )
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.HIDDEN
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "Hidden by moderators: abusive." in page
    assert "Something abusive" not in page
    assert "insults" not in page
    item = client.get(reverse("api:feedback-detail", kwargs={"pk": feedback.pk})).json()
    assert item["text"] is None
    assert item["hidden_reason"] == "abusive"


def test_hiding_needs_a_reason(client, partnership, moderator):
    feedback = submitted(partnership, status=Feedback.Status.PENDING)
    client.force_login(moderator)
    response = client.post(
        reverse("feedback:moderate", kwargs={"pk": feedback.pk}), {"decision": "hide"}
    )
    assert response.status_code == 400
    assert "Choose the reason" in response.content.decode()
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.PENDING


def test_spam_is_not_shown_at_all(client, partnership, moderator):
    feedback = submitted(partnership, status=Feedback.Status.PENDING)
    services.feedback_hide(feedback=feedback, actor=moderator, now=timezone.now(), reason="spam")
    assert Feedback.objects.public().count() == 0


def test_a_partys_editor_cannot_moderate_feedback_on_their_partnership(
    client, partnership, ngo, moderator, community_board
):
    feedback = submitted(partnership, status=Feedback.Status.PENDING)
    # The moderator's board is also a party: they may not judge what is said about it.
    factories.PartnershipPartyFactory(
        partnership=partnership, organization=community_board, role="other"
    )
    with pytest.raises(PermissionDenied):
        services.feedback_publish(feedback=feedback, actor=moderator, now=timezone.now())
    client.force_login(moderator)
    url = reverse("feedback:moderate", kwargs={"pk": feedback.pk})
    assert client.post(url, {"decision": "publish"}).status_code == 403
    assert "awaiting" in client.get(reverse("feedback:moderation")).content.decode()
    assert f"queue-{feedback.pk}" not in client.get(reverse("feedback:moderation")).content.decode()
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.PENDING


def test_an_ngo_editor_is_no_moderator(client, partnership, ngo_editor):
    feedback = submitted(partnership, status=Feedback.Status.PENDING)
    client.force_login(ngo_editor)
    assert client.get(reverse("feedback:moderation")).status_code == 403
    url = reverse("feedback:moderate", kwargs={"pk": feedback.pk})
    assert client.post(url, {"decision": "publish"}).status_code == 403


def test_n_reports_hide_it_pending_review_and_tell_the_author(
    client, partnership, settings, django_capture_on_commit_callbacks
):
    settings.FEEDBACK_REPORTS_TO_HIDE = 3
    feedback = submitted(partnership, email="author@example.org")
    url = reverse("feedback:report", kwargs={"pk": feedback.pk})
    with django_capture_on_commit_callbacks(execute=True):
        for address in ("192.0.2.10", "192.0.2.10", "192.0.2.11"):
            assert client.post(url, REMOTE_ADDR=address).status_code == 302
        feedback.refresh_from_db()
        # The same reader twice counts once.
        assert feedback.status == Feedback.Status.PUBLISHED
        client.post(url, REMOTE_ADDR="192.0.2.12")
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.UNDER_REVIEW
    assert [m.to for m in mail.outbox] == [["author@example.org"]]
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "Hidden pending review after reports from readers." in page
    assert feedback in Feedback.objects.awaiting_moderation()


def test_a_moderator_closes_a_partnership_to_feedback(client, partnership, moderator):
    client.force_login(moderator)
    url = reverse("feedback:closure", kwargs={"slug": partnership.slug})
    response = client.post(url, {"reason": "Under investigation by the ombudsman."})
    assert response.status_code == 302
    client.logout()
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "Closed to new feedback:" in page
    assert "Under investigation by the ombudsman." in page
    assert submit(client, partnership).status_code == 400
    assert Feedback.objects.count() == 0
    client.force_login(moderator)
    client.post(url, {"reopen": "1"})
    client.logout()
    assert submit(client, partnership).status_code == 302


def test_every_decision_and_response_is_in_the_audit_log(partnership, moderator, ngo_editor, ngo):
    feedback = submitted(partnership, status=Feedback.Status.PENDING)
    before = FeedbackEvent.objects.filter(pgh_obj_id=feedback.pk).count()
    services.feedback_publish(feedback=feedback, actor=moderator, now=timezone.now())
    services.feedback_respond(feedback=feedback, actor=ngo_editor, organization=ngo, text="Noted.")
    services.feedback_hide(
        feedback=feedback, actor=moderator, now=timezone.now(), reason="duplicate"
    )
    events = FeedbackEvent.objects.filter(pgh_obj_id=feedback.pk).order_by("pgh_seq")
    assert events.count() == before + 2
    assert [e.status for e in events][-2:] == ["published", "hidden"]
    assert FeedbackResponseEvent.objects.filter(feedback_id=feedback.pk).count() == 1
    # The events name the author by id; the address is in no audit table.
    assert not hasattr(events.last(), "email")


def test_a_party_responds_once_in_its_name(client, partnership, ngo_editor, ngo, other_ngo_editor):
    feedback = submitted(partnership, text="Why is the data kept for ten years?")
    url = reverse("feedback:respond", kwargs={"pk": feedback.pk})
    client.force_login(other_ngo_editor)
    assert client.post(url, {"organization": ngo.pk, "text": "x"}).status_code == 403
    client.force_login(ngo_editor)
    response = client.post(url, {"organization": ngo.pk, "text": "It is kept for two years."})
    assert response.status_code == 302
    assert FeedbackResponse.objects.get().organization == ngo
    again = client.post(url, {"organization": ngo.pk, "text": "Again."})
    assert again.status_code == 400
    assert "already been answered" in again.content.decode()
    client.logout()
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "It is kept for two years." in page
    assert f'Response from <a href="/organizations/{ngo.slug}/">' in page
    assert "1 item, 1 answered" in page


def test_the_page_counts_items_unanswered_for_30_days(client, partnership):
    import datetime as dt

    import time_machine

    with time_machine.travel(timezone.now() - dt.timedelta(days=31)):
        submitted(partnership)
    submitted(partnership)
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "2 items, 0 answered; 1 without a response for more than 30 days" in page


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("Write to john.smith@example.org please", "email", "john.smith@example.org"),
        ("Call me on +44 20 7946 0958 any time", "phone", "+44 20 7946 0958"),
        ("It was Officer Miller at the desk", "name", "Officer Miller"),
        ("I met with Jane Doe yesterday", "name", "Jane Doe"),
    ],
)
def test_personal_data_is_flagged_to_the_moderator(text, kind, found):
    assert (kind, found) in personal_data_signals(text)


def test_plain_text_flags_nothing():
    assert personal_data_signals("the meetings were held in 2023 and nobody came.") == []


def test_the_queue_flags_personal_data(client, partnership, moderator):
    submitted(partnership, status=Feedback.Status.PENDING, text="Ask jane@example.org")
    client.force_login(moderator)
    body = client.get(reverse("feedback:moderation")).content.decode()
    assert "Possible personal data" in body
    assert "jane@example.org" in body
