"""Submitted incidents and joint activities wait in the approval queue of whoever may
approve them, as partnerships and agreements do: the other party's editors (never the
submitter, nor an outsider), linked to their publication page, counted in the header; a
change of a published incident waits there too. The page and the count cost the same
queries for 1 or 5 of them; the page reads in Spanish."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities import services as activity_services
from activities.models import Activity
from agreements import publishing
from agreements.context_processors import publication
from incidents import permissions as incident_permissions
from incidents import services as incident_services
from incidents.models import Incident
from partnerships.models import Partnership
from partnerships.permissions import can_approve_publication
from publication.choices import PublicationStatus
from publication.services import revision_store
from tests import factories
from tests.activities.factories import ActivityFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("agreements:approval_queue")


def submitted_incident(agreements, actor, title="Referral letters sent to a wrong address"):
    incident = factories.IncidentFactory(
        agreements=agreements, title=title, publication_status=PublicationStatus.DRAFT
    )
    return incident_services.incident_submit(incident=incident, actor=actor)


def submitted_activity(partnership, actor, title="Training for custody officers"):
    activity = ActivityFactory(
        partnership=partnership, title=title, publication_status=PublicationStatus.DRAFT
    )
    return activity_services.activity_submit(activity=activity, actor=actor)


@pytest.fixture
def superuser():
    return factories.UserFactory(username="site_admin", is_staff=True, is_superuser=True)


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral MOU")


@pytest.fixture
def submissions(partnership, agreement, ngo_editor, police_editor):
    """An incident and an activity of the NGO and the police (each with an editor),
    submitted by the NGO's editor."""
    return (
        submitted_incident([agreement], ngo_editor),
        submitted_activity(partnership, ngo_editor),
    )


def queued(client, user) -> tuple[set, str]:
    """What ``user``'s approval queue lists of incidents and activities, and its page."""
    client.force_login(user)
    response = client.get(QUEUE)
    assert response.status_code == 200
    rows = {(type(r), r.pk) for r in response.context["registered_submissions"]}
    return rows, response.content.decode()


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("police_editor", True),  # the other party
        ("ngo_editor", False),  # the submitter
        ("other_ngo_editor", False),  # an organization with no part in it
        ("board_member", False),  # oversight, while the other party has an editor
        ("ngo_viewer", False),  # a viewer approves nothing
    ],
)
def test_the_other_partys_editor_and_only_they_see_the_submitted_incident_and_activity(
    request, client, submissions, persona, sees
):
    incident, activity = submissions
    user = request.getfixturevalue(persona)
    rows, html = queued(client, user)
    expected = {(Incident, incident.pk), (Activity, activity.pk)} if sees else set()
    assert rows == expected
    # The queue's rule is the services' rule.
    assert incident_permissions.can_approve_incident(user, incident) is sees
    assert can_approve_publication(user, activity.partnership, activity.submitted_by) is sees
    assert (incident.title in html) is sees
    assert (activity.title in html) is sees
    assert publishing.approval_count(user) == (2 if sees else 0)


def test_oversight_approves_where_the_other_party_has_no_editor(
    client, ngo, ngo_editor, board_member
):
    partnership = factories.partnership_with_parties(ngo=ngo)
    agreement = factories.AgreementFactory(partnership=partnership)
    incident = submitted_incident([agreement], ngo_editor)
    activity = submitted_activity(partnership, ngo_editor)
    published = factories.IncidentFactory(agreements=[agreement])
    revision_store(record=published, actor=ngo_editor, form_data={"title": "Renamed"})
    rows, _ = queued(client, board_member)
    assert rows == {(Incident, incident.pk), (Activity, activity.pk)}
    revisions = client.get(QUEUE).context["revisions"]
    assert [r.object_id for r in revisions] == [published.pk]
    assert publishing.approval_count(board_member) == 3


def test_an_incident_on_two_partnerships_waits_for_who_may_approve_on_both_sides(
    client, ngo, police, agreement, ngo_editor, police_editor
):
    other_police = factories.PoliceAgencyFactory(name="Hilltop Police")
    elsewhere = factories.partnership_with_parties(ngo=ngo, police=other_police)
    incident = submitted_incident(
        [agreement, factories.AgreementFactory(partnership=elsewhere)], ngo_editor
    )
    # The Riverside editor approves for one partnership only; Hilltop has nobody yet.
    assert incident_permissions.can_approve_incident(police_editor, incident) is False
    assert queued(client, police_editor)[0] == set()
    assert publishing.approval_count(police_editor) == 0

    factories.MembershipFactory(organization=other_police, user=police_editor)
    assert incident_permissions.can_approve_incident(police_editor, incident) is True
    assert queued(client, police_editor)[0] == {(Incident, incident.pk)}
    assert publishing.approval_count(police_editor) == 1


def test_a_site_administrator_sees_anyone_elses_submission_but_not_their_own(
    client, partnership, agreement, ngo_editor, superuser
):
    theirs = submitted_incident([agreement], ngo_editor, title="Theirs")
    submitted_incident([agreement], superuser, title="Own")
    rows, _ = queued(client, superuser)
    assert rows == {(Incident, theirs.pk)}


