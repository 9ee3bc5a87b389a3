"""A value withheld after approval from an incident, a joint activity or an activity's
result waits in the approval queue of whoever may confirm it, as an agreement's does: the
other party's editors (on the side of every partnership an incident belongs to), never
the editor who withheld it nor an outsider; it is counted in the header, linked to the
record's page, and confirmed from the queue; a request to publish it again waits there and
is granted from the queue. The queue and the count cost the same queries for 1 or 5."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Activity, ActivityResult
from agreements import publishing
from agreements.context_processors import publication
from incidents.models import Incident
from partnerships.models import Partnership
from publication.models import Withholding
from tests import factories
from tests.activities.factories import ActivityFactory, ActivityResultFactory
from tests.publication.withheld import withhold_by as withhold

pytestmark = pytest.mark.django_db

QUEUE = reverse("agreements:approval_queue")


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral MOU")


@pytest.fixture
def incident(agreement):
    """A published incident of the NGO and the police."""
    return factories.IncidentFactory(agreements=[agreement], title="Letters sent astray")


@pytest.fixture
def result(partnership):
    """A result of a published activity of the NGO and the police."""
    activity = ActivityFactory(partnership=partnership, title="Custody training")
    return ActivityResultFactory(activity=activity, value=Decimal("31"))


def waiting(client, user) -> list:
    """The withheld values ``user``'s approval queue lists."""
    client.force_login(user)
    response = client.get(QUEUE)
    assert response.status_code == 200
    return response.context["withholdings"]


def test_an_incidents_value_withheld_after_approval_waits_for_the_other_party(
    client, incident, ngo_editor, police_editor, other_ngo_editor, board_member
):
    withholding = withhold(incident, "authority", ngo_editor)

    rows = waiting(client, police_editor)
    assert [w.pk for w in rows] == [withholding.pk]
    html = client.get(QUEUE).content.decode()
    assert "Withheld values waiting for you (1)" in html
    page = reverse("incidents:detail", kwargs={"pk": incident.pk})
    assert f'<a href="{page}">Letters sent astray</a>' in html
    assert "Incident <a" in html
    decide = reverse("agreements:withholding_decide", kwargs={"pk": withholding.pk})
    assert f'action="{decide}"' in html
    assert publishing.approval_count(police_editor) == 1

    # Not the editor who withheld it, not an outsider, not oversight while the other
    # party has an editor.
    for user in (ngo_editor, other_ngo_editor, board_member):
        assert waiting(client, user) == []
        assert publishing.approval_count(user) == 0


def test_confirming_an_incidents_value_from_the_queue(client, incident, ngo_editor, police_editor):
    withholding = withhold(incident, "authority", ngo_editor)
    client.force_login(police_editor)
    decide = reverse("agreements:withholding_decide", kwargs={"pk": withholding.pk})
    response = client.post(decide, {"action": "confirm", "next": QUEUE})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    withholding.refresh_from_db()
    assert withholding.confirmed_by == police_editor
    assert "Confirmed: “Authority” stays withheld." in client.get(QUEUE).content.decode()
    assert waiting(client, police_editor) == []
    assert publishing.approval_count(police_editor) == 0


@pytest.mark.parametrize("persona", ["other_ngo_editor", "ngo_editor", "board_member"])
def test_who_may_not_confirm_changes_nothing(
    client, request, incident, ngo_editor, police_editor, persona
):
    withholding = withhold(incident, "authority", ngo_editor)
    client.force_login(request.getfixturevalue(persona))
    decide = reverse("agreements:withholding_decide", kwargs={"pk": withholding.pk})
    response = client.post(decide, {"action": "confirm"})
    assert response.status_code in (403, 404)
    withholding.refresh_from_db()
    assert withholding.confirmed_at is None


def test_an_activity_results_value_withheld_after_approval_is_confirmed_from_the_queue(
    client, result, ngo_editor, police_editor, other_ngo_editor
):
    withholding = withhold(result, "value", ngo_editor)
    for user in (ngo_editor, other_ngo_editor):
        assert waiting(client, user) == []
        assert publishing.approval_count(user) == 0

    (row,) = waiting(client, police_editor)
    assert row.pk == withholding.pk
    assert row.what.endswith(": Value")
    html = client.get(QUEUE).content.decode()
    page = reverse("activities:publication", kwargs={"pk": result.activity_id})
    assert f'<a href="{page}">Custody training</a>' in html
    assert "Joint activity <a" in html
    assert publishing.approval_count(police_editor) == 1

    # An outsider cannot confirm it.
    decide = reverse("agreements:withholding_decide", kwargs={"pk": withholding.pk})
    client.force_login(other_ngo_editor)
    assert client.post(decide, {"action": "confirm"}).status_code in (403, 404)
    withholding.refresh_from_db()
    assert withholding.confirmed_at is None

    client.force_login(police_editor)
    client.post(decide, {"action": "confirm", "next": QUEUE})
    withholding.refresh_from_db()
    assert withholding.confirmed_by == police_editor
    assert waiting(client, police_editor) == []
    assert publishing.approval_count(police_editor) == 0


