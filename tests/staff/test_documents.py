"""Uploading signed agreement documents: PDF by content, size limit, hash, versions, download."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agreements import services
from agreements.documents import DocumentRejected
from agreements.models import Agreement, AgreementDocument
from partnerships.models import Visibility
from tests import factories
from tests.publication.withheld import withhold
from tests.staff.conftest import make_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral MOU")


def upload_url(agreement):
    return reverse("agreements:document_new", kwargs={"pk": agreement.pk})


def pdf_file(data: bytes, name: str = "signed.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_real_pdf_is_accepted_with_its_sha256(client, ngo_editor, agreement, pdf_bytes):
    client.force_login(ngo_editor)
    response = client.post(
        upload_url(agreement), {"file": pdf_file(pdf_bytes), "is_public": "on"}, follow=True
    )
    assert response.status_code == 200
    document = AgreementDocument.objects.get(agreement=agreement)
    assert document.version == 1
    assert document.sha256 == hashlib.sha256(pdf_bytes).hexdigest()
    assert document.size_bytes == len(pdf_bytes)
    assert document.uploaded_by == ngo_editor
    assert document.is_public is True
    with document.file.open("rb") as stored:
        assert stored.read() == pdf_bytes
    # Shown with its hash, on the agreement page and the partnership page.
    assert document.sha256 in response.content.decode()
    page = client.get(reverse("public:partnership", kwargs={"slug": agreement.partnership.slug}))
    assert document.sha256 in page.content.decode()


def test_a_text_file_renamed_pdf_is_refused_and_the_form_kept(client, ngo_editor, agreement):
    client.force_login(ngo_editor)
    response = client.post(
        upload_url(agreement),
        {"file": pdf_file(b"Dear all, the MOU is attached.\n", name="mou.pdf"), "is_public": "on"},
    )
    assert response.status_code == 415
    assert "This file is not a PDF" in response.content.decode()
    assert response.context["form"]["is_public"].value() is True
    assert AgreementDocument.objects.count() == 0


def test_a_file_with_a_pdf_header_but_no_pdf_inside_is_refused(client, ngo_editor, agreement):
    client.force_login(ngo_editor)
    response = client.post(
        upload_url(agreement), {"file": pdf_file(b"%PDF-1.7\nthis is not a pdf at all\n")}
    )
    assert response.status_code == 415
    assert AgreementDocument.objects.count() == 0


def test_an_oversize_file_is_refused(client, ngo_editor, agreement, settings, pdf_bytes):
    settings.AGREEMENT_DOCUMENT_MAX_BYTES = len(pdf_bytes) - 1
    client.force_login(ngo_editor)
    response = client.post(upload_url(agreement), {"file": pdf_file(pdf_bytes)})
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert AgreementDocument.objects.count() == 0


def test_a_request_far_over_the_limit_is_refused_before_it_is_read(
    client, ngo_editor, agreement, settings
):
    settings.AGREEMENT_DOCUMENT_MAX_BYTES = 10
    client.force_login(ngo_editor)
    big = make_pdf() + b"%" * (1024 * 1024 + 10)
    response = client.post(upload_url(agreement), {"file": pdf_file(big)})
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert AgreementDocument.objects.count() == 0


def test_a_file_at_the_limit_is_accepted(client, ngo_editor, agreement, settings, pdf_bytes):
    settings.AGREEMENT_DOCUMENT_MAX_BYTES = len(pdf_bytes)
    client.force_login(ngo_editor)
    response = client.post(upload_url(agreement), {"file": pdf_file(pdf_bytes)})
    assert response.status_code == 302
    assert AgreementDocument.objects.count() == 1


def test_an_empty_file_is_refused(client, ngo_editor, agreement):
    client.force_login(ngo_editor)
    response = client.post(upload_url(agreement), {"file": pdf_file(b"")})
    assert response.status_code == 400
    assert "The file is empty" in response.content.decode()
    assert AgreementDocument.objects.count() == 0


def test_a_second_upload_is_version_2_and_keeps_version_1(client, ngo_editor, agreement):
    first, second = make_pdf(pages=1), make_pdf(pages=2)
    client.force_login(ngo_editor)
    client.post(upload_url(agreement), {"file": pdf_file(first)})
    client.post(upload_url(agreement), {"file": pdf_file(second)})
    versions = list(agreement.documents.order_by("version"))
    assert [d.version for d in versions] == [1, 2]
    assert versions[0].sha256 == hashlib.sha256(first).hexdigest()
    assert versions[1].sha256 == hashlib.sha256(second).hexdigest()
    assert versions[0].file.name != versions[1].file.name
    with versions[0].file.open("rb") as stored:
        assert stored.read() == first
    # Listed newest first.
    page = client.get(reverse("public:agreement", kwargs={"pk": agreement.pk})).content.decode()
    table = page[page.index('<table class="documents">') :]
    assert table.index(versions[1].sha256) < table.index(versions[0].sha256)


def test_the_service_refuses_an_outsider(other_ngo_editor, agreement, pdf_bytes):
    with pytest.raises(PermissionDenied):
        services.document_upload(
            agreement=agreement, file=pdf_file(pdf_bytes), actor=other_ngo_editor
        )
    assert AgreementDocument.objects.count() == 0


def test_the_service_refuses_a_non_pdf(ngo_editor, agreement):
    with pytest.raises(DocumentRejected) as refused:
        services.document_upload(
            agreement=agreement, file=pdf_file(b"GIF89a....."), actor=ngo_editor
        )
    assert refused.value.status == 415


class TestRawUpload:
    """The non-form endpoint: the PDF as the request body, JSON back."""

    def post(self, client, agreement, data: bytes, content_type="application/pdf"):
        return client.post(upload_url(agreement), data=data, content_type=content_type)

    def test_it_accepts_a_pdf(self, client, ngo_editor, agreement, pdf_bytes):
        client.force_login(ngo_editor)
        response = self.post(client, agreement, pdf_bytes)
        assert response.status_code == 201
        assert response.json()["sha256"] == hashlib.sha256(pdf_bytes).hexdigest()
        assert response.json()["version"] == 1

    def test_it_answers_415_to_another_type(self, client, ngo_editor, agreement):
        client.force_login(ngo_editor)
        response = self.post(client, agreement, b"hello", content_type="text/plain")
        assert response.status_code == 415
        assert response.json()["error"] == "not_pdf"

    def test_it_answers_415_to_a_text_declared_as_pdf(self, client, ngo_editor, agreement):
        client.force_login(ngo_editor)
        response = self.post(client, agreement, b"plain text, not a PDF")
        assert response.status_code == 415

    def test_it_answers_413_to_an_oversize_pdf(
        self, client, ngo_editor, agreement, settings, pdf_bytes
    ):
        settings.AGREEMENT_DOCUMENT_MAX_BYTES = 100
        client.force_login(ngo_editor)
        response = self.post(client, agreement, pdf_bytes)
        assert response.status_code == 413
        assert response.json()["error"] == "too_large"

    def test_it_accepts_a_pdf_sent_in_chunks_without_a_length(
        self, client, ngo_editor, agreement, pdf_bytes
    ):
        client.force_login(ngo_editor)
        # As gunicorn hands over a chunked body: no Content-Length, the stream ends there.
        response = client.post(
            upload_url(agreement),
            data=b"",
            content_type="application/pdf",
            CONTENT_LENGTH="",
            CONTENT_TYPE="application/pdf",
            HTTP_TRANSFER_ENCODING="chunked",
            **{"wsgi.input": io.BytesIO(pdf_bytes), "wsgi.input_terminated": True},
        )
        assert response.status_code == 201, response.content
        assert response.json()["sha256"] == hashlib.sha256(pdf_bytes).hexdigest()

    def test_an_empty_chunked_body_is_still_empty(self, client, ngo_editor, agreement):
        client.force_login(ngo_editor)
        response = client.post(
            upload_url(agreement),
            data=b"",
            content_type="application/pdf",
            CONTENT_LENGTH="",
            CONTENT_TYPE="application/pdf",
            HTTP_TRANSFER_ENCODING="chunked",
            **{"wsgi.input": io.BytesIO(b""), "wsgi.input_terminated": True},
        )
        assert response.status_code == 400
        assert response.json()["error"] == "empty"

    def test_a_web_page_that_is_also_a_pdf_is_refused(
        self, client, ngo_editor, agreement, pdf_bytes
    ):
        client.force_login(ngo_editor)
        polyglot = b"<html><script>alert(document.cookie)</script><!--\n" + pdf_bytes
        response = self.post(client, agreement, polyglot)
        assert response.status_code == 415
        assert AgreementDocument.objects.count() == 0

    def test_it_answers_400_to_an_empty_body(self, client, ngo_editor, agreement):
        client.force_login(ngo_editor)
        response = self.post(client, agreement, b"")
        assert response.status_code == 400
        assert AgreementDocument.objects.count() == 0

    def test_it_publishes_the_version_when_asked_and_links_its_download(
        self, client, ngo_editor, agreement, pdf_bytes
    ):
        client.force_login(ngo_editor)
        response = client.post(
            upload_url(agreement) + "?is_public=1", data=pdf_bytes, content_type="application/pdf"
        )
        assert response.status_code == 201
        document = AgreementDocument.objects.get(agreement=agreement)
        assert document.is_public is True
        assert response.json() == {
            "version": 1,
            "sha256": document.sha256,
            "size_bytes": len(pdf_bytes),
            "is_public": True,
            "url": "http://testserver"
            + reverse("agreements:document_download", kwargs={"pk": agreement.pk, "version": 1}),
        }

    def test_a_second_upload_is_version_2(self, client, ngo_editor, agreement):
        client.force_login(ngo_editor)
        self.post(client, agreement, make_pdf(pages=1))
        response = self.post(client, agreement, make_pdf(pages=2))
        assert response.status_code == 201
        assert response.json()["version"] == 2
        assert agreement.documents.count() == 2

    def test_put_uploads_as_post_does(self, client, ngo_editor, agreement, pdf_bytes):
        client.force_login(ngo_editor)
        response = client.put(upload_url(agreement), data=pdf_bytes, content_type="application/pdf")
        assert response.status_code == 201
        assert AgreementDocument.objects.filter(agreement=agreement).count() == 1

    def test_an_anonymous_client_is_sent_to_log_in(self, client, agreement, pdf_bytes):
        response = self.post(client, agreement, pdf_bytes)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert AgreementDocument.objects.count() == 0

    def test_an_outsider_is_refused_403(self, client, other_ngo_editor, agreement, pdf_bytes):
        client.force_login(other_ngo_editor)
        response = self.post(client, agreement, pdf_bytes)
        assert response.status_code == 403
        assert AgreementDocument.objects.count() == 0

    def test_a_restricted_agreement_the_client_may_not_see_is_404(
        self, client, other_ngo_editor, agreement, pdf_bytes
    ):
        agreement.visibility = Visibility.RESTRICTED
        agreement.save()
        client.force_login(other_ngo_editor)
        response = self.post(client, agreement, pdf_bytes)
        assert response.status_code == 404
        assert AgreementDocument.objects.count() == 0

    def test_it_needs_the_csrf_token_like_any_write(self, ngo_editor, agreement, pdf_bytes):
        client = Client(enforce_csrf_checks=True)
        client.force_login(ngo_editor)
        response = self.post(client, agreement, pdf_bytes)
        assert response.status_code == 403
        assert AgreementDocument.objects.count() == 0

    def test_a_form_post_still_gets_the_form(self, client, ngo_editor, agreement):
        client.force_login(ngo_editor)
        response = client.post(upload_url(agreement), {"is_public": "on"})
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert "Choose the PDF file to upload." in response.content.decode()


class TestDownload:
    def url(self, document):
        return reverse(
            "agreements:document_download",
            kwargs={"pk": document.agreement_id, "version": document.version},
        )

    def test_a_public_version_of_a_public_agreement_is_public(self, client, agreement):
        document = factories.AgreementDocumentFactory(agreement=agreement, is_public=True)
        response = client.get(self.url(document))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")

    def test_an_unpublished_version_is_for_the_parties_and_oversight(
        self, client, agreement, ngo_viewer, board_member, other_ngo_editor
    ):
        document = factories.AgreementDocumentFactory(agreement=agreement, is_public=False)
        assert client.get(self.url(document)).status_code == 404
        client.force_login(other_ngo_editor)
        assert client.get(self.url(document)).status_code == 404
        for user in (ngo_viewer, board_member):
            client.force_login(user)
            assert client.get(self.url(document)).status_code == 200

    def test_a_public_version_of_a_restricted_agreement_is_not_public(self, client, agreement):
        agreement.visibility = Visibility.RESTRICTED
        agreement.save()
        document = factories.AgreementDocumentFactory(agreement=agreement, is_public=True)
        assert client.get(self.url(document)).status_code == 404

    def test_a_version_whose_text_is_withheld_is_for_the_parties_only(
        self, client, agreement, ngo_viewer
    ):
        document = factories.AgreementDocumentFactory(agreement=agreement, is_public=True)
        withhold(document, "file")
        assert client.get(self.url(document)).status_code == 404
        client.force_login(ngo_viewer)
        response = client.get(self.url(document))
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"

    def test_an_embargoed_version_is_not_public_until_its_embargo_lifts(self, client, agreement):
        document = factories.AgreementDocumentFactory(
            agreement=agreement, is_public=True, embargoed_until=dt.date(2099, 1, 1)
        )
        assert client.get(self.url(document)).status_code == 404

    def test_media_files_are_not_served_at_media_url(self, client, agreement):
        document = factories.AgreementDocumentFactory(agreement=agreement, is_public=False)
        assert client.get("/media/" + document.file.name).status_code == 404


def test_a_new_version_of_a_submitted_agreement_makes_it_a_draft_again(
    client, ngo_editor, agreement, pdf_bytes
):
    Agreement.objects.filter(pk=agreement.pk).update(publication_status="submitted")
    client.force_login(ngo_editor)
    client.post(upload_url(agreement), {"file": pdf_file(pdf_bytes)})

    agreement.refresh_from_db()
    assert agreement.documents.count() == 1
    assert agreement.publication_status == "draft"
