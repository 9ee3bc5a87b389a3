"""Recording incidents and their way to the public: who may record and edit them (the
organization checked on every write), the form's errors, the publication workflow, values
withheld with a reason, an approved incident's edit waiting for approval, the audit trail."""

import pytest
from django.core.exceptions import PermissionDenied

from incidents import services
from incidents.models import Incident, IncidentEvent
from publication.choices import PublicationStatus
from publication.models import Revision
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral MOU")


@pytest.fixture
def elsewhere():
    """An agreement of a partnership the NGO and the police agency are no party to."""
    return factories.AgreementFactory(
        partnership=factories.partnership_with_parties(), title="Elsewhere MOU"
    )


def form(agreement, **overrides) -> dict:
    return {
        "agreements": [agreement.pk],
        "kind": "data_breach",
        "title": "Referral letters sent to a former address",
        "occurred_on": "2026-03-01",
        "discovered_at": "2026-03-02 09:30",
        "reported_to_authority_at": "2026-03-06 10:00",
        "authority": "Information Commissioner's Office",
        "delay_reason": "",
        "nature": "Letters about 40 referrals went to a former address.",
        "data_categories": ["victim_records", "personal_identifiable"],
        "people_affected": "40",
        "records_affected": "40",
        "people_categories": ["victims", "children"],
        "likely_consequences": "Survivors could be located.",
        "measures_taken": "Addresses checked before every letter.",
        "how_found": "independent_audit",
        "status": "open",
        "closed_on": "",
        "outcome": "",
        "notes": "Private: the caseworker's name.",
    } | overrides