@pytest.mark.parametrize("record", ["incident", "activity", "result"])
def test_a_request_to_publish_it_again_waits_and_is_granted_from_the_queue(
    client, request, incident, result, ngo_editor, police_editor, other_ngo_editor, record
):
    instance, field = {
        "incident": (incident, "authority"),
        "activity": (result.activity, "description"),
        "result": (result, "value"),
    }[record]
    withholding = withhold(instance, field, police_editor)
    # The NGO's editor confirmed it, and now the police's editor asks to publish it again.
    publishing.withholding_confirm(withholding=withholding, actor=ngo_editor)
    publishing.withholding_release_request(withholding=withholding, actor=police_editor)

    assert waiting(client, police_editor) == []
    assert waiting(client, other_ngo_editor) == []
    (row,) = waiting(client, ngo_editor)
    assert row.pk == withholding.pk
    assert row.may_release and not row.may_confirm
    assert "To publish it again, asked by" in client.get(QUEUE).content.decode()
    assert publishing.approval_count(ngo_editor) == 1

    decide = reverse("agreements:withholding_decide", kwargs={"pk": withholding.pk})
    client.force_login(other_ngo_editor)
    assert client.post(decide, {"action": "release"}).status_code in (403, 404)
    assert Withholding.objects.filter(pk=withholding.pk).exists()

    client.force_login(ngo_editor)
    response = client.post(decide, {"action": "release", "next": QUEUE})
    assert response["Location"] == QUEUE
    assert not Withholding.objects.filter(pk=withholding.pk).exists()
    assert waiting(client, ngo_editor) == []
    assert publishing.approval_count(ngo_editor) == 0


def test_an_incident_on_two_partnerships_needs_an_approver_on_each_side(
    client, ngo, agreement, ngo_editor, police_editor
):
    other_police = factories.PoliceAgencyFactory(name="Hilltop Police")
    elsewhere = factories.partnership_with_parties(ngo=ngo, police=other_police)
    incident = factories.IncidentFactory(
        agreements=[agreement, factories.AgreementFactory(partnership=elsewhere)]
    )
    withholding = withhold(incident, "authority", ngo_editor)
    # The Riverside editor decides for one partnership only; Hilltop has nobody yet.
    assert waiting(client, police_editor) == []
    assert publishing.approval_count(police_editor) == 0
    decide = reverse("agreements:withholding_decide", kwargs={"pk": withholding.pk})
    assert client.post(decide, {"action": "confirm"}).status_code == 403
    withholding.refresh_from_db()
    assert withholding.confirmed_at is None

    factories.MembershipFactory(organization=other_police, user=police_editor)
    assert [w.pk for w in waiting(client, police_editor)] == [withholding.pk]
    assert publishing.approval_count(police_editor) == 1
    client.post(decide, {"action": "confirm"})
    withholding.refresh_from_db()
    assert withholding.confirmed_by == police_editor


def test_oversight_confirms_where_the_other_party_has_no_editor(
    client, ngo, ngo_editor, board_member
):
    agreement = factories.AgreementFactory(partnership=factories.partnership_with_parties(ngo=ngo))
    incident = factories.IncidentFactory(agreements=[agreement])
    withholding = withhold(incident, "authority", ngo_editor)
    assert [w.pk for w in waiting(client, board_member)] == [withholding.pk]
    assert publishing.approval_count(board_member) == 1
    decide = reverse("agreements:withholding_decide", kwargs={"pk": withholding.pk})
    client.post(decide, {"action": "confirm"})
    withholding.refresh_from_db()
    assert withholding.confirmed_by == board_member
    assert waiting(client, board_member) == []


def test_an_unknown_step_is_refused(client, incident, ngo_editor, police_editor):
    withholding = withhold(incident, "authority", ngo_editor)
    client.force_login(police_editor)
    decide = reverse("agreements:withholding_decide", kwargs={"pk": withholding.pk})
    assert client.post(decide, {"action": "delete"}).status_code == 400
    assert client.get(decide).status_code == 405
    assert Withholding.objects.filter(pk=withholding.pk, confirmed_at=None).exists()


def add_withheld(agreement, partnership, actor, n: int) -> None:
    """``n`` each of incidents, activities and results with a value withheld after
    approval."""
    for _ in range(n):
        withhold(factories.IncidentFactory(agreements=[agreement]), "authority", actor)
        result = ActivityResultFactory(activity=ActivityFactory(partnership=partnership))
        withhold(result.activity, "description", actor)
        withhold(result, "value", actor)


def test_the_queue_and_the_count_cost_the_same_queries_for_1_or_5(
    client, agreement, partnership, ngo_editor, police_editor, django_assert_num_queries
):
    add_withheld(agreement, partnership, ngo_editor, 1)
    ContentType.objects.get_for_models(Partnership, Incident, Activity, ActivityResult)
    client.force_login(police_editor)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as one:
        response = client.get(QUEUE)
    assert len(response.context["withholdings"]) == 3
    request = RequestFactory().get("/")
    request.user = police_editor
    with django_assert_num_queries(2):
        assert int(str(publication(request)["approvals_count"])) == 3

    add_withheld(agreement, partnership, ngo_editor, 4)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(QUEUE)
    assert len(response.context["withholdings"]) == 15
    with django_assert_num_queries(2):
        assert int(str(publication(request)["approvals_count"])) == 15
