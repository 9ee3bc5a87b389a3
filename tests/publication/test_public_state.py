"""Only published records reach the public: drafts, submissions, embargoed and retracted
records stay off the lists, the pages and the API, and so do their agreements."""

import pytest

from agreements.models import Agreement
from partnerships.models import Partnership
from publication.choices import PublicationStatus
from tests import factories

pytestmark = pytest.mark.django_db

NOT_PUBLISHED = [
    PublicationStatus.DRAFT,
    PublicationStatus.SUBMITTED,
    PublicationStatus.EMBARGOED,
    PublicationStatus.RETRACTED,
]


@pytest.mark.parametrize("state", NOT_PUBLISHED)
def test_an_unpublished_partnership_and_its_agreements_are_not_public(client, state):
    partnership = factories.partnership_with_parties(
        title="Sentinel-partnership-7731", publication_status=state, retraction_reason="x"
    )
    agreement = factories.AgreementFactory(partnership=partnership, title="Sentinel-mou-7731")

    assert not Partnership.objects.public().filter(pk=partnership.pk).exists()
    assert not Agreement.objects.public().filter(pk=agreement.pk).exists()
    for url in ("/api/v1/partnerships/", "/api/v1/agreements/", "/partnerships/"):
        assert "Sentinel" not in client.get(url).content.decode(), url
    assert client.get(f"/api/v1/agreements/{agreement.pk}/").status_code == 404


@pytest.mark.parametrize("state", NOT_PUBLISHED)
def test_an_unpublished_agreement_of_a_published_partnership_is_not_public(client, state):
    partnership = factories.partnership_with_parties(title="Published partnership")
    agreement = factories.AgreementFactory(
        partnership=partnership,
        title="Sentinel-mou-4410",
        publication_status=state,
        retraction_reason="x",
    )

    assert not Agreement.objects.public().filter(pk=agreement.pk).exists()
    assert "Sentinel" not in client.get("/api/v1/agreements/").content.decode()
    page = client.get(partnership.get_absolute_url())
    assert page.status_code == 200
    assert "Sentinel" not in page.content.decode()


def test_a_published_record_is_public(client):
    partnership = factories.partnership_with_parties(title="Published partnership")
    agreement = factories.AgreementFactory(partnership=partnership, title="Published MOU")

    assert agreement.is_public() is True
    assert "Published MOU" in client.get("/api/v1/agreements/").content.decode()


def test_a_new_record_starts_as_a_draft():
    partnership = Partnership.objects.create(title="New", slug="new", region="europe", country="GB")

    assert partnership.publication_status == PublicationStatus.DRAFT
    assert not Partnership.objects.public().filter(pk=partnership.pk).exists()
