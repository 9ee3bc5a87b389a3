"""The staff's main flows in a real browser."""

import hashlib
import re

import pytest

from agreements.models import Agreement, AgreementDocument
from partnerships.models import Partnership
from tests import factories
from tests.staff.conftest import make_pdf

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Oversight members land on their dashboard, the parties' staff on their organizations.
    page.wait_for_url(re.compile(r"/(accounts/my-organization|oversight)/$"))


def test_an_ngo_editor_registers_a_partnership_an_mou_and_its_signed_text(
    page, live_server, ngo_editor, police
):
    log_in(page, live_server.url, ngo_editor.username)

    # A partnership with a police agency, chosen by searching as you type (htmx).
    page.get_by_role("button", name="New partnership").click()
    page.get_by_label("Title").fill("Riverside safe referrals")
    page.get_by_label("Region").select_option("europe")
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Search organizations by name").fill("Riversi")
    page.get_by_role("radio", name=re.compile("Riverside Police")).check()
    page.get_by_role("button", name="Create partnership").click()
    page.wait_for_url(re.compile(r"/partnerships/riverside-safe-referrals/$"))
    assert page.get_by_text("Partnership “Riverside safe referrals” created.").is_visible()

    # An MOU with two data-sharing terms; the second row comes from "add another" (htmx).
    page.get_by_role("button", name="Add an agreement").click()
    page.get_by_label("Title").fill("Referral MOU")
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Signed on").fill("2025-01-10")
    page.get_by_label("Effective from").fill("2025-02-01")
    page.locator('[name="terms-0-data_category"]').select_option("aggregate_statistics")
    page.locator('[name="terms-0-direction"]').select_option("police_to_ngo")
    page.locator('[name="terms-0-purpose"]').fill("Monthly counts of referrals")
    page.get_by_role("button", name="Add another data-sharing term").click()
    page.locator('[name="terms-1-purpose"]').wait_for()
    assert page.locator("#id_terms-TOTAL_FORMS").input_value() == "2"
    page.locator('[name="terms-1-data_category"]').select_option("case_records")
    page.locator('[name="terms-1-direction"]').select_option("ngo_to_police")
    page.locator('[name="terms-1-purpose"]').fill("Case summaries for joint safeguarding")
    page.get_by_role("button", name="Add agreement").click()
    page.wait_for_url(re.compile(r"/agreements/\d+/$"))
    agreement = Agreement.objects.get(title="Referral MOU")
    assert agreement.data_sharing_terms.count() == 2

    # The signed PDF.
    pdf = make_pdf(pages=2)
    page.get_by_role("button", name="Upload a document version").click()
    page.get_by_label("Signed document (PDF)").set_input_files(
        {"name": "referral-mou-signed.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    page.get_by_label("Publish this version").check()
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(rf"/agreements/{agreement.pk}/$"))

    sha256 = hashlib.sha256(pdf).hexdigest()
    assert AgreementDocument.objects.get(agreement=agreement).sha256 == sha256
    page.goto(f"{live_server.url}{agreement.partnership.get_absolute_url()}")
    documents = page.locator("table.documents")
    assert documents.get_by_text(sha256).is_visible()
    assert documents.get_by_role("link", name="Version 1", exact=True).is_visible()
    assert page.get_by_text("Case summaries for joint safeguarding").is_visible()


def test_an_editor_of_another_organization_may_not_edit(
    page, live_server, other_ngo_editor, ngo, police
):
    partnership = factories.partnership_with_parties(
        ngo=ngo, police=police, title="Someone else's partnership", slug="someone-elses"
    )
    log_in(page, live_server.url, other_ngo_editor.username)
    page.goto(f"{live_server.url}{partnership.get_absolute_url()}")
    assert page.get_by_role("heading", name="Someone else's partnership").is_visible()
    assert page.get_by_text("Edit partnership").count() == 0
    assert page.get_by_text("Add an agreement").count() == 0
    response = page.goto(f"{live_server.url}/partnerships/{partnership.slug}/edit/")
    assert response.status == 403
    assert page.get_by_role("heading", name="You may not do this").is_visible()
    assert Partnership.objects.get(pk=partnership.pk).title == "Someone else's partnership"
