"""Joint activities: recorded by the parties' editors (organization checked on every
write), published through the workflow (a second pair of eyes), public on the partnership
page and in the API, a withheld value never public, totals per year."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities import services
from activities.models import Activity, ActivityEvent, ActivityResult
from publication.choices import PublicationStatus
from tests import factories
from tests.publication.withheld import withhold

from .factories import ActivityFactory, ActivityResultFactory

pytestmark = pytest.mark.django_db

SENTINEL_VALUE = Decimal("987654.32")
SENTINEL_DRAFT = "Unpublished operation codename KESTREL"
SENTINEL_DESCRIPTION = "Held at the shelter on Quay Street"

DATA = {
    "kind": Activity.Kind.TRAINING,
    "title": "Training for custody officers",
    "description": "Two days.",
    "started_on": dt.date(2025, 3, 1),
    "ended_on": dt.date(2025, 3, 2),
}
RESULT = {
    "indicator": "people_trained",
    "other_name": "",
    "value": Decimal("24"),
    "unit": "people",
    "period_start": dt.date(2025, 3, 1),
    "period_end": dt.date(2025, 3, 2),
}


def form_data(**overrides) -> dict:
    data = {
        "kind": "training",
        "title": "Training for custody officers",
        "description": "Two days.",
        "started_on": "2025-03-01",
        "ended_on": "2025-03-02",
        "results-TOTAL_FORMS": "2",
        "results-INITIAL_FORMS": "0",
        "results-MIN_NUM_FORMS": "0",
        "results-MAX_NUM_FORMS": "30",
        "results-0-indicator": "people_trained",
        "results-0-value": "24",
        "results-0-unit": "people",
        "results-0-period_start": "2025-03-01",
        "results-0-period_end": "2025-03-02",
        # The empty row as a browser sends it: its unit as shown.
        "results-1-unit": "people",
    }
    data.update(overrides)
    return data


def test_a_party_editor_records_an_activity_with_results_as_a_draft(partnership, ngo, ngo_editor):
    activity = services.activity_create(
        partnership=partnership,
        actor=ngo_editor,
        data=DATA,
        organizations=[ngo],
        results=[RESULT],
    )
    activity.refresh_from_db()
    assert activity.publication_status == PublicationStatus.DRAFT
    assert list(activity.organizations.all()) == [ngo]
    assert activity.results.get().value == Decimal("24")
    assert ActivityEvent.objects.filter(pgh_obj_id=activity.pk).count() == 1


def test_an_editor_of_another_organization_may_not_record_one(partnership, other_ngo_editor):
    with pytest.raises(PermissionDenied):
        services.activity_create(partnership=partnership, actor=other_ngo_editor, data=DATA)
    assert Activity.objects.count() == 0


def test_only_parties_of_the_partnership_are_involved(partnership, ngo_editor, other_ngo):
    with pytest.raises(ValidationError) as error:
        services.activity_create(
            partnership=partnership, actor=ngo_editor, data=DATA, organizations=[other_ngo]
        )
    assert "Not a party" in str(error.value.message_dict["organizations"])
    assert Activity.objects.count() == 0


def test_the_form_records_it_and_shows_its_publication_page(client, partnership, ngo_editor):
    client.force_login(ngo_editor)
    response = client.post(
        reverse("activities:new", kwargs={"slug": partnership.slug}), form_data()
    )
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:publication", kwargs={"pk": activity.pk})
    assert activity.results.get().unit == "people"


def test_bad_input_comes_back_with_an_error_summary_and_nothing_saved(
    client, partnership, ngo_editor
):
    client.force_login(ngo_editor)
    response = client.post(
        reverse("activities:new", kwargs={"slug": partnership.slug}),
        form_data(
            title="",
            ended_on="2025-02-01",
            **{"results-0-indicator": "other", "results-0-value": "lots"},
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page or "error-summary" in page
    assert "This field is required." in page
    assert "Name the indicator" in page
    assert "Enter a number." in page
    assert Activity.objects.count() == 0


def test_the_other_party_approves_it_and_the_public_sees_it_only_then(
    client, partnership, ngo_editor, police_editor
):
    activity = services.activity_create(
        partnership=partnership, actor=ngo_editor, data={**DATA, "title": SENTINEL_DRAFT}
    )
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert SENTINEL_DRAFT not in page
    services.activity_submit(activity=activity, actor=ngo_editor)
    with pytest.raises(PermissionDenied):
        services.activity_approve(activity=activity, actor=ngo_editor)
    services.activity_approve(activity=activity, actor=police_editor)
    activity.refresh_from_db()
    assert activity.publication_status == PublicationStatus.PUBLISHED
    assert SENTINEL_DRAFT in client.get(partnership.get_absolute_url()).content.decode()


def test_an_edit_of_a_published_activity_takes_it_back_to_draft(partnership, ngo_editor):
    activity = ActivityFactory(partnership=partnership)
    result = ActivityResultFactory(activity=activity)
    services.activity_update(
        activity=activity,
        actor=ngo_editor,
        data={**DATA, "title": "Renamed"},
        results=[{**RESULT, "id": result.pk, "value": Decimal("30")}],
    )
    activity.refresh_from_db()
    result.refresh_from_db()
    assert activity.publication_status == PublicationStatus.DRAFT
    assert result.value == Decimal("30")
    assert not Activity.objects.public().exists()


def public_fixture(partnership):
    published = ActivityFactory(partnership=partnership, description=SENTINEL_DESCRIPTION)
    shown = ActivityResultFactory(activity=published, value=Decimal("24"))
    hidden = ActivityResultFactory(
        activity=published, indicator="referrals_made", value=SENTINEL_VALUE, unit="cases"
    )
    withhold(hidden, "value")
    withhold(published, "description")
    draft = ActivityFactory(
        partnership=partnership, title=SENTINEL_DRAFT, publication_status=PublicationStatus.DRAFT
    )
    ActivityResultFactory(activity=draft, value=Decimal("555"))
    return published, shown, hidden


def test_sentinel_the_partnership_page_shows_neither_a_withheld_value_nor_a_draft(
    client, partnership
):
    public_fixture(partnership)
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "Training on trauma-informed interviews" in page
    assert "Withheld" in page
    for secret in ("987654", "987,654", SENTINEL_DRAFT, SENTINEL_DESCRIPTION, "555"):
        assert secret not in page
    # The year's totals: the withheld value left out, never counted in.
    assert "People trained" in page


def test_sentinel_the_api_and_its_exports_show_neither(client, partnership):
    public_fixture(partnership)
    listing = client.get("/api/v1/activities/")
    assert listing.status_code == 200
    (row,) = listing.json()["results"]
    assert row["description"] is None
    assert [w["field"] for w in row["withheld"]] == ["description"]
    values = {r["indicator"]: r["value"] for r in row["results"]}
    assert values == {"people_trained": "24.00", "referrals_made": None}
    for export in ("csv", "json"):
        body = b"".join(client.get(f"/api/v1/activities/?format={export}").streaming_content)
        for secret in ("987654", SENTINEL_DRAFT, SENTINEL_DESCRIPTION):
            assert secret.encode() not in body
    totals = client.get(f"/api/v1/activities/totals/?partnership={partnership.slug}").json()
    assert {(t["indicator"], t["total"]) for t in totals} == {("people_trained", "24.00")}
    assert "987654" not in str(totals)


def test_the_api_filters_and_refuses_unknown_parameters(client, partnership):
    ActivityFactory(
        partnership=partnership,
        kind="task_force",
        started_on=dt.date(2024, 1, 1),
        ended_on=dt.date(2024, 2, 1),
    )
    ActivityFactory(partnership=partnership, kind="training")
    assert client.get("/api/v1/activities/?kind=task_force").json()["count"] == 1
    assert client.get("/api/v1/activities/?year=2025").json()["count"] == 1
    assert client.get(f"/api/v1/activities/?partnership={partnership.slug}").json()["count"] == 2
    bad = client.get("/api/v1/activities/?kind=picnic&colour=red")
    assert bad.status_code == 400
    assert set(bad.json()) >= {"colour"}
    assert client.get("/api/v1/activities/totals/").status_code == 400
    assert set(client.get("/api/v1/activities/?year=0").json()) == {"year"}


def test_activities_of_a_restricted_partnership_are_not_public(client, ngo, police):
    restricted = factories.partnership_with_parties(ngo=ngo, police=police, visibility="restricted")
    ActivityFactory(partnership=restricted, title=SENTINEL_DRAFT)
    assert client.get("/api/v1/activities/").json()["count"] == 0


def populate(partnership, n):
    for _ in range(n):
        activity = ActivityFactory(partnership=partnership, organizations=[])
        result = ActivityResultFactory(activity=activity)
        withhold(result, "value")
        withhold(activity, "description")


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_api_and_the_partnership_page_cost_the_same_queries_for_1_and_20(client, partnership):
    populate(partnership, 1)
    # Warm the content types and the caches both read once per process.
    queries(client, "/api/v1/activities/")
    queries(client, partnership.get_absolute_url())
    api, page = (
        queries(client, "/api/v1/activities/"),
        queries(client, partnership.get_absolute_url()),
    )
    populate(partnership, 19)
    assert queries(client, "/api/v1/activities/") == api
    assert queries(client, partnership.get_absolute_url()) == page


def test_the_edit_form_changes_a_result_and_deletes_another_keeping_their_ids(
    client, partnership, ngo_editor
):
    activity = ActivityFactory(partnership=partnership, publication_status="draft")
    kept = ActivityResultFactory(activity=activity, value=Decimal("24"))
    dropped = ActivityResultFactory(activity=activity, indicator="sessions_held")
    withhold(kept, "value")
    client.force_login(ngo_editor)
    data = form_data(
        **{
            "results-TOTAL_FORMS": "2",
            "results-INITIAL_FORMS": "2",
            "results-0-id": str(kept.pk),
            "results-0-value": "30",
            "results-1-id": str(dropped.pk),
            "results-1-indicator": "sessions_held",
            "results-1-value": "24",
            "results-1-period_start": "2025-03-01",
            "results-1-period_end": "2025-03-02",
            "results-1-DELETE": "on",
        }
    )
    response = client.post(reverse("activities:edit", kwargs={"pk": activity.pk}), data)
    assert response.status_code == 302
    assert list(activity.results.values_list("pk", "value")) == [(kept.pk, Decimal("30"))]
    # The withholding follows the result it protects: its id did not change.
    assert ActivityResult.objects.value_withheld().get() == kept


def test_the_partnership_page_shows_its_members_the_drafts_with_their_publication_link(
    client, partnership, ngo_viewer
):
    draft = ActivityFactory(partnership=partnership, publication_status="draft")
    client.force_login(ngo_viewer)
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert draft.title in page
    assert reverse("activities:publication", kwargs={"pk": draft.pk}) in page
    assert "Record a joint activity" not in page  # a viewer does not record them