def link_to(html: str, url: str) -> str:
    """The queue's link to ``url``, with its text."""
    match = re.search(rf'<a href="{re.escape(url)}">(Check and decide.*?)</a>', html)
    assert match, f"no link to {url}"
    return match.group(1)


def test_approving_from_the_queues_link_publishes_them(
    client, submissions, police_editor, ngo_editor
):
    incident, activity = submissions
    _, html = queued(client, police_editor)

    page = reverse("incidents:detail", kwargs={"pk": incident.pk})
    assert incident.title in link_to(html, page)
    approve = reverse("incidents:approve", kwargs={"pk": incident.pk})
    assert f'action="{approve}"' in client.get(page).content.decode()
    client.post(approve)
    incident.refresh_from_db()
    assert incident.publication_status == PublicationStatus.PUBLISHED

    page = reverse("activities:publication", kwargs={"pk": activity.pk})
    assert activity.title in link_to(html, page)
    assert 'value="approve"' in client.get(page).content.decode()
    client.post(page, {"step": "approve"})
    activity.refresh_from_db()
    assert activity.publication_status == PublicationStatus.PUBLISHED

    rows, html = queued(client, police_editor)
    assert rows == set()
    assert "No submission waits for your approval." in html
    assert publishing.approval_count(police_editor) == 0


def test_the_header_counts_them_for_the_approver_only(
    client, partnership, agreement, submissions, ngo_editor, police_editor
):
    factories.AgreementFactory(
        partnership=partnership,
        publication_status=PublicationStatus.SUBMITTED,
        submitted_by=ngo_editor,
    )
    client.force_login(police_editor)
    html = client.get(reverse("accounts:dashboard")).content.decode()
    # The agreement, the incident and the activity.
    assert "Approvals (3)" in html
    client.force_login(ngo_editor)
    html = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Approvals (" not in html


def test_a_change_of_a_published_incident_waits_for_the_other_party(
    client, agreement, ngo_editor, police_editor, other_ngo_editor
):
    incident = factories.IncidentFactory(agreements=[agreement], title="Published breach")
    revision_store(record=incident, actor=ngo_editor, form_data={"title": "Renamed"})

    client.force_login(police_editor)
    response = client.get(QUEUE)
    changes = response.context["revisions"]
    assert [(r.record_kind, r.object_id) for r in changes] == [("incident", incident.pk)]
    html = response.content.decode()
    assert "Changes to approved records waiting for you (1)" in html
    assert f'href="{reverse("incidents:detail", kwargs={"pk": incident.pk})}"' in html
    assert "Incident Published breach" in html
    assert publishing.approval_count(police_editor) == 1

    for user in (ngo_editor, other_ngo_editor):
        client.force_login(user)
        assert client.get(QUEUE).context["revisions"] == []
        assert publishing.approval_count(user) == 0


def add_submissions(partnership, agreement, ngo_editor, n: int) -> None:
    """``n`` each of submitted incidents and activities, and of changes of published
    incidents."""
    for i in range(n):
        submitted_incident([agreement], ngo_editor, title=f"Incident {i}")
        submitted_activity(partnership, ngo_editor, title=f"Activity {i}")
        published = factories.IncidentFactory(agreements=[agreement])
        revision_store(record=published, actor=ngo_editor, form_data={"title": "Renamed"})


def warm(client) -> None:
    """The caches a running server has warm (content types, the session)."""
    ContentType.objects.get_for_models(Partnership, Incident, Activity)
    client.get(QUEUE)


def test_the_queue_costs_the_same_queries_for_1_or_5_of_them(
    client, partnership, agreement, ngo_editor, police_editor, django_assert_num_queries
):
    add_submissions(partnership, agreement, ngo_editor, 1)
    client.force_login(police_editor)
    warm(client)
    with CaptureQueriesContext(connection) as one:
        response = client.get(QUEUE)
    assert len(response.context["registered_submissions"]) == 2
    add_submissions(partnership, agreement, ngo_editor, 4)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(QUEUE)
    assert len(response.context["registered_submissions"]) == 10
    assert len(response.context["revisions"]) == 5


def test_the_header_count_costs_the_same_queries_for_1_or_5_of_them(
    client, partnership, agreement, ngo_editor, police_editor, django_assert_num_queries
):
    add_submissions(partnership, agreement, ngo_editor, 1)
    request = RequestFactory().get("/")
    request.user = police_editor
    publishing.approval_count(police_editor)
    # The user's organizations, then the count.
    with django_assert_num_queries(2):
        assert int(str(publication(request)["approvals_count"])) == 3
    add_submissions(partnership, agreement, ngo_editor, 4)
    with django_assert_num_queries(2):
        assert int(str(publication(request)["approvals_count"])) == 15


def test_the_queue_reads_in_spanish(client, submissions, police_editor):
    """Passes once the translations of the page's new messages are merged into
    locale/es (they are in notes/tr-h1.json)."""
    client.force_login(police_editor)
    response = client.get(QUEUE, headers={"accept-language": "es"})
    html = response.content.decode()
    assert "<h1>Aprobaciones</h1>" in html
    assert "Envíos que esperan su aprobación (2)" in html
    assert "Incidente Referral letters sent to a wrong address" in html
