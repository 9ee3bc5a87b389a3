"""``/api/v1/agreements/<id>/documents/compare/``: two public versions compared clause by
clause, as JSON."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agreements import services
from agreements.models import AgreementDocument
from tests import factories
from tests.publication.withheld import withhold
from tests.staff.conftest import make_text_pdf
from tests.staff.test_document_texts import V1, V2

pytestmark = pytest.mark.django_db

PRIVATE = ["1. Secret\nSENTINEL private clause about onward sharing."]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def agreement(partnership, ngo_editor):
    agreement = factories.AgreementFactory(partnership=partnership, title="Referral MOU")
    for pages, is_public in ((V1, True), (V2, True), (PRIVATE, False)):
        services.document_upload(
            agreement=agreement,
            file=SimpleUploadedFile("s.pdf", make_text_pdf(pages), content_type="application/pdf"),
            actor=ngo_editor,
            is_public=is_public,
        )
    return agreement


def url(agreement, query="from=1&to=2"):
    return f"/api/v1/agreements/{agreement.pk}/documents/compare/?{query}"


def test_it_answers_the_clauses_with_their_status_and_word_spans(get, agreement):
    body = get(url(agreement))
    assert body["agreement"] == f"http://testserver/api/v1/agreements/{agreement.pk}/"
    assert body["older"]["version"] == 1
    assert body["newer"] == {
        "version": 2,
        "sha256": agreement.documents.get(version=2).sha256,
        "text_status": "extracted",
    }
    assert body["comparable"] is True
    assert body["summary"] == {"added": 1, "removed": 0, "changed": 1, "moved": 0, "unchanged": 3}
    assert body["changed_topics"] == ["data sharing", "retention", "consent"]
    outline = [(c["status"], c["old_number"], c["new_number"]) for c in body["clauses"]]
    assert outline == [
        ("unchanged", "", ""),
        ("unchanged", "1", "1"),
        ("added", None, "2"),
        ("changed", "2", "3"),
        ("unchanged", "3", "4"),
    ]
    retention = body["clauses"][3]
    assert retention == {
        "status": "changed",
        "label": "3. Retention",
        "old_number": "2",
        "new_number": "3",
        "renumbered": True,
        "topics": ["retention"],
        "spans": [
            {"op": "equal", "text": "Retention Records are kept for"},
            {"op": "delete", "text": "12"},
            {"op": "insert", "text": "24"},
            {"op": "equal", "text": "months and then deleted."},
        ],
    }


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("", "from"),
        ("from=1", "to"),
        ("from=x&to=2", "from"),
        ("from=-1&to=2", "from"),
        ("from=2&to=2", "to"),
        ("from=1&to=2&format=csv", "format"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(get, agreement, query, parameter):
    response = get(url(agreement, query), raw=True)
    assert response.status_code == 400
    assert parameter in response.json()


def test_a_version_that_is_not_public_is_a_404(get, agreement):
    for query in ("from=1&to=3", "from=1&to=9"):
        response = get(url(agreement, query), raw=True)
        assert response.status_code == 404
        assert "SENTINEL" not in response.content.decode()
    AgreementDocument.objects.filter(agreement=agreement, version=2).update(
        embargoed_until=dt.date(2099, 1, 1)
    )
    assert get(url(agreement), raw=True).status_code == 404


def test_a_version_whose_text_is_withheld_is_a_404(get, agreement):
    withhold(agreement.documents.get(version=2), "file")
    assert get(url(agreement), raw=True).status_code == 404


def test_a_restricted_agreement_is_a_404(get, agreement):
    agreement.visibility = "restricted"
    agreement.save()
    assert get(url(agreement), raw=True).status_code == 404


def test_a_scan_is_not_comparable(get, agreement, ngo_editor):
    from tests.staff.conftest import make_pdf

    services.document_upload(
        agreement=agreement,
        file=SimpleUploadedFile("s.pdf", make_pdf(), content_type="application/pdf"),
        actor=ngo_editor,
        is_public=True,
    )
    body = get(url(agreement, "from=2&to=4"))
    assert body["comparable"] is False
    assert body["newer"]["text_status"] == "no_text_layer"
    assert body["clauses"] is None


def test_the_schema_documents_it(get):
    schema = get("/api/schema/?format=json")
    operation = schema["paths"]["/api/v1/agreements/{id}/documents/compare/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"id", "from", "to"}
    assert {"200", "400", "404"} <= set(operation["responses"])
    assert "DocumentComparison" in schema["components"]["schemas"]
