"""What the public sees of feedback: the e-mail address on no public surface (a sentinel
walk of every page, API endpoint, export and feed that shows feedback), XSS payloads shown
as text everywhere, links clickable only once published, the API's filters, the stats."""

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import Feedback
from tests import factories

from .conftest import SENTINEL_EMAIL, submitted

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)> https://evil.example/path'


@pytest.fixture
def feedback_of_every_kind(partnership, ngo_editor, ngo, moderator):
    published = submitted(partnership, email=SENTINEL_EMAIL, text=XSS, display_name="<b>Bo</b>")
    services.feedback_respond(
        feedback=published, actor=ngo_editor, organization=ngo, text="<script>r()</script>"
    )
    hidden = submitted(partnership, status=Feedback.Status.PENDING, email=SENTINEL_EMAIL)
    services.feedback_hide(feedback=hidden, actor=moderator, now=timezone.now(), reason="legal")
    submitted(partnership, status=Feedback.Status.UNDER_REVIEW, email=SENTINEL_EMAIL)
    submitted(partnership, status=Feedback.Status.PENDING, email=SENTINEL_EMAIL)
    submitted(partnership, status=Feedback.Status.UNCONFIRMED, email=SENTINEL_EMAIL)
    return published


def public_surfaces(partnership, published) -> list[str]:
    slug = partnership.slug
    return [
        partnership.get_absolute_url(),
        partnership.get_absolute_url() + "?feedback_page=2",
        reverse("feedback:new", kwargs={"slug": slug}),
        reverse("feedback:sent", kwargs={"slug": slug}),
        reverse("feeds:feedback", kwargs={"slug": slug}),
        reverse("api:feedback-list"),
        reverse("api:feedback-list") + "?format=csv",
        reverse("api:feedback-list") + "?format=json",
        reverse("api:feedback-list") + f"?partnership={slug}&answered=true",
        reverse("api:feedback-detail", kwargs={"pk": published.pk}),
        reverse("api:stats"),
        reverse("api:root"),
        reverse("public:methodology"),
        reverse("public:home"),
        f"/api/v1/partnerships/{partnership.pk}/",
    ]


def body_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_the_email_address_is_on_no_public_surface(client, partnership, feedback_of_every_kind):
    for url in public_surfaces(partnership, feedback_of_every_kind):
        response = client.get(url)
        assert response.status_code == 200, url
        body = body_of(response)
        assert SENTINEL_EMAIL not in body, url
        assert "sentinel-7f3a9c" not in body, url


def test_xss_payloads_are_shown_as_text_everywhere(client, partnership, feedback_of_every_kind):
    for url in public_surfaces(partnership, feedback_of_every_kind):
        response = client.get(url)
        body = body_of(response)
        if not response["Content-Type"].startswith(("text/html", "application/atom+xml")):
            # Data (JSON, CSV) carries the text as it was written, never as markup.
            assert response["Content-Type"].startswith(("application/json", "text/csv")), url
            continue
        assert '<script>alert("x")</script>' not in body, url
        assert "<img src=x" not in body, url
        assert "<script>r()</script>" not in body, url
        assert "<b>Bo</b>" not in body, url
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # Published: the link is clickable, marked nofollow.
    assert 'href="https://evil.example/path" rel="nofollow"' in page
    # The API gives the text as it was written, as JSON data.
    item = client.get(
        reverse("api:feedback-detail", kwargs={"pk": feedback_of_every_kind.pk})
    ).json()
    assert item["text"] == XSS
    assert item["response"]["organization"]["name"]


def test_links_are_not_clickable_before_publication(client, partnership, moderator):
    submitted(partnership, status=Feedback.Status.PENDING, text="See https://example.net/x now")
    client.force_login(moderator)
    body = client.get(reverse("feedback:moderation")).content.decode()
    assert "https://example.net/x" in body
    assert 'href="https://example.net/x"' not in body


def test_the_api_filters(client, partnership, ngo_editor, ngo):
    other = factories.partnership_with_parties(slug="other-partnership")
    answered = submitted(partnership, category="question")
    services.feedback_respond(feedback=answered, actor=ngo_editor, organization=ngo, text="Yes.")
    unanswered = submitted(partnership, category="concern")
    elsewhere = submitted(other, category="question")
    url = reverse("api:feedback-list")

    def ids(query):
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids({}) == {answered.pk, unanswered.pk, elsewhere.pk}
    assert ids({"partnership": partnership.slug}) == {answered.pk, unanswered.pk}
    assert ids({"category": "question"}) == {answered.pk, elsewhere.pk}
    assert ids({"answered": "true"}) == {answered.pk}
    assert ids({"answered": "false"}) == {unanswered.pk, elsewhere.pk}
    assert ids({"since": "2999-01-01"}) == set()
    assert ids({"since": "2000-01-01"}) == {answered.pk, unanswered.pk, elsewhere.pk}
    refused = client.get(url, {"partnerhsip": partnership.slug})
    assert refused.status_code == 400
    assert "partnerhsip" in refused.json()


def test_the_api_list_costs_the_same_for_1_and_20_items(
    client, partnership, django_assert_max_num_queries, ngo_editor, ngo
):
    def queries_for_list():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("api:feedback-list")).status_code == 200
        return len(captured)

    item = submitted(partnership)
    services.feedback_respond(feedback=item, actor=ngo_editor, organization=ngo, text="A.")
    one = queries_for_list()
    for _ in range(19):
        submitted(partnership)
    assert queries_for_list() == one


def test_the_stats_count_public_feedback(client, partnership, moderator):
    submitted(partnership, category="support")
    hidden = submitted(partnership, status=Feedback.Status.PENDING)
    services.feedback_hide(feedback=hidden, actor=moderator, now=timezone.now(), reason="legal")
    submitted(partnership, status=Feedback.Status.PENDING)
    figures = client.get(reverse("api:stats")).json()["feedback"]
    assert figures["total"] == 2
    assert figures["published"] == 1
    assert figures["answered"] == 0
    assert {row["key"]: row["count"] for row in figures["by_category"]}["support"] == 1


def test_the_methodology_page_shows_moderation_per_quarter(client, partnership, moderator):
    hidden = submitted(partnership, status=Feedback.Status.PENDING)
    services.feedback_hide(feedback=hidden, actor=moderator, now=timezone.now(), reason="legal")
    submitted(partnership)
    body = client.get(reverse("public:methodology")).content.decode()
    assert "Moderation of public feedback" in body
    quarter = f"{timezone.localdate().year} Q{(timezone.localdate().month - 1) // 3 + 1}"
    assert quarter in body
    assert "legal reasons: 1" in body
