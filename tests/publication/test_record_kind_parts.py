"""The registered kinds of records (joint activities, incidents) and their withheld values
in the publication workflow: approving an activity confirms the withheld values of its
results, as approving an agreement confirms its parts', and a withheld result value never
reaches a public surface, while it waits for confirmation or after; the workflow names the
partnership(s) of every registered kind, and refuses to name one for an incident, which may
belong to several."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.urls import reverse
from pypdf import PdfReader

from activities import services as activity_services
from activities.models import Activity, ActivityResult
from agreements import publishing
from incidents import services as incident_services
from publication.choices import PublicationStatus, WithholdingReason
from publication.models import Withholding
from reports import services as report_services
from reports.models import Report
from tests import factories
from tests.activities.factories import ActivityFactory, ActivityResultFactory
from tests.publication.withheld import withhold_by as withhold_value

pytestmark = pytest.mark.django_db

SENTINEL_VALUE = Decimal("987654.32")
# How the value could be written on any surface (plain, grouped, localized).
SENTINEL_SPELLINGS = ("987654", "987,654", "987.654", "987 654", "987\xa0654")
SENTINEL_DESCRIPTION = "Held at the shelter on Quay Street"
TITLE = "Training for custody officers"


def activity_with_withheld_result(partnership, actor) -> tuple[Activity, ActivityResult]:
    """A draft activity with a public result and one whose value ``actor`` withheld (and
    its description, withheld too)."""
    activity = activity_services.activity_create(
        partnership=partnership,
        actor=actor,
        data={
            "kind": Activity.Kind.TRAINING,
            "title": TITLE,
            "description": SENTINEL_DESCRIPTION,
            "started_on": dt.date(2025, 3, 1),
            "ended_on": dt.date(2025, 3, 2),
        },
        results=[
            {
                "indicator": indicator,
                "other_name": "",
                "value": value,
                "unit": "people",
                "period_start": dt.date(2025, 3, 1),
                "period_end": dt.date(2025, 3, 2),
            }
            for indicator, value in (
                ("people_trained", Decimal("24")),
                ("referrals_made", SENTINEL_VALUE),
            )
        ],
    )
    hidden = activity.results.get(indicator="referrals_made")
    withhold_value(hidden, "value", actor)
    withhold_value(activity, "description", actor)
    return activity, hidden


def year_end_report(partnership) -> Report:
    with time_machine.travel(dt.datetime(2026, 1, 2, 5, 0, tzinfo=dt.UTC), tick=False):
        report_services.generate_yearly_reports()
    return Report.objects.get(partnership=partnership, year=2025)


def public_surfaces(client, partnership, activity) -> dict[str, str]:
    """Everything an anonymous reader may fetch that could carry an activity's result."""
    client.logout()
    surfaces = {
        "partnership page": client.get(partnership.get_absolute_url()).content.decode(),
        "activities API": client.get("/api/v1/activities/").content.decode(),
        "activity API": client.get(f"/api/v1/activities/{activity.pk}/").content.decode(),
        "totals API": client.get(
            f"/api/v1/activities/totals/?partnership={partnership.slug}"
        ).content.decode(),
        "partnership history API": client.get(
            reverse("api:partnership-history", kwargs={"pk": partnership.pk})
        ).content.decode(),
    }
    for export in ("csv", "json"):
        response = client.get(f"/api/v1/activities/?format={export}")
        surfaces[f"{export} export"] = b"".join(response.streaming_content).decode()
    report = year_end_report(partnership)
    surfaces["report snapshot"] = report.snapshot
    surfaces["report page"] = client.get(report.html_url).content.decode()
    surfaces["report CSV"] = client.get(report.csv_url).content.decode()
    pdf = PdfReader(io.BytesIO(client.get(report.pdf_url).content))
    surfaces["report PDF"] = "".join(page.extract_text() for page in pdf.pages)
    return surfaces


