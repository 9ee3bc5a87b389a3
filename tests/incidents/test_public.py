"""The public surfaces of incidents: the list and its filters, the page, the API with its
exports and history, the feed, the partnership and agreement pages. Only published
incidents on public agreements, and never a withheld or private value."""

import datetime as dt
import json

import pytest
from django.contrib.contenttypes.models import ContentType

from incidents.models import Incident
from oversight.models import Flag
from tests import factories
from tests.publication.withheld import withhold

from .conftest import assert_no_sentinel

pytestmark = pytest.mark.django_db


def warm_content_types():
    ContentType.objects.get_for_model(Incident)


# The list page ------------------------------------------------------------------------


def test_the_list_shows_published_incidents_only(client, incident_registry):
    response = client.get("/incidents/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Case files sent to a wrong address" in body
    assert "<strong>1</strong> incident" in body
    assert_no_sentinel(body)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("kind=data_breach", True),
        ("kind=scope_violation", False),
        ("how_found=independent_audit", True),
        ("how_found=journalism", False),
        ("status=open", True),
        ("status=closed", False),
        ("year=2025", True),
        ("year=2024", False),
        ("region=europe", True),
        ("region=asia", False),
        ("surveillance_practice=predictive_policing", True),
        ("surveillance_practice=facial_recognition", False),
        ("search=referrals", True),
        ("search=WITHHELD-SENTINEL-5531", False),
    ],
)
def test_the_list_filters(client, incident_registry, query, found):
    response = client.get(f"/incidents/?{query}")

    assert response.status_code == 200
    assert ("Case files sent to a wrong address" in response.content.decode()) is found


def test_a_withheld_region_never_matches(client, incident_registry):
    withhold(incident_registry.partnership, "region")

    response = client.get("/incidents/?region=europe")

    assert "Case files sent to a wrong address" not in response.content.decode()


def test_a_bad_filter_value_is_a_400_naming_the_filter(client, incident_registry):
    response = client.get("/incidents/?kind=volcano")

    body = response.content.decode()
    assert response.status_code == 400
    assert "Kind:" in body
    assert "Case files sent to a wrong address" not in body


def test_the_list_costs_the_same_queries_for_1_and_30_incidents(
    client, partnership, django_assert_max_num_queries
):
    warm_content_types()
    agreement = factories.AgreementFactory(partnership=partnership)

    factories.FlagFactory(agreement=agreement, kind=Flag.Kind.BREACH_NOTIFIED_LATE)

    def add(n):
        for _ in range(n):
            incident = factories.IncidentFactory(agreements=[agreement])
            incident.sources.add(factories.SourceFactory())
            withhold(incident, "nature")

    add(1)
    with django_assert_max_num_queries(12) as one:
        assert client.get("/incidents/").status_code == 200
    add(29)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/incidents/")
    assert response.content.decode().count("incident-item") == 30


# The incident's page ----------------------------------------------------------------


