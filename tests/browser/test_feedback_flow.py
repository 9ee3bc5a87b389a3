"""Public feedback end to end in a real browser, on a phone and on a desktop: a reader
leaves feedback, confirms it by the mailed link, a board's moderator publishes it, the
NGO's editor answers it on the record, and the public sees both."""

import re

import pytest
from django.core import mail

from feedback.models import Feedback, FeedbackResponse
from partnerships.models import Membership
from tests import factories

from .test_staff_flows import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("width", [390, 1280])
def test_feedback_is_submitted_confirmed_moderated_answered_and_visible(
    page, live_server, partnership, ngo_editor, monkeypatch, width
):
    # The challenge refuses forms sent within seconds: a test types faster than a person.
    monkeypatch.setattr("feedback.challenge.MIN_SECONDS", 0)
    from django.core.cache import cache

    cache.clear()
    board = factories.OrganizationFactory(kind="community_board", name="Riverside Board")
    moderator = factories.MembershipFactory(
        organization=board, role=Membership.Role.EDITOR, user__username="board_moderator"
    ).user
    mail.outbox.clear()
    page.set_viewport_size({"width": width, "height": 900})

    # A reader leaves feedback from the partnership's page.
    page.goto(f"{live_server.url}{partnership.get_absolute_url()}")
    page.get_by_role("link", name="Leave feedback").click()
    page.get_by_label("Category").select_option("question")
    page.get_by_label("Your feedback").fill("Who sees the referral forms? <script>x()</script>")
    page.get_by_label("Name to show").fill("A neighbour")
    page.get_by_label("Your e-mail address").fill("reader@example.org")
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url(re.compile(r"/feedback/sent/"))
    assert page.get_by_role("heading", name="Check your e-mail").is_visible()

    # ... and confirms it by the link mailed to them.
    link = re.search(r"https?://\S+/feedback/confirm/\S+/", mail.outbox[-1].body).group()
    path = re.sub(r"^https?://[^/]+", "", link)
    page.goto(f"{live_server.url}{path}")
    page.get_by_role("button", name="Confirm my feedback").click()
    assert page.get_by_text("your feedback is confirmed").is_visible()
    assert Feedback.objects.get().status == Feedback.Status.PENDING

    # A board's moderator publishes it from the queue.
    log_in(page, live_server.url, moderator.username)
    page.goto(f"{live_server.url}/feedback/moderation/")
    assert page.get_by_text("1 awaiting a decision").is_visible()
    page.get_by_role("link", name="Decide").click()
    page.get_by_label("Publish").check()
    page.get_by_role("button", name="Save the decision").click()
    page.wait_for_url(re.compile(r"/feedback/moderation/$"))
    assert Feedback.objects.get().status == Feedback.Status.PUBLISHED
    page.context.clear_cookies()

    # The NGO's editor answers it on the record.
    log_in(page, live_server.url, ngo_editor.username)
    page.goto(f"{live_server.url}{partnership.get_absolute_url()}")
    page.get_by_role("link", name="Respond on the record").click()
    page.get_by_label("Response").fill("Only the refuge's caseworkers see them.")
    page.get_by_role("button", name="Publish the response").click()
    assert FeedbackResponse.objects.count() == 1
    page.context.clear_cookies()

    # The public sees the feedback, as text, with the response beneath it.
    page.goto(f"{live_server.url}{partnership.get_absolute_url()}")
    section = page.locator("#feedback")
    assert section.get_by_text("Who sees the referral forms? <script>x()</script>").is_visible()
    assert section.get_by_text("Only the refuge's caseworkers see them.").is_visible()
    assert section.get_by_text("1 item, 1 answered").is_visible()
    assert "reader@example.org" not in page.content()