def assert_no_sentinel(surfaces: dict[str, str]) -> None:
    for name, text in surfaces.items():
        for secret in (*SENTINEL_SPELLINGS, SENTINEL_DESCRIPTION):
            assert secret not in text, f"{secret!r} on the {name}"


def test_approving_an_activity_confirms_its_results_withheld_value_kept_off_every_surface(
    client, partnership, ngo_editor, police_editor
):
    activity, hidden = activity_with_withheld_result(partnership, ngo_editor)
    page = reverse("activities:publication", kwargs={"pk": activity.pk})
    client.force_login(ngo_editor)
    client.post(page, {"step": "submit"})
    client.force_login(police_editor)
    # The other party's editor approves it from its publication page.
    client.post(page, {"step": "approve"})

    activity.refresh_from_db()
    assert activity.publication_status == PublicationStatus.PUBLISHED
    withholdings = publishing.withholdings_of(activity)
    assert {(w.content_type.model_class(), w.object_id) for w in withholdings} == {
        (ActivityResult, hidden.pk),
        (Activity, activity.pk),
    }
    for withholding in withholdings:
        assert withholding.confirmed_at is not None
        assert withholding.confirmed_by == police_editor

    surfaces = public_surfaces(client, partnership, activity)
    assert_no_sentinel(surfaces)
    # The activity itself is public, its other result with it, and the value's absence is
    # said with its reason.
    assert TITLE in surfaces["partnership page"]
    assert "Withheld" in surfaces["partnership page"]
    assert '"referrals_made"' in surfaces["activity API"]
    assert "24.00" in surfaces["totals API"]
    assert "Survivor safety" in surfaces["report page"]

    # Nothing waits for anyone any more: not the approver, not the submitter.
    for user in (police_editor, ngo_editor):
        assert publishing.approval_count(user) == 0
        client.force_login(user)
        queue = client.get(reverse("agreements:approval_queue"))
        assert list(queue.context["withholdings"]) == []
        assert queue.context["registered_submissions"] == []
        assert "Approvals (" not in queue.content.decode()


def test_a_result_value_withheld_and_not_yet_confirmed_is_kept_from_the_public_at_once(
    client, partnership, ngo_editor
):
    activity = ActivityFactory(partnership=partnership, title=TITLE)
    ActivityResultFactory(activity=activity, value=Decimal("24"))
    hidden = ActivityResultFactory(
        activity=activity, indicator="referrals_made", value=SENTINEL_VALUE
    )
    withholding = activity_services.activity_withhold(
        record=hidden,
        field="value",
        reason_code=WithholdingReason.SURVIVOR_SAFETY,
        rationale="It would tell where survivors stay.",
        actor=ngo_editor,
    )
    assert withholding.confirmed_at is None
    surfaces = public_surfaces(client, partnership, activity)
    assert_no_sentinel(surfaces)
    assert TITLE in surfaces["partnership page"]


def test_the_approvers_own_withheld_value_is_not_confirmed_by_their_approval(
    partnership, ngo_editor, police_editor
):
    activity, by_ngo = activity_with_withheld_result(partnership, ngo_editor)
    by_police = ActivityResultFactory(activity=activity, indicator="sessions_held")
    own = withhold_value(by_police, "value", police_editor)
    activity_services.activity_submit(activity=activity, actor=ngo_editor)
    activity_services.activity_approve(activity=activity, actor=police_editor)
    own.refresh_from_db()
    assert own.confirmed_at is None
    assert Withholding.objects.of_record(by_ngo).get().confirmed_by == police_editor


def test_a_part_is_declared_once_in_its_kinds_registration():
    kind = next(k for k in publishing.record_kinds() if k.model is Activity)
    assert kind.parts == ("results",)
    assert publishing.part_models(Activity) == [ActivityResult]
    with pytest.raises(ImproperlyConfigured):
        publishing.register_record_kind(
            Activity,
            label="Joint activity",
            to_partnership="partnership",
            page="activities:publication",
            parts=("organizations",),
        )
    # The refused registration replaced nothing.
    assert next(k for k in publishing.record_kinds() if k.model is Activity) is kind


