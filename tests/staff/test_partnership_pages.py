"""Creating and editing partnerships and their parties; proposing organizations."""

import pytest
from django.urls import reverse

from partnerships.models import Organization, Partnership, PartnershipParty, Visibility
from tests import factories

pytestmark = pytest.mark.django_db

NEW = reverse("partnerships:new")


def create_data(ngo, police, **overrides):
    data = {
        "organization": ngo.pk,
        "party": police.pk,
        "party_role": PartnershipParty.Role.POLICE_AGENCY,
        "title": "Safe referrals",
        "status": Partnership.Status.ACTIVE,
        "region": "europe",
        "country": "GB",
        "established_on": "2024-03-01",
        "established_precision": "day",
        "public_summary": "Referrals of domestic abuse survivors.",
        "visibility": Visibility.PUBLIC,
    }
    data.update(overrides)
    return data


def test_an_editor_creates_a_partnership_with_their_organization_as_a_party(
    client, ngo_editor, ngo, police
):
    client.force_login(ngo_editor)
    response = client.post(NEW, create_data(ngo, police), follow=True)
    partnership = Partnership.objects.get(title="Safe referrals")
    assert response.redirect_chain[-1][0] == partnership.get_absolute_url()
    assert partnership.slug == "safe-referrals"
    roles = {p.organization: p.role for p in partnership.parties.all()}
    assert roles == {
        ngo: PartnershipParty.Role.LEAD_NGO,
        police: PartnershipParty.Role.POLICE_AGENCY,
    }
    assert "Partnership “Safe referrals” created." in response.content.decode()