def test_a_party_editor_records_an_incident_as_a_draft(client, ngo_editor, agreement):
    client.force_login(ngo_editor)

    response = client.post(
        "/incidents/new/",
        form(agreement)
        | {
            "source-url": "https://example.org/audit",
            "source-title": "Audit",
            "source-kind": "ngo_report",
        },
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/manage/"
    assert incident.publication_status == PublicationStatus.DRAFT
    assert list(incident.agreements.all()) == [agreement]
    assert incident.data_categories == ["victim_records", "personal_identifiable"]
    assert incident.people_categories == ["victims", "children"]
    assert incident.hours_to_notify == 96.5
    assert incident.sources.get().url == "https://example.org/audit"
    assert IncidentEvent.objects.filter(pgh_obj_id=incident.pk).count() == 1


def test_an_editor_cannot_record_an_incident_on_another_partnership(
    client, ngo_editor, agreement, elsewhere
):
    client.force_login(ngo_editor)

    response = client.post("/incidents/new/", form(elsewhere))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Incident.objects.count() == 0
    with pytest.raises(PermissionDenied):
        services.incident_record(actor=ngo_editor, agreements=[elsewhere], data=form(elsewhere))
    assert Incident.objects.count() == 0


def test_a_board_member_records_an_incident_on_any_agreement(client, board_member, elsewhere):
    client.force_login(board_member)

    response = client.post("/incidents/new/", form(elsewhere))

    assert response.status_code == 302
    assert Incident.objects.get().agreements.get() == elsewhere


def test_an_editor_cannot_edit_another_partnerships_incident(client, ngo_editor, elsewhere):
    incident = factories.IncidentFactory(agreements=[elsewhere], publication_status="draft")
    client.force_login(ngo_editor)

    assert client.post(f"/incidents/{incident.pk}/edit/", form(elsewhere)).status_code == 404
    with pytest.raises(PermissionDenied):
        services.incident_update(
            incident=incident, actor=ngo_editor, agreements=[elsewhere], data=form(elsewhere)
        )
    incident.refresh_from_db()
    assert incident.title.startswith("Incident")


def test_a_bad_form_comes_back_with_a_summary_and_each_error_beside_its_field(
    client, ngo_editor, agreement
):
    client.force_login(ngo_editor)

    response = client.post(
        "/incidents/new/",
        form(
            agreement,
            title="",
            discovered_at="2 March",
            reported_to_authority_at="2026-03-01 10:00",
            authority="",
            status="closed",
        ),
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "problems with this form" in body
    assert "This field is required." in body
    assert "Enter a date and time as year-month-day hour:minute" in body
    assert 'value="2 March"' in body
    assert "Name the authority it was reported to." in body
    assert "A closed incident needs its closing date." in body
    assert Incident.objects.count() == 0


def test_reported_before_discovery_is_an_error_beside_the_field(client, ngo_editor, agreement):
    client.force_login(ngo_editor)

    response = client.post(
        "/incidents/new/", form(agreement, reported_to_authority_at="2026-03-01 09:00")
    )

    assert "cannot be reported before it was discovered" in response.content.decode()
    assert Incident.objects.count() == 0


def test_submitted_by_one_party_approved_by_the_other_then_public(
    client, ngo_editor, police_editor, agreement
):
    incident = factories.IncidentFactory(agreements=[agreement], publication_status="draft")
    client.force_login(ngo_editor)
    client.post(f"/incidents/{incident.pk}/submit/")
    assert client.post(f"/incidents/{incident.pk}/approve/").status_code == 403
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404

    client.force_login(police_editor)
    response = client.post(f"/incidents/{incident.pk}/approve/")

    incident.refresh_from_db()
    assert response.status_code == 302
    assert incident.publication_status == PublicationStatus.PUBLISHED
    assert incident.submitted_by == ngo_editor
    client.logout()
    assert client.get(f"/incidents/{incident.pk}/").status_code == 200


def test_sent_back_with_a_comment_it_is_a_draft_again(client, ngo_editor, police_editor, agreement):
    incident = factories.IncidentFactory(
        agreements=[agreement], publication_status="submitted", submitted_by=ngo_editor
    )
    client.force_login(police_editor)

    empty = client.post(f"/incidents/{incident.pk}/send-back/", {"comment": ""})
    client.post(f"/incidents/{incident.pk}/send-back/", {"comment": "Name the authority."})

    incident.refresh_from_db()
    assert "Say what needs to change" in empty.content.decode()
    assert incident.publication_status == PublicationStatus.DRAFT
    assert incident.publication_comment == "Name the authority."


def test_a_withheld_value_is_replaced_by_its_reason_on_the_public_page(
    client, ngo_editor, agreement
):
    incident = factories.IncidentFactory(agreements=[agreement], nature="Names the shelter street.")
    client.force_login(ngo_editor)

    missing = client.post(
        f"/incidents/{incident.pk}/withhold/",
        {"field": "nature", "reason_code": "survivor_safety", "rationale": ""},
    )
    client.post(
        f"/incidents/{incident.pk}/withhold/",
        {"field": "nature", "reason_code": "survivor_safety", "rationale": "It locates a shelter."},
    )
    client.logout()
    body = client.get(f"/incidents/{incident.pk}/").content.decode()

    assert "Tell the public why the value is withheld." in missing.content.decode()
    assert "Names the shelter street." not in body
    assert "It locates a shelter." in body


def test_an_edit_of_a_published_incident_waits_for_approval(
    client, ngo_editor, police_editor, agreement
):
    incident = factories.IncidentFactory(agreements=[agreement], title="Before")
    client.force_login(ngo_editor)

    response = client.post(
        f"/incidents/{incident.pk}/edit/",
        form(
            agreement,
            title="After",
            discovered_at="2026-03-02 09:00",
            reported_to_authority_at="2026-03-03 09:00",
        ),
    )

    incident.refresh_from_db()
    assert response.status_code == 302
    assert incident.title == "Before"
    assert Revision.objects.get().is_pending is True
    client.logout()
    assert "Before" in client.get(f"/incidents/{incident.pk}/").content.decode()

    client.force_login(ngo_editor)
    assert client.post(f"/incidents/{incident.pk}/revision/approve/").status_code == 403
    client.force_login(police_editor)
    client.post(f"/incidents/{incident.pk}/revision/approve/")

    incident.refresh_from_db()
    assert incident.title == "After"
    assert incident.publication_status == PublicationStatus.PUBLISHED
    assert Revision.objects.get().state == "approved"


def test_retracting_takes_it_off_the_public_record_with_a_reason(client, ngo_editor, agreement):
    incident = factories.IncidentFactory(agreements=[agreement])
    client.force_login(ngo_editor)

    client.post(f"/incidents/{incident.pk}/retract/", {"reason": "Recorded twice."})

    incident.refresh_from_db()
    assert incident.publication_status == PublicationStatus.RETRACTED
    assert incident.retraction_reason == "Recorded twice."
    client.logout()
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404


def test_a_viewer_sees_the_staff_page_without_its_buttons(client, ngo_viewer, agreement):
    incident = factories.IncidentFactory(
        agreements=[agreement], publication_status="draft", notes="Private note"
    )
    client.force_login(ngo_viewer)

    body = client.get(f"/incidents/{incident.pk}/manage/").content.decode()

    assert "Private note" in body
    assert "Submit for publication" not in body
    assert f"/incidents/{incident.pk}/edit/" not in body
