"""The public side of sources: the list on every partnership and agreement page, the
``has_source`` filter, and never a source of a record the public may not see."""

import datetime as dt

import pytest
from django.urls import reverse

from partnerships.models import Source, Visibility
from publication.choices import PublicationStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cited(partnership):
    """The public partnership with a dated FOI response, and a public agreement without
    any source."""
    source = factories.SourceFactory(
        title="Referral protocol, FOI release",
        kind=Source.Kind.FOI_RESPONSE,
        published_on=dt.date(2023, 6, 14),
        archived_url="https://web.archive.org/web/2023/https://example.org/foi",
    )
    partnership.sources.add(source)
    return partnership


def test_the_partnership_page_lists_its_sources_with_kind_and_date(client, cited):
    page = client.get(cited.get_absolute_url()).content.decode()
    assert 'id="sources-heading">Sources</h2>' in page
    assert "Referral protocol, FOI release" in page
    assert "Freedom-of-information response, 14 Jun 2023" in page
    assert "archived copy" in page
    assert "No source recorded" not in page
    assert "Add a source" not in page


def test_a_record_without_a_source_says_so_publicly(client, cited):
    agreement = factories.AgreementFactory(partnership=cited)
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert 'id="sources-heading">Sources</h2>' in page
    assert "No source recorded." in page
    bare = factories.PartnershipFactory()
    assert "No source recorded." in client.get(bare.get_absolute_url()).content.decode()


def test_the_agreement_page_lists_its_own_sources(client, partnership):
    agreement = factories.AgreementFactory(partnership=partnership)
    agreement.sources.add(factories.SourceFactory(title="Signed MOU, council minutes"))
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert "Signed MOU, council minutes" in page
    assert "News report, undated" in page


def test_editors_see_the_actions_on_the_sources(client, ngo_editor, cited):
    client.force_login(ngo_editor)
    page = client.get(cited.get_absolute_url()).content.decode()
    assert reverse("partnerships:source_add", kwargs={"slug": cited.slug}) in page
    assert "Remove <span" in page


def test_has_source_counts_on_the_api_and_the_registry(client, cited):
    factories.PartnershipFactory(title="Without evidence")
    with_source = factories.AgreementFactory(partnership=cited)
    with_source.sources.add(factories.SourceFactory())
    factories.AgreementFactory(partnership=cited)
    api = reverse("api:partnership-list")
    assert client.get(api).json()["count"] == 2
    assert [p["slug"] for p in client.get(api, {"has_source": "true"}).json()["results"]] == [
        cited.slug
    ]
    assert [p["title"] for p in client.get(api, {"has_source": "false"}).json()["results"]] == [
        "Without evidence"
    ]
    agreements = reverse("api:agreement-list")
    assert client.get(agreements, {"has_source": "true"}).json()["count"] == 1
    assert client.get(agreements, {"has_source": "false"}).json()["count"] == 1
    assert client.get(api, {"has_source": "maybe"}).status_code == 400
    registry = client.get(reverse("public:registry"), {"has_source": "false"})
    assert registry.status_code == 200
    assert registry.context["count"].value == 1
    assert 'name="has_source"' in registry.content.decode()


def test_has_source_is_documented_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in ("/api/v1/partnerships/", "/api/v1/agreements/"):
        (parameter,) = [
            p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "has_source"
        ]
        assert parameter["schema"]["type"] == "boolean"
        assert "source" in parameter["description"]


def test_no_source_of_a_restricted_or_unpublished_record_is_ever_public(client, ngo, police):
    public = factories.partnership_with_parties(ngo=ngo, police=police, slug="open-one")
    restricted = factories.partnership_with_parties(
        ngo=ngo, police=police, slug="closed-one", visibility=Visibility.RESTRICTED
    )
    draft = factories.partnership_with_parties(
        ngo=ngo, police=police, slug="draft-one", publication_status=PublicationStatus.DRAFT
    )
    restricted_agreement = factories.AgreementFactory(
        partnership=public, visibility=Visibility.RESTRICTED
    )
    draft_agreement = factories.AgreementFactory(
        partnership=public, publication_status=PublicationStatus.DRAFT
    )
    for n, record in enumerate((restricted, draft, restricted_agreement, draft_agreement)):
        record.sources.add(
            factories.SourceFactory(
                title=f"SENTINEL source {n}", url=f"https://sentinel.example.org/{n}"
            )
        )
    public_agreement = factories.AgreementFactory(partnership=public)
    urls = [
        reverse("public:registry"),
        reverse("public:registry") + "?has_source=true",
        public.get_absolute_url(),
        public_agreement.get_absolute_url(),
        reverse("public:organization", kwargs={"slug": ngo.slug}),
        reverse("api:partnership-list"),
        reverse("api:partnership-list") + "?format=csv",
        reverse("api:partnership-list") + "?has_source=true",
        reverse("api:agreement-list"),
        reverse("api:agreement-list") + "?format=csv",
        reverse("api:agreement-list") + "?has_source=true",
        reverse("api:partnership-detail", args=[public.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"SENTINEL" not in body, url
        assert b"sentinel.example.org" not in body, url
    assert client.get(reverse("api:agreement-list"), {"has_source": "true"}).json()["count"] == 0
    assert client.get(restricted.get_absolute_url()).status_code == 404
