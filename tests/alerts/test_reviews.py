"""Oversight reviews followed through their partnership: a search of the registry (or a
follow) that matches a review's partnership gets the review when it is published or
changes, with its public changes and its link, by e-mail and webhook; never an unpublished
review, a private note or a withheld value."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from agreements.models import Agreement
from alerts import webhooks
from alerts.matching import alerts_match, alerts_send
from alerts.models import AlertItem, Record, WebhookDelivery
from oversight.models import Review
from publication.choices import PublicationStatus
from tests import factories
from tests.alerts.conftest import make_alert, start_cursor_now
from tests.alerts.receiver import fake_endpoint
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db


def run_job(now=None):
    now = now or timezone.now()
    return alerts_match(now=now), alerts_send(now=now)


def later(minutes: int):
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_a_review_of_a_followed_partnership_is_sent_with_its_changes_and_link(
    follower, partnership
):
    agreement = factories.AgreementFactory(partnership=partnership, title="Referral MOU")
    make_alert(follower, f"partnership={partnership.slug}")
    start_cursor_now()

    review = factories.ReviewFactory(
        agreement=agreement, public_summary="Referrals were made within the agreed terms."
    )
    run_job()

    [message] = mail.outbox
    assert "Scheduled review: Referral MOU" in message.body
    link = f"http://127.0.0.1:8000/agreements/{agreement.pk}/#review-{review.pk}"
    assert link in message.body
    assert "Created review" in message.body
    assert "Referrals were made within the agreed terms." in message.body
    assert AlertItem.objects.get(record_type=Record.REVIEW).record_id == review.pk

    Review.objects.filter(pk=review.pk).update(outcome=Review.Outcome.CONCERNS)
    factories.FindingFactory(review=review, summary="Consent forms were not kept.")
    run_job(later(5))

    assert len(mail.outbox) == 2
    body = mail.outbox[1].body
    assert "Outcome: Compliant → Concerns" in body
    assert "Created finding" in body and "Consent forms were not kept." in body
    assert "Referrals were made" not in body  # told once, with its creation
    # The review's page shows what the link points at.
    client_page = reverse("public:agreement", kwargs={"pk": agreement.pk})
    assert link.endswith(client_page + f"#review-{review.pk}")


def test_a_review_is_sent_to_the_searches_matching_its_partnership(follower):
    kenya = factories.partnership_with_parties(country="KE", title="Nairobi scheme")
    britain = factories.partnership_with_parties(country="GB", title="Leeds scheme")
    kenyan = factories.AgreementFactory(partnership=kenya, title="Nairobi MOU")
    british = factories.AgreementFactory(partnership=britain, title="Leeds MOU")
    make_alert(follower, "country=KE")
    start_cursor_now()

    factories.ReviewFactory(agreement=kenyan)
    factories.ReviewFactory(agreement=british)
    run_job()

    [message] = mail.outbox
    assert "Nairobi MOU" in message.body
    assert "Leeds MOU" not in message.body


def test_a_review_published_with_its_agreement_is_sent_then(client, follower, partnership):
    agreement = factories.AgreementFactory(
        partnership=partnership, publication_status=PublicationStatus.DRAFT, title="Draft MOU"
    )
    make_alert(follower, f"partnership={partnership.slug}")
    start_cursor_now()
    review = factories.ReviewFactory(agreement=agreement, public_summary="SENTINEL-DRAFT")
    assert run_job() == (0, 0)

    Agreement.objects.filter(pk=agreement.pk).update(publication_status=PublicationStatus.PUBLISHED)
    run_job(later(5))

    [message] = mail.outbox
    assert f"#review-{review.pk}" in message.body
    assert "Published with its agreement" in message.body
    # Its history starts with its publication: nothing of the draft's time is told.
    assert "SENTINEL" not in message.body
    page = client.get(reverse("public:agreement", kwargs={"pk": agreement.pk}))
    assert f'id="review-{review.pk}"' in page.content.decode()


def test_an_unpublished_review_private_notes_and_withheld_values_are_never_sent(
    follower, partnership
):
    draft = factories.AgreementFactory(
        partnership=partnership, publication_status=PublicationStatus.DRAFT
    )
    public = factories.AgreementFactory(partnership=partnership)
    alert = make_alert(follower, f"partnership={partnership.slug}")
    start_cursor_now()
    with fake_endpoint(200) as receiver:
        webhooks.endpoint_create(alert=alert, url=receiver.url)
        factories.ReviewFactory(agreement=draft, public_summary="SENTINEL-UNPUBLISHED")
        review = factories.ReviewFactory(
            agreement=public, public_summary="SENTINEL-SUMMARY", notes="SENTINEL-NOTES"
        )
        withhold(review, "public_summary")
        Review.objects.filter(pk=review.pk).update(
            public_summary="SENTINEL-SUMMARY, changed", notes="SENTINEL-NOTES, changed"
        )
        run_job()
        webhooks.webhooks_deliver()

    [message] = mail.outbox
    assert f"#review-{review.pk}" in message.body
    assert "withheld" in message.body
    for text in (message.body, message.alternatives[0][0]):
        assert "SENTINEL" not in text
    bodies = [request.body for request in receiver.requests]
    assert any(json.loads(body)["type"] == "review.published" for body in bodies)
    for body in bodies:
        assert b"SENTINEL" not in body


def test_a_review_is_posted_published_then_changed_with_its_changes(client, follower, partnership):
    agreement = factories.AgreementFactory(partnership=partnership)
    alert = make_alert(follower, f"partnership={partnership.slug}", frequency="monthly")
    with fake_endpoint(200) as receiver:
        endpoint = webhooks.endpoint_create(alert=alert, url=receiver.url)
        start_cursor_now()
        review = factories.ReviewFactory(agreement=agreement)
        alerts_match(now=timezone.now())
        webhooks.webhooks_deliver()
        Review.objects.filter(pk=review.pk).update(outcome=Review.Outcome.NON_COMPLIANT)
        alerts_match(now=later(1))
        webhooks.webhooks_deliver(now=later(1))

    reviews = [
        Webhook(endpoint.secret).verify(r.body, r.headers)
        for r in receiver.requests
        if json.loads(r.body)["type"].startswith("review.")
    ]
    published, changed = reviews
    assert published["type"] == "review.published"
    api = client.get(reverse("api:review-detail", kwargs={"pk": review.pk})).json()
    assert set(published["data"]) == set(api)
    assert published["page_url"] == (
        f"http://127.0.0.1:8000/agreements/{agreement.pk}/#review-{review.pk}"
    )
    assert [c["action"] for c in published["changes"]] == ["created"]
    assert changed["type"] == "review.changed"
    assert changed["data"]["outcome"] == "non_compliant"
    [entry] = changed["changes"]
    assert {"field": "outcome", "label": "Outcome", "old": "Compliant", "new": "Non-compliant"} in (
        entry["changes"]
    )
    assert WebhookDelivery.objects.filter(event_type__startswith="review.").count() == 2
