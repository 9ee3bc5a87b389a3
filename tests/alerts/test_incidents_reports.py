"""Incidents and transparency reports in the alerts: a search of the registry (or a follow)
gets the incidents on its partnerships' agreements when they are published or change, and
their transparency reports when they are published; "Alert me" on the incidents list saves
its search. Never an unpublished incident, a private note or a withheld value."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from alerts import webhooks
from alerts.matching import alerts_match, alerts_send
from alerts.models import Alert, Record, WebhookDelivery
from incidents.models import Incident
from publication.choices import PublicationStatus
from reports.models import Report
from reports.services import report_publish_year
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


def posted(receiver, secret, prefix: str) -> list[dict]:
    return [
        Webhook(secret).verify(request.body, request.headers)
        for request in receiver.requests
        if json.loads(request.body)["type"].startswith(prefix)
    ]


def test_an_incident_on_a_followed_partnership_is_sent_by_email_and_webhook(
    client, follower, partnership
):
    agreement = factories.AgreementFactory(partnership=partnership)
    alert = make_alert(follower, f"partnership={partnership.slug}")
    with fake_endpoint(200) as receiver:
        endpoint = webhooks.endpoint_create(alert=alert, url=receiver.url)
        start_cursor_now()
        incident = factories.IncidentFactory(
            title="Case files sent to the wrong shelter", agreements=[agreement]
        )
        run_job()
        webhooks.webhooks_deliver()
        Incident.objects.filter(pk=incident.pk).update(measures_taken="Recipients re-checked.")
        run_job(later(5))
        webhooks.webhooks_deliver(now=later(5))

    first, second = mail.outbox
    assert "Incident: Case files sent to the wrong shelter" in first.body
    assert f"http://127.0.0.1:8000/incidents/{incident.pk}/" in first.body
    assert "Created incident" in first.body
    assert "Measures taken: — → Recipients re-checked." in second.body
    published, changed = posted(receiver, endpoint.secret, "incident.")
    assert published["type"] == "incident.published"
    api = client.get(reverse("api:incident-detail", kwargs={"pk": incident.pk})).json()
    assert set(published["data"]) == set(api)
    assert published["page_url"] == f"http://127.0.0.1:8000/incidents/{incident.pk}/"
    assert changed["type"] == "incident.changed"
    assert changed["data"]["measures_taken"] == "Recipients re-checked."


def test_alert_me_on_the_incidents_list_saves_its_search_which_matches_incidents(
    client, follower, partnership
):
    page = client.get(reverse("public:incidents"), {"kind": "data_breach"}).content.decode()
    assert reverse("alerts:new") + "?kind=incidents&amp;query=kind%3Ddata_breach" in page
    client.force_login(follower.user)
    response = client.post(
        reverse("alerts:new"),
        {
            "kind": "incidents",
            "query": "kind=data_breach",
            "name": "Breaches",
            "frequency": "daily",
        },
    )
    assert response.status_code == 302
    alert = Alert.objects.get(follower=follower)
    assert (alert.kind, alert.query) == ("incidents", "kind=data_breach")
    assert alert.page_url() == reverse("public:incidents") + "?kind=data_breach"
    agreement = factories.AgreementFactory(partnership=partnership)
    start_cursor_now()

    factories.IncidentFactory(title="A breach", kind="data_breach", agreements=[agreement])
    factories.IncidentFactory(
        title="Beyond its purpose", kind="scope_violation", agreements=[agreement]
    )
    run_job()

    [message] = mail.outbox
    assert "Incident: A breach" in message.body
    assert "Beyond its purpose" not in message.body


def test_an_unpublished_incident_private_notes_and_withheld_values_are_never_sent(
    follower, partnership
):
    agreement = factories.AgreementFactory(partnership=partnership)
    draft_agreement = factories.AgreementFactory(
        partnership=partnership, publication_status=PublicationStatus.DRAFT
    )
    alert = make_alert(follower, f"partnership={partnership.slug}")
    incidents_alert = make_alert(follower, "", kind=Alert.Kind.INCIDENTS)
    with fake_endpoint(200) as receiver:
        webhooks.endpoint_create(alert=alert, url=receiver.url)
        webhooks.endpoint_create(alert=incidents_alert, url=receiver.url)
        start_cursor_now()
        factories.IncidentFactory(
            title="SENTINEL-DRAFT",
            publication_status=PublicationStatus.DRAFT,
            agreements=[agreement],
        )
        factories.IncidentFactory(title="SENTINEL-ON-A-DRAFT", agreements=[draft_agreement])
        incident = factories.IncidentFactory(
            title="Shown", notes="SENTINEL-NOTES", agreements=[agreement]
        )
        withhold(incident, "nature")
        Incident.objects.filter(pk=incident.pk).update(
            nature="SENTINEL-NATURE", notes="SENTINEL-NOTES, changed"
        )
        run_job()
        webhooks.webhooks_deliver()

    assert len(mail.outbox) == 2  # the follow and the incidents list's search
    for message in mail.outbox:
        assert "Incident: Shown" in message.body
        assert "withheld" in message.body
        for text in (message.body, message.alternatives[0][0]):
            assert "SENTINEL" not in text
    assert len(receiver.requests) == 2
    for request in receiver.requests:
        assert b"SENTINEL" not in request.body


def test_a_published_transparency_report_is_sent_and_a_draft_never(follower, partnership):
    alert = make_alert(follower, f"partnership={partnership.slug}", frequency="weekly")
    with fake_endpoint(200) as receiver:
        endpoint = webhooks.endpoint_create(alert=alert, url=receiver.url)
        start_cursor_now()
        now = timezone.now()
        report = report_publish_year(partnership=partnership, year=2025, now=now)
        draft = Report.objects.create(
            partnership=partnership,
            year=2026,
            snapshot="{}",
            sha256="0" * 64,
            generated_at=now,
        )
        run_job(now)
        webhooks.webhooks_deliver(now=now)

    [message] = mail.outbox
    assert f"Transparency report 2025 of {partnership}" in message.body
    assert f"/partnerships/{partnership.slug}/reports/2025/?version=1" in message.body
    assert f"Published on {now:%Y-%m-%d}" in message.body
    assert "Transparency report 2026" not in message.body  # the draft
    [event] = posted(receiver, endpoint.secret, "report.")
    assert event["type"] == "report.published"
    assert (event["data"]["id"], event["data"]["year"]) == (report.pk, 2025)
    assert event["data"]["pdf_url"].endswith(report.pdf_url)
    assert not WebhookDelivery.objects.filter(record_id=draft.pk, event_type="report.published")
    assert Record.REPORT in {item.record_type for item in alert.items.all()}