def test_the_workflow_names_the_partnership_of_an_activity_and_of_its_result(
    partnership, ngo_editor, django_assert_num_queries
):
    activity, hidden = activity_with_withheld_result(partnership, ngo_editor)
    assert publishing.partnership_of(activity) == partnership
    assert publishing.publishing_record(hidden) == activity
    withholding = Withholding.objects.of_record(hidden).get()
    instance = publishing.protected_instance(withholding)
    assert instance == hidden
    # Read with its activity and partnership.
    with django_assert_num_queries(0):
        assert publishing.partnership_of(instance) == partnership


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral MOU")


def test_partnership_of_refuses_an_incident_clearly_and_partnerships_of_names_each(
    ngo, partnership, agreement
):
    elsewhere = factories.partnership_with_parties(ngo=ngo)
    on_one = factories.IncidentFactory(agreements=[agreement])
    on_two = factories.IncidentFactory(
        agreements=[agreement, factories.AgreementFactory(partnership=elsewhere)]
    )
    for incident in (on_one, on_two):
        with pytest.raises(TypeError, match="several partnerships.*partnerships_of"):
            publishing.partnership_of(incident)
    assert publishing.partnerships_of(on_one) == [partnership]
    assert publishing.partnerships_of(on_two) == sorted(
        [partnership, elsewhere], key=lambda p: p.pk
    )


def test_protected_instance_finds_an_incident_and_its_withheld_value_is_confirmed_on_every_side(
    ngo, police, partnership, agreement, ngo_editor, police_editor
):
    other_police = factories.PoliceAgencyFactory(name="Hilltop Police")
    elsewhere = factories.partnership_with_parties(ngo=ngo, police=other_police)
    incident = factories.IncidentFactory(
        agreements=[agreement, factories.AgreementFactory(partnership=elsewhere)]
    )
    withholding = incident_services.incident_withhold(
        incident=incident,
        actor=ngo_editor,
        field="measures_taken",
        reason_code=WithholdingReason.SURVIVOR_SAFETY,
        rationale="It would tell where survivors stay.",
    )
    assert publishing.protected_instance(withholding) == incident
    # The Riverside police approve for one partnership only: not enough.
    with pytest.raises(PermissionDenied):
        publishing.withholding_confirm(withholding=withholding, actor=police_editor)
    factories.MembershipFactory(organization=other_police, user=police_editor)
    publishing.withholding_confirm(withholding=withholding, actor=police_editor)
    withholding.refresh_from_db()
    assert withholding.confirmed_by == police_editor


def test_approving_an_incident_confirms_its_withheld_values_by_the_workflows_rule(
    police, agreement, ngo_editor, police_editor
):
    colleague = factories.MembershipFactory(organization=police).user
    incident = factories.IncidentFactory(
        agreements=[agreement], publication_status=PublicationStatus.DRAFT
    )
    withheld = {}
    for field, actor in (("measures_taken", ngo_editor), ("outcome", colleague)):
        withheld[field] = incident_services.incident_withhold(
            incident=incident,
            actor=actor,
            field=field,
            reason_code=WithholdingReason.SURVIVOR_SAFETY,
            rationale="It would tell where survivors stay.",
        )
    incident_services.incident_submit(incident=incident, actor=ngo_editor)
    incident_services.incident_approve(incident=incident, actor=police_editor)
    for withholding in withheld.values():
        withholding.refresh_from_db()
    # The NGO's, by the other party: confirmed. The police colleague's is no second pair
    # of eyes from another party: it waits.
    assert withheld["measures_taken"].confirmed_by == police_editor
    assert withheld["outcome"].confirmed_at is None
