"""A list page costs the same queries for 1 row as for 100."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories

pytestmark = pytest.mark.django_db


def populate(n: int):
    for _ in range(n):
        partnership = factories.partnership_with_parties(established_on=None)
        partnership.focus_areas.add(factories.FocusAreaFactory(slug="youth-development"))
        partnership.sources.add(factories.SourceFactory())
        agreement = factories.AgreementFactory(partnership=partnership, independent_auditor=None)
        agreement.sources.add(factories.SourceFactory())
        factories.DataSharingTermFactory(agreement=agreement)
        factories.DataSharingTermFactory(agreement=agreement, data_category="case_records")
        factories.AgreementSignatoryFactory(agreement=agreement)
        factories.AgreementDocumentFactory(agreement=agreement, is_public=True)
        review = factories.ReviewFactory(agreement=agreement)
        factories.FindingFactory(review=review)
        factories.FlagFactory(agreement=agreement)


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    ("endpoint", "budget"),
    [
        ("organizations", 2),
        ("partnerships", 7),
        ("agreements", 7),
        ("reviews", 3),
        ("flags", 2),
    ],
)
def test_page_size_1_and_100_cost_the_same_queries(
    client, endpoint, budget, django_assert_max_num_queries
):
    populate(1)
    one = count(client, f"/api/v1/{endpoint}/?page_size=1")
    populate(99)
    with django_assert_max_num_queries(budget):
        response = client.get(f"/api/v1/{endpoint}/?page_size=100&search=a&ordering=id")
    assert response.status_code == 200
    hundred = count(client, f"/api/v1/{endpoint}/?page_size=100")
    assert len(client.get(f"/api/v1/{endpoint}/?page_size=100").json()["results"]) >= 100
    assert one == hundred <= budget


@pytest.mark.parametrize("endpoint", ["partnerships", "agreements", "reviews", "flags"])
def test_a_detail_costs_a_fixed_number_of_queries(client, endpoint, django_assert_max_num_queries):
    populate(2)
    url = client.get(f"/api/v1/{endpoint}/").json()["results"][0]["url"]
    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200