def test_the_page_shows_the_incident_with_the_withheld_notice(client, incident_registry):
    response = client.get(f"/incidents/{incident_registry.incident.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Letters about 40 referrals" in body
    assert "Withheld — " in body
    assert "Audit report 2025" in body
    assert "96.0 hours after discovery" in body
    assert_no_sentinel(body)


@pytest.mark.parametrize("which", ["draft", "submitted", "restricted"])
def test_an_unpublished_incident_has_no_public_page(client, incident_registry, which):
    incident = getattr(incident_registry, which)

    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 404
    assert client.get(f"/api/v1/incidents/{incident.pk}/history/").status_code == 404


def test_the_partnership_and_agreement_pages_list_published_incidents(client, incident_registry):
    for url in (
        incident_registry.partnership.get_absolute_url(),
        incident_registry.agreement.get_absolute_url(),
    ):
        body = client.get(url).content.decode()
        assert "Case files sent to a wrong address" in body, url
        assert_no_sentinel(body)


def test_the_page_shows_the_flag_the_incident_raised(client, incident_registry):
    factories.FlagFactory(
        agreement=incident_registry.agreement, kind=Flag.Kind.BREACH_NOTIFIED_LATE
    )

    body = client.get(f"/incidents/{incident_registry.incident.pk}/").content.decode()

    assert "Data breach notified late" in body


# The API -------------------------------------------------------------------------------


def test_the_api_lists_published_incidents_with_withheld_values_nulled(client, incident_registry):
    response = client.get("/api/v1/incidents/")

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == incident_registry.incident.pk
    assert row["measures_taken"] is None
    assert row["withheld"][0]["field"] == "measures_taken"
    assert row["hours_to_notify"] == 96.0
    assert row["agreements"][0]["name"] == "Referral MOU"
    assert row["partnerships"][0]["slug"] == incident_registry.partnership.slug
    assert row["sources"][0]["title"] == "Audit report 2025"
    assert "notes" not in row
    assert "submitted_by" not in row
    assert_no_sentinel(response.content.decode())


@pytest.mark.parametrize("export", ["csv", "json"])
def test_the_exports_carry_no_private_or_withheld_value(client, incident_registry, export):
    response = client.get(f"/api/v1/incidents/?format={export}")

    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert "Case files sent to a wrong address" in body
    assert_no_sentinel(body)
    if export == "csv":
        assert "[withheld: " in body
    else:
        assert len(json.loads(body)) == 1


def test_the_api_filters_as_the_page_does(client, incident_registry):
    assert client.get("/api/v1/incidents/?kind=data_breach").json()["count"] == 1
    assert client.get("/api/v1/incidents/?kind=scope_violation").json()["count"] == 0
    assert (
        client.get("/api/v1/incidents/?surveillance_practice=predictive_policing").json()["count"]
        == 1
    )


def test_the_api_names_a_bad_or_unknown_parameter(client, incident_registry):
    bad = client.get("/api/v1/incidents/?kind=volcano")
    unknown = client.get("/api/v1/incidents/?kinds=data_breach")

    assert bad.status_code == 400
    assert "kind" in bad.json()
    assert unknown.status_code == 400
    assert "kinds" in unknown.json()


@pytest.mark.parametrize("year", ["0", "99999"])
def test_the_api_names_a_year_out_of_range(client, incident_registry, year):
    response = client.get(f"/api/v1/incidents/?year={year}")

    assert response.status_code == 400
    assert "year" in response.json()


def test_the_public_history_shows_no_private_or_withheld_value(client, incident_registry):
    incident = incident_registry.incident
    incident.notes = "NOTES-SENTINEL-7781 changed"
    incident.measures_taken = "WITHHELD-SENTINEL-5531 changed"
    incident.status = Incident.Status.UNDER_INVESTIGATION
    incident.save()

    response = client.get(f"/api/v1/incidents/{incident.pk}/history/")
    page = client.get(f"/incidents/{incident.pk}/")

    assert response.status_code == 200
    # Choices by their label, as every record's public history shows them.
    assert {
        "field": "status",
        "label": "Status",
        "old": str(Incident.Status.OPEN.label),
        "new": str(Incident.Status.UNDER_INVESTIGATION.label),
    } in response.json()["results"][0]["changes"]
    assert_no_sentinel(response.content.decode())
    assert_no_sentinel(page.content.decode())


def test_the_api_list_costs_the_same_queries_for_1_and_30(
    client, partnership, django_assert_max_num_queries
):
    warm_content_types()
    agreement = factories.AgreementFactory(partnership=partnership)

    def add(n):
        for _ in range(n):
            incident = factories.IncidentFactory(agreements=[agreement])
            incident.sources.add(factories.SourceFactory())
            withhold(incident, "nature")

    add(1)
    with django_assert_max_num_queries(10) as one:
        client.get("/api/v1/incidents/?page_size=1")
    add(29)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/api/v1/incidents/?page_size=100")
    assert len(response.json()["results"]) == 30


# The feed -------------------------------------------------------------------------------


def test_the_feed_carries_published_incidents_only(client, incident_registry):
    atom = client.get("/feeds/incidents/", HTTP_ACCEPT="application/atom+xml")
    page = client.get("/feeds/incidents/", HTTP_ACCEPT="text/html")

    for response in (atom, page):
        body = response.content.decode()
        assert response.status_code == 200
        assert "Case files sent to a wrong address" in body
        assert_no_sentinel(body)
    assert atom["Content-Type"].startswith("application/atom+xml")
    assert "How to follow" in page.content.decode()


def test_a_withheld_description_is_named_not_shown_in_the_feed(client, incident_registry):
    withhold(incident_registry.incident, "nature", rationale="Names a shelter.")

    body = client.get("/feeds/incidents/", HTTP_ACCEPT="application/atom+xml").content.decode()

    assert "Description withheld" in body
    assert "Letters about 40 referrals" not in body


def test_the_feed_narrowed_to_another_region_is_empty(client, incident_registry):
    body = client.get(
        "/feeds/incidents/?region=asia", HTTP_ACCEPT="application/atom+xml"
    ).content.decode()

    assert "Case files sent to a wrong address" not in body


def test_hours_to_notify_is_declared_once(incident_registry):
    incident = Incident.objects.with_hours_to_notify().get(pk=incident_registry.incident.pk)
    plain = Incident.objects.get(pk=incident_registry.incident.pk)

    assert incident.notified_after_hours == plain.hours_to_notify == 96.0
    plain.reported_to_authority_at = None
    assert plain.hours_to_notify is None
    assert dt.timedelta(hours=96) == (
        incident_registry.incident.reported_to_authority_at
        - incident_registry.incident.discovered_at
    )


# The figures -------------------------------------------------------------------------------


def test_the_stats_count_published_incidents_only(client, incident_registry):
    factories.IncidentFactory(
        agreements=[incident_registry.agreement],
        title="Breach never notified",
        discovered_at=dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC),
        reported_to_authority_at=None,
        kind="data_breach",
    )

    response = client.get("/api/v1/stats/")

    figures = response.json()["incidents"]
    assert figures["total"] == 2
    # Notified after 96 hours, and never notified: both late, neither with a reason.
    assert figures["data_breaches_notified_late"] == 2
    assert {row["key"]: row["count"] for row in figures["by_kind"]}["data_breach"] == 2
    assert {row["key"]: row["count"] for row in figures["by_how_found"]}["independent_audit"] == 1
    assert figures["by_year_discovered"] == [{"key": "2025", "label": "2025", "count": 2}]
    assert_no_sentinel(response.content.decode())


def test_the_home_page_shows_the_number_of_published_incidents(client, incident_registry):
    body = client.get("/").content.decode()

    assert "Published incidents" in body
    assert '<a href="/incidents/">1</a>' in body
    assert_no_sentinel(body)


def test_the_feed_costs_the_same_queries_for_1_and_20_incidents(
    client, partnership, django_assert_max_num_queries
):
    warm_content_types()
    agreement = factories.AgreementFactory(partnership=partnership)
    partnership.focus_areas.add(factories.FocusAreaFactory(slug="incident-feed-area"))

    def add(n):
        for _ in range(n):
            withhold(factories.IncidentFactory(agreements=[agreement]), "nature")

    add(1)
    with django_assert_max_num_queries(10) as one:
        client.get("/feeds/incidents/", HTTP_ACCEPT="application/atom+xml")
    add(19)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/feeds/incidents/", HTTP_ACCEPT="application/atom+xml")
    assert response.content.decode().count("<entry>") == 20
