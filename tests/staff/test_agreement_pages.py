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
    # A draft changes at once (an approved agreement's changes wait: test_revisions.py).
    agreement = factories.AgreementFactory(
        partnership=partnership, title="Old title", publication_status="draft"
    )
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


# A bounded formset: a forged TOTAL_FORMS costs nothing ----------------------------

MAX_TERMS = 50
TOO_MANY_TERMS = "An agreement can have at most 50 data-sharing terms."
# The page of a full form: fifty rows of about 6 KB each (12 MB for 2,000 rows before).
MAX_PAGE_BYTES = 400_000


def terms(count: int) -> dict:
    data = {}
    for index in range(count):
        data |= term(index, purpose=f"Purpose {index}")
    return data


def rendered_term_rows(response) -> int:
    return response.content.decode().count('class="term-row"')


def test_a_forged_term_count_is_refused_quickly_and_keeps_what_was_typed(
    client, ngo_editor, new_url
):
    client.force_login(ngo_editor)
    data = {
        **agreement_data(title="Forged count"),
        **management(2000),
        **term(0, purpose="Typed purpose is kept"),
        **term(1, purpose="Second row"),
    }

    response = client.post(new_url, data)

    assert response.status_code == 200
    assert len(response.context["formset"].forms) <= MAX_TERMS
    assert rendered_term_rows(response) <= MAX_TERMS
    assert len(response.content) < MAX_PAGE_BYTES
    html = response.content.decode()
    assert response.context["formset"].non_form_errors() == [TOO_MANY_TERMS]
    assert TOO_MANY_TERMS in html
    assert 'value="Forged count"' in html
    assert "Typed purpose is kept" in html
    assert Agreement.objects.count() == 0
    assert DataSharingTerm.objects.count() == 0


def test_a_forged_term_count_on_the_edit_form_changes_nothing(client, ngo_editor, partnership):
    # A draft changes at once (an approved agreement's changes wait: test_revisions.py).
    agreement = factories.AgreementFactory(
        partnership=partnership, title="Old title", publication_status="draft"
    )
    kept = factories.DataSharingTermFactory(agreement=agreement, purpose="Kept")
    client.force_login(ngo_editor)
    url = reverse("agreements:edit", kwargs={"pk": agreement.pk})
    data = {
        **agreement_data(title="New title"),
        **management(2000, initial=1),
        **term(0, id=kept.pk, purpose="Changed"),
        **term(1, purpose="Added"),
    }

    response = client.post(url, data)

    assert response.status_code == 200
    assert rendered_term_rows(response) <= MAX_TERMS
    assert len(response.content) < MAX_PAGE_BYTES
    assert TOO_MANY_TERMS in response.content.decode()
    agreement.refresh_from_db()
    kept.refresh_from_db()
    assert agreement.title == "Old title"
    assert kept.purpose == "Kept"
    assert agreement.data_sharing_terms.count() == 1


def test_an_agreement_with_fifty_terms_is_saved(client, ngo_editor, new_url):
    client.force_login(ngo_editor)
    data = {**agreement_data(), **management(MAX_TERMS), **terms(MAX_TERMS)}

    response = client.post(new_url, data)

    assert response.status_code == 302
    assert Agreement.objects.get().data_sharing_terms.count() == MAX_TERMS


def test_an_agreement_with_fifty_one_terms_is_refused(client, ngo_editor, new_url):
    client.force_login(ngo_editor)
    data = {**agreement_data(), **management(MAX_TERMS + 1), **terms(MAX_TERMS + 1)}

    response = client.post(new_url, data)

    assert response.status_code == 200
    assert TOO_MANY_TERMS in response.content.decode()
    assert Agreement.objects.count() == 0
    assert DataSharingTerm.objects.count() == 0


def test_add_another_term_without_javascript_stops_at_fifty(client, ngo_editor, new_url):
    client.force_login(ngo_editor)
    data = {
        **agreement_data(title="Full"),
        **management(MAX_TERMS),
        **terms(MAX_TERMS),
        "add_term": "1",
    }

    response = client.post(new_url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert rendered_term_rows(response) == MAX_TERMS
    assert f'name="terms-{MAX_TERMS}-purpose"' not in html
    assert f'name="terms-TOTAL_FORMS" id="id_terms-TOTAL_FORMS" value="{MAX_TERMS}"' in html
    assert TOO_MANY_TERMS in html
    assert "Purpose 49" in html
    assert Agreement.objects.count() == 0


def test_the_term_row_beyond_fifty_is_refused(client, ngo_editor, partnership):
    client.force_login(ngo_editor)
    url = reverse("agreements:term_row", kwargs={"slug": partnership.slug})

    last = client.get(url, {"terms-TOTAL_FORMS": str(MAX_TERMS - 1)}, HTTP_HX_REQUEST="true")
    beyond = client.get(url, {"terms-TOTAL_FORMS": str(MAX_TERMS)}, HTTP_HX_REQUEST="true")
    far_beyond = client.get(url, {"terms-TOTAL_FORMS": "999"}, HTTP_HX_REQUEST="true")

    assert last.status_code == 200
    assert f'name="terms-{MAX_TERMS - 1}-purpose"' in last.content.decode()
    for refused in (beyond, far_beyond):
        assert refused.status_code == 400
        assert 'name="terms-' not in refused.content.decode()
        assert TOO_MANY_TERMS in refused.content.decode()


def test_the_fullest_agreement_form_fits_within_the_request_field_limit(
    client, ngo_editor, partnership
):
    agreement = factories.AgreementFactory(
        partnership=partnership, title="Old title", publication_status="draft"
    )
    existing = factories.DataSharingTermFactory.create_batch(MAX_TERMS, agreement=agreement)
    client.force_login(ngo_editor)
    url = reverse("agreements:edit", kwargs={"pk": agreement.pk})
    # Every field the page sends, so that Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (a 400
    # beyond it) is known to leave room for the largest legitimate agreement.
    data = {
        **agreement_data(title="Every field sent"),
        **management(MAX_TERMS, MAX_TERMS),
        "csrfmiddlewaretoken": "token",
        "reference": "REF-1",
        "auto_expire": "on",
        "supersedes": "",
        "independent_auditor": "",
    }
    for index, existing_term in enumerate(existing):
        data |= term(
            index,
            id=existing_term.pk,
            agreement=agreement.pk,
            legal_instrument="GDPR",
            retention_days="90",
            consent_required="on",
            onward_sharing_allowed="on",
            access_controls="Named caseworkers",
            DELETE="",
        )

    response = client.post(url, data)

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.title == "Every field sent"
    assert agreement.data_sharing_terms.filter(legal_instrument="GDPR").count() == MAX_TERMS