def test_form_errors_keep_what_was_typed(client, ngo_editor, ngo, police):
    client.force_login(ngo_editor)
    data = create_data(
        ngo,
        police,
        title="",
        objectives="Fewer repeat victims",
        established_on="2024-03-01",
        ended_on="2020-01-01",
    )
    response = client.post(NEW, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "title" in form.errors
    assert form.errors["ended_on"] == ["A partnership cannot end before it was established."]
    html = response.content.decode()
    assert "Fewer repeat victims" in html
    assert 'value="2020-01-01"' in html
    assert f'value="{police.pk}" checked' in html
    assert Partnership.objects.count() == 0


def test_a_partnership_needs_a_police_agency(client, ngo_editor, ngo, other_ngo):
    client.force_login(ngo_editor)
    response = client.post(
        NEW, create_data(ngo, other_ngo, party_role=PartnershipParty.Role.PARTNER_NGO)
    )
    assert response.status_code == 200
    assert "needs a police agency" in response.content.decode()
    assert Partnership.objects.count() == 0


def test_an_editor_cannot_create_for_another_organization(client, ngo_editor, other_ngo, police):
    client.force_login(ngo_editor)
    response = client.post(NEW, create_data(other_ngo, police))
    assert response.status_code == 200
    assert "organization" in response.context["form"].errors
    assert Partnership.objects.count() == 0


def test_search_without_javascript_keeps_the_form_and_lists_matches(
    client, ngo_editor, ngo, police
):
    client.force_login(ngo_editor)
    data = create_data(ngo, police, title="Half typed", q="river", search="1")
    del data["party"]
    response = client.post(NEW, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Riverside Police" in html
    assert 'value="Half typed"' in html
    assert "errorlist" not in html  # a search is not a failed submission
    assert Partnership.objects.count() == 0


def test_search_as_you_type_returns_matching_organizations(client, ngo_editor, ngo, police):
    factories.NgoFactory(name="Riverbank Youth Club", is_confirmed=False)
    client.force_login(ngo_editor)
    response = client.get(
        reverse("partnerships:organization_search"), {"q": "river"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "Riverside Police" in html
    assert "Riverbank Youth Club" not in html  # unconfirmed, proposed by someone else
    assert "<html" not in html  # a fragment


def test_an_editor_proposes_an_organization_and_may_choose_it(client, ngo_editor):
    client.force_login(ngo_editor)
    response = client.post(
        reverse("partnerships:organization_propose") + "?next=/partnerships/new/",
        {"name": "Lakeside Constabulary", "kind": "police_agency", "country": "GB"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/partnerships/new/"
    proposed = Organization.objects.get(name="Lakeside Constabulary")
    assert proposed.is_confirmed is False
    assert proposed.proposed_by == ngo_editor
    assert proposed not in Organization.objects.public()
    results = client.get(reverse("partnerships:organization_search"), {"q": "lakeside"})
    assert "Lakeside Constabulary" in results.content.decode()
    assert "awaiting confirmation" in results.content.decode()


def test_proposing_an_existing_name_is_refused(client, ngo_editor, police):
    client.force_login(ngo_editor)
    response = client.post(
        reverse("partnerships:organization_propose"),
        {"name": "riverside police", "kind": "police_agency"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"]


def test_unconfirmed_parties_are_not_shown_to_the_public(client, partnership):
    proposed = factories.NgoFactory(name="Pending Charity", is_confirmed=False)
    factories.PartnershipPartyFactory(
        partnership=partnership, organization=proposed, role=PartnershipParty.Role.PARTNER_NGO
    )
    response = client.get(partnership.get_absolute_url())
    assert "Pending Charity" not in response.content.decode()


def test_an_editor_edits_the_partnership(client, ngo_editor, partnership):
    # A draft changes at once (an approved partnership's changes wait: test_revisions.py).
    Partnership.objects.filter(pk=partnership.pk).update(publication_status="draft")
    client.force_login(ngo_editor)
    url = reverse("partnerships:edit", kwargs={"slug": partnership.slug})
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "focus_areas"}
    data.update(title="Renamed", country="GB", established_on="2020-01-01")
    response = client.post(url, data, follow=True)
    partnership.refresh_from_db()
    assert partnership.title == "Renamed"
    assert partnership.slug != "renamed"  # the stable id does not follow the title
    assert "Partnership saved." in response.content.decode()


class TestParties:
    def test_an_editor_adds_and_removes_a_party(self, client, ngo_editor, partnership):
        funder = factories.NgoFactory(name="Community Fund")
        client.force_login(ngo_editor)
        add = reverse("partnerships:party_add", kwargs={"slug": partnership.slug})
        response = client.post(add, {"organization": funder.pk, "role": "funder"})
        assert response.status_code == 302
        party = partnership.parties.get(organization=funder)
        assert party.role == "funder"
        remove = reverse(
            "partnerships:party_remove", kwargs={"slug": partnership.slug, "pk": party.pk}
        )
        assert client.post(remove).status_code == 302
        assert not partnership.parties.filter(organization=funder).exists()

    def test_the_last_police_agency_cannot_be_removed(self, client, ngo_editor, partnership):
        client.force_login(ngo_editor)
        police_party = partnership.parties.get(role="police_agency")
        remove = reverse(
            "partnerships:party_remove", kwargs={"slug": partnership.slug, "pk": police_party.pk}
        )
        response = client.post(remove, follow=True)
        assert "no police agency" in response.content.decode()
        assert partnership.parties.filter(pk=police_party.pk).exists()

    def test_an_editor_cannot_remove_their_own_organization(
        self, client, ngo_editor, partnership, ngo
    ):
        client.force_login(ngo_editor)
        own = partnership.parties.get(organization=ngo)
        remove = reverse(
            "partnerships:party_remove", kwargs={"slug": partnership.slug, "pk": own.pk}
        )
        assert client.post(remove).status_code == 403
        assert partnership.parties.filter(pk=own.pk).exists()

    def test_search_on_the_party_page_without_javascript(self, client, ngo_editor, partnership):
        factories.NgoFactory(name="Harbour Lights Trust")
        client.force_login(ngo_editor)
        add = reverse("partnerships:party_add", kwargs={"slug": partnership.slug})
        response = client.get(add, {"q": "harbour"})
        html = response.content.decode()
        assert "Harbour Lights Trust" in html
        assert "Safe Harbour Women" not in html.split("Matching organizations")[1]  # a party


class TestPartnershipPage:
    def test_the_edit_button_is_for_editors_only(self, client, partnership, ngo_editor, ngo_viewer):
        edit = reverse("partnerships:edit", kwargs={"slug": partnership.slug})
        client.force_login(ngo_editor)
        assert edit in client.get(partnership.get_absolute_url()).content.decode()
        client.force_login(ngo_viewer)
        assert edit not in client.get(partnership.get_absolute_url()).content.decode()

    def test_review_notes_stay_private(self, client, partnership, board_member, ngo_editor):
        agreement = factories.AgreementFactory(partnership=partnership)
        factories.ReviewFactory(agreement=agreement, notes="PRIVATE-SENTINEL-NOTE")
        assert (
            "PRIVATE-SENTINEL-NOTE"
            not in client.get(partnership.get_absolute_url()).content.decode()
        )
        client.force_login(ngo_editor)
        assert (
            "PRIVATE-SENTINEL-NOTE"
            not in client.get(partnership.get_absolute_url()).content.decode()
        )
        client.force_login(board_member)
        assert (
            "PRIVATE-SENTINEL-NOTE" in client.get(partnership.get_absolute_url()).content.decode()
        )

    def test_people_are_not_shown(self, client, partnership, ngo_editor):
        agreement = factories.AgreementFactory(partnership=partnership)
        factories.AgreementDocumentFactory(
            agreement=agreement, is_public=True, uploaded_by=ngo_editor
        )
        html = client.get(partnership.get_absolute_url()).content.decode()
        assert ngo_editor.username not in html
        assert ngo_editor.email not in html

    def test_restricted_agreements_of_a_public_partnership_stay_hidden(
        self, client, partnership, other_ngo_editor
    ):
        factories.AgreementFactory(
            partnership=partnership, title="Secret annex", visibility=Visibility.RESTRICTED
        )
        client.force_login(other_ngo_editor)
        assert "Secret annex" not in client.get(partnership.get_absolute_url()).content.decode()
