"""Adding and editing agreements with their data-sharing terms; the status rules."""

import datetime as dt

import pytest
from django.urls import reverse

from agreements.models import Agreement, DataSharingTerm
from tests import factories

pytestmark = pytest.mark.django_db


def management(total: int, initial: int = 0) -> dict:
    return {
        "terms-TOTAL_FORMS": str(total),
        "terms-INITIAL_FORMS": str(initial),
        "terms-MIN_NUM_FORMS": "0",
        "terms-MAX_NUM_FORMS": "1000",
    }


def term(index: int, **values) -> dict:
    data = {
        "data_category": "aggregate_statistics",
        "direction": "police_to_ngo",
        "purpose": "Monthly counts",
        "legal_basis": "public_task",
        "surveillance_practice": "none",
        **values,
    }
    return {f"terms-{index}-{key}": value for key, value in data.items()}


def agreement_data(**overrides) -> dict:
    data = {
        "kind": "mou",
        "title": "Referral MOU",
        "status": "active",
        "signed_on": "2025-01-10",
        "effective_from": "2025-02-01",
        "expires_on": "2027-01-31",
        "review_interval_months": "12",
        "visibility": "public",
        "public_summary": "How referrals work.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def new_url(partnership):
    return reverse("agreements:new", kwargs={"slug": partnership.slug})


def test_an_editor_adds_an_mou_with_two_terms(client, ngo_editor, partnership, new_url):
    client.force_login(ngo_editor)
    data = {
        **agreement_data(),
        **management(2),
        **term(0),
        **term(1, data_category="victim_records", direction="ngo_to_police", purpose="Names"),
    }
    response = client.post(new_url, data, follow=True)
    agreement = Agreement.objects.get(title="Referral MOU")
    assert response.redirect_chain[-1][0] == agreement.get_absolute_url()
    assert agreement.partnership == partnership
    assert agreement.data_sharing_terms.count() == 2
    assert agreement.next_review_due == dt.date(2026, 2, 1)
    html = response.content.decode()
    assert "Agreement “Referral MOU” added." in html
    assert "Victim records" in html
    assert "High" in html  # victim records to the police: high risk


@pytest.mark.parametrize("status", ["active", "signed"])
def test_in_force_without_signing_date_is_a_field_error(client, ngo_editor, new_url, status):
    client.force_login(ngo_editor)
    data = {**agreement_data(status=status, signed_on=""), **management(1), **term(0)}
    response = client.post(new_url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["signed_on"]
    assert "needs its signing date" in errors["signed_on"][0]
    assert Agreement.objects.count() == 0


def test_expiry_before_effect_is_a_field_error_and_typed_values_are_kept(
    client, ngo_editor, new_url
):
    client.force_login(ngo_editor)
    data = {
        **agreement_data(effective_from="2025-06-01", expires_on="2025-05-31", reference="REF-77"),
        **management(1),
        **term(0, purpose="Typed purpose is kept"),
    }
    response = client.post(new_url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["expires_on"] == [
        "An agreement cannot expire before it takes effect."
    ]
    html = response.content.decode()
    assert 'value="REF-77"' in html
    assert 'value="2025-05-31"' in html
    assert "Typed purpose is kept" in html
    # The rule is shown next to the field before anyone gets it wrong.
    assert "Signed and active agreements need a signing date." in html
    assert Agreement.objects.count() == 0


def test_an_incomplete_term_is_an_error_next_to_it(client, ngo_editor, new_url):
    client.force_login(ngo_editor)
    data = {**agreement_data(), **management(1), **term(0, purpose="")}
    response = client.post(new_url, data)
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["purpose"]
    assert Agreement.objects.count() == 0


def test_an_editor_changes_adds_and_removes_terms(client, ngo_editor, partnership):
    agreement = factories.AgreementFactory(partnership=partnership, title="Old title")
    kept = factories.DataSharingTermFactory(agreement=agreement, purpose="Kept")
    removed = factories.DataSharingTermFactory(agreement=agreement, purpose="Removed")
    client.force_login(ngo_editor)
    url = reverse("agreements:edit", kwargs={"pk": agreement.pk})
    assert client.get(url).status_code == 200
    data = {
        **agreement_data(title="New title"),
        **management(3, initial=2),
        **term(0, id=kept.pk, purpose="Kept and changed"),
        **term(1, id=removed.pk, DELETE="on"),
        **term(2, data_category="case_records", purpose="Added"),
    }
    response = client.post(url, data)
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.title == "New title"
    assert sorted(agreement.data_sharing_terms.values_list("purpose", flat=True)) == [
        "Added",
        "Kept and changed",
    ]
    assert not DataSharingTerm.objects.filter(pk=removed.pk).exists()


def test_a_term_of_another_agreement_cannot_be_changed(client, ngo_editor, partnership):
    agreement = factories.AgreementFactory(partnership=partnership)
    elsewhere = factories.DataSharingTermFactory(purpose="Someone else's")
    client.force_login(ngo_editor)
    url = reverse("agreements:edit", kwargs={"pk": agreement.pk})
    data = {**agreement_data(), **management(1, initial=1), **term(0, id=elsewhere.pk, purpose="X")}
    response = client.post(url, data)
    assert response.status_code == 403
    assert agreement.data_sharing_terms.count() == 0
    elsewhere.refresh_from_db()
    assert elsewhere.purpose == "Someone else's"


def test_add_another_term_without_javascript_keeps_the_form(client, ngo_editor, new_url):
    client.force_login(ngo_editor)
    data = {
        **agreement_data(title="Half done"),
        **management(1),
        **term(0, purpose="First"),
        "add_term": "1",
    }
    response = client.post(new_url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="terms-1-purpose"' in html
    assert 'name="terms-TOTAL_FORMS" id="id_terms-TOTAL_FORMS" value="2"' in html
    assert 'value="Half done"' in html
    assert "First" in html
    assert Agreement.objects.count() == 0


def test_add_another_term_with_htmx(client, ngo_editor, partnership):
    client.force_login(ngo_editor)
    url = reverse("agreements:term_row", kwargs={"slug": partnership.slug})
    response = client.get(url, {"terms-TOTAL_FORMS": "3"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'name="terms-3-purpose"' in html
    assert 'value="4" hx-swap-oob="true"' in html


def test_an_agreement_cannot_supersede_one_of_another_partnership(
    client, ngo_editor, partnership, new_url
):
    other = factories.AgreementFactory()
    client.force_login(ngo_editor)
    data = {**agreement_data(supersedes=other.pk), **management(0)}
    response = client.post(new_url, data)
    assert response.status_code == 200
    assert "supersedes" in response.context["form"].errors


def test_the_agreement_page_shows_the_edit_button_to_editors_only(
    client, partnership, ngo_editor, board_member
):
    agreement = factories.AgreementFactory(partnership=partnership)
    edit = reverse("agreements:edit", kwargs={"pk": agreement.pk})
    client.force_login(ngo_editor)
    assert edit in client.get(agreement.get_absolute_url()).content.decode()
    client.force_login(board_member)
    response = client.get(agreement.get_absolute_url())
    assert response.status_code == 200
    assert edit not in response.content.decode()
