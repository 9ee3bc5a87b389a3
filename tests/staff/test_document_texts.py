"""The text of each document version, read from its PDF, and two versions compared clause
by clause: on upload, for older versions, and who may read them."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from agreements import documents, services
from agreements.models import AgreementDocument, DocumentText
from partnerships.models import Visibility
from tests import factories
from tests.publication.withheld import withhold
from tests.staff.conftest import make_pdf, make_text_pdf

pytestmark = pytest.mark.django_db

V1 = [
    "MEMORANDUM OF UNDERSTANDING\n1. Purpose\nThe parties work together on referrals.\n"
    "2. Retention\nRecords are kept for 12 months and then deleted.",
    "3. Review\nThe parties review this memorandum every year.",
]
V2 = [
    "MEMORANDUM OF UNDERSTANDING\n1. Purpose\nThe parties work together on referrals.\n"
    "2. Consent\nNothing is shared without the survivor's written consent.\n"
    "3. Retention\nRecords are kept for 24 months and then deleted.",
    "4. Review\nThe parties review this memorandum every year.",
]


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral MOU")


def upload(agreement, actor, pages, *, is_public=True) -> AgreementDocument:
    pdf = make_text_pdf(pages) if pages else make_pdf(pages=2)
    return services.document_upload(
        agreement=agreement,
        file=SimpleUploadedFile("signed.pdf", pdf, content_type="application/pdf"),
        actor=actor,
        is_public=is_public,
    )


def text_url(document):
    return reverse(
        "agreements:document_text",
        kwargs={"pk": document.agreement_id, "version": document.version},
    )


def compare_url(agreement, query="from=1&to=2"):
    return reverse("agreements:document_compare", kwargs={"pk": agreement.pk}) + f"?{query}"


class TestExtraction:
    def test_an_upload_stores_the_text_of_every_page(self, agreement, ngo_editor):
        document = upload(agreement, ngo_editor, V1)
        text = DocumentText.objects.get(document=document)
        assert text.status == DocumentText.Status.EXTRACTED
        assert text.pages_read == 2
        assert text.truncated is False
        assert "1. Purpose" in text.text
        assert "The parties review this memorandum every year." in text.text

    def test_a_pdf_without_text_is_marked_a_scan(self, client, agreement, ngo_editor):
        document = upload(agreement, ngo_editor, None)
        assert document.text.status == DocumentText.Status.NO_TEXT_LAYER
        assert document.text.text == ""
        page = client.get(text_url(document)).content.decode()
        assert "This version has no text layer (a scan)" in page

    def test_a_long_pdf_is_read_within_the_bounds(self, monkeypatch):
        monkeypatch.setattr(documents, "TEXT_MAX_PAGES", 2)
        pdf = make_text_pdf(["1. One\nFirst page.", "2. Two\nSecond page.", "3. Three\nThird."])
        extracted = documents.extract_text(io.BytesIO(pdf))
        assert (extracted.pages_read, extracted.truncated) == (2, True)
        assert "Third" not in extracted.text
        monkeypatch.setattr(documents, "TEXT_MAX_CHARS", 10)
        extracted = documents.extract_text(io.BytesIO(pdf))
        assert len(extracted.text) == 10
        assert extracted.truncated is True

    def test_a_malformed_pdf_is_unreadable_never_an_error(self):
        for data in (b"%PDF-1.4 garbage", b"", make_pdf()[:200]):
            extracted = documents.extract_text(io.BytesIO(data))
            assert extracted.status in (
                DocumentText.Status.UNREADABLE,
                DocumentText.Status.NO_TEXT_LAYER,
            )

    def test_the_command_reads_older_versions_and_skips_missing_files(self, agreement):
        with_text = factories.AgreementDocumentFactory(
            agreement=agreement, version=1, file__data=make_text_pdf(V1)
        )
        missing = factories.AgreementDocumentFactory(agreement=agreement, version=2)
        missing.file.delete(save=False)
        out = io.StringIO()
        call_command("extract_document_texts", stdout=out)
        assert "extracted: 1" in out.getvalue()
        assert "missing_file: 1" in out.getvalue()
        with_text.refresh_from_db()
        assert with_text.text.status == DocumentText.Status.EXTRACTED
        assert DocumentText.objects.filter(document=missing).exists() is False
        # A second run reads nothing again.
        call_command("extract_document_texts", stdout=out)
        assert DocumentText.objects.count() == 1


class TestTextPage:
    def test_a_public_version_s_text_is_public(self, client, agreement, ngo_editor):
        document = upload(agreement, ngo_editor, V1)
        response = client.get(text_url(document))
        assert response.status_code == 200
        assert "Records are kept for 12 months" in response.content.decode()

    def test_a_private_version_s_text_is_for_the_parties_and_oversight(
        self, client, agreement, ngo_editor, ngo_viewer, board_member, other_ngo_editor
    ):
        document = upload(
            agreement, ngo_editor, ["1. Secret\nSENTINEL private clause."], is_public=False
        )
        assert client.get(text_url(document)).status_code == 404
        client.force_login(other_ngo_editor)
        assert client.get(text_url(document)).status_code == 404
        for user in (ngo_viewer, board_member):
            client.force_login(user)
            response = client.get(text_url(document))
            assert response.status_code == 200
            assert "SENTINEL private clause." in response.content.decode()
            assert response["Cache-Control"] == "private, no-store"

    def test_an_embargoed_or_withheld_version_s_text_is_not_public(
        self, client, agreement, ngo_editor
    ):
        embargoed = upload(agreement, ngo_editor, V1)
        AgreementDocument.objects.filter(pk=embargoed.pk).update(
            embargoed_until=dt.date(2099, 1, 1)
        )
        withheld = upload(agreement, ngo_editor, V2)
        withhold(withheld, "file")
        for document in (embargoed, withheld):
            assert client.get(text_url(document)).status_code == 404
        client.force_login(ngo_editor)
        assert client.get(text_url(withheld)).status_code == 200

    def test_a_version_of_a_restricted_agreement_is_not_found(self, client, agreement, ngo_editor):
        document = upload(agreement, ngo_editor, V1)
        agreement.visibility = Visibility.RESTRICTED
        agreement.save()
        assert client.get(text_url(document)).status_code == 404


class TestComparePage:
    def test_it_shows_the_changes_clause_by_clause(self, client, agreement, ngo_editor):
        upload(agreement, ngo_editor, V1)
        upload(agreement, ngo_editor, V2)
        response = client.get(compare_url(agreement))
        assert response.status_code == 200
        page = response.content.decode()
        assert "What changed from version 1 to version 2" in page
        assert "1 changed, 1 added, 0 removed, 0 moved" in page
        assert "<del>12</del> <ins>24</ins>" in page
        assert '<mark class="topic">consent</mark>' in page
        assert "The changes touch data sharing, retention, consent." in page

    @pytest.mark.parametrize(
        "query, field, message",
        [
            ("", "from", "Choose the version (from)."),
            ("from=1", "to", "Choose the version (to)."),
            ("from=one&to=2", "from", "Give a version number."),
            ("from=0&to=2", "from", "greater than or equal to 1"),
            ("from=2&to=2", "to", "Choose two different versions."),
        ],
    )
    def test_bad_parameters_get_the_form_with_field_errors(
        self, client, agreement, ngo_editor, query, field, message
    ):
        upload(agreement, ngo_editor, V1)
        upload(agreement, ngo_editor, V2)
        response = client.get(compare_url(agreement, query))
        assert response.status_code == 400
        assert message in response.content.decode()
        assert field in response.context["form"].errors

    def test_a_version_the_reader_may_not_see_is_not_found(
        self, client, agreement, ngo_editor, ngo_viewer
    ):
        upload(agreement, ngo_editor, V1)
        upload(agreement, ngo_editor, ["1. Secret\nSENTINEL private clause."], is_public=False)
        for query in ("from=1&to=2", "from=1&to=9"):
            assert client.get(compare_url(agreement, query)).status_code == 404
        client.force_login(ngo_viewer)
        response = client.get(compare_url(agreement))
        assert response.status_code == 200
        assert "SENTINEL private clause." in response.content.decode()

    def test_a_scan_cannot_be_compared_and_the_page_says_why(self, client, agreement, ngo_editor):
        upload(agreement, ngo_editor, V1)
        upload(agreement, ngo_editor, None)
        response = client.get(compare_url(agreement))
        assert response.status_code == 200
        assert "This version has no text layer (a scan)" in response.content.decode()

    def test_the_agreement_page_links_each_text_and_the_comparison(
        self, client, agreement, ngo_editor
    ):
        upload(agreement, ngo_editor, V1)
        upload(agreement, ngo_editor, ["1. Secret\nSENTINEL private clause."], is_public=False)
        upload(agreement, ngo_editor, V2)
        page = client.get(agreement.get_absolute_url()).content.decode()
        # The public compare version 3 with version 1, the previous one they may read.
        assert compare_url(agreement, "from=1&amp;to=3") in page
        assert text_url(agreement.documents.get(version=2)) not in page
        client.force_login(ngo_editor)
        page = client.get(agreement.get_absolute_url()).content.decode()
        assert compare_url(agreement, "from=2&amp;to=3") in page
        assert compare_url(agreement, "from=1&amp;to=2") in page
        assert text_url(agreement.documents.get(version=2)) in page
