"""A list page costs the same queries for 1 row as for 100, withheld values included: one
query per kind of object that may have some, whatever the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db


def populate(n: int):
    for _ in range(n):
        partnership = factories.partnership_with_parties(established_on=None)
        partnership.focus_areas.add(factories.FocusAreaFactory(slug="youth-development"))
        partnership.sources.add(factories.SourceFactory())
        agreement = factories.AgreementFactory(partnership=partnership, independent_auditor=None)
        agreement.sources.add(factories.SourceFactory())
        term = factories.DataSharingTermFactory(agreement=agreement)
        factories.DataSharingTermFactory(agreement=agreement, data_category="case_records")
        factories.AgreementSignatoryFactory(agreement=agreement)
        document = factories.AgreementDocumentFactory(agreement=agreement, is_public=True)
        review = factories.ReviewFactory(agreement=agreement)
        factories.FindingFactory(review=review)
        factories.FlagFactory(agreement=agreement, kind="expired_but_active")
        # Withheld values on every kind of object that may have some.
        withhold(partnership, "public_summary")
        withhold(agreement, "expires_on")
        withhold(term, "purpose")
        withhold(document, "file")
        withhold(review, "public_summary")


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    ("endpoint", "budget"),
    [
        # The page, and its count: the planner's estimate, then an exact count below the
        # threshold (core.keyset.cheap_count).
        ("organizations", 3),
        ("partnerships", 9),  # + its withheld values
        ("agreements", 11),  # + the withheld values of agreements, terms and documents
        ("reviews", 5),  # + its withheld values
        ("flags", 4),  # + the withheld values of their agreements (for their text)
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
    results = client.get(f"/api/v1/{endpoint}/?page_size=100").json()["results"]
    if endpoint not in ("organizations", "flags"):
        assert all(item["withheld"] for item in results)


@pytest.mark.parametrize(
    ("endpoint", "budget"),
    [("partnerships", 7), ("agreements", 9), ("reviews", 4), ("flags", 3)],
)
def test_a_detail_costs_a_fixed_number_of_queries(
    client, endpoint, budget, django_assert_max_num_queries
):
    populate(2)
    url = client.get(f"/api/v1/{endpoint}/").json()["results"][0]["url"]
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        # The lists the scale benchmark reads filtered (benchmarks/scale.py).
        ("/api/v1/organizations/?kind=police_agency", 3),
        ("/api/v1/reviews/?kind=scheduled_review&region=europe", 5),
        ("/api/v1/flags/?kind=expired_but_active&open=true", 4),
        ("/api/v1/partnerships/?search=police", 9),
    ],
)
def test_a_filtered_list_costs_the_same_queries_for_1_and_30_rows(
    client, url, budget, django_assert_max_num_queries
):
    populate(1)
    client.get(url)  # caches warm (content types, withheld-value kinds)
    one = count(client, url)
    populate(29)
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert len(response.json()["results"]) >= 30
    assert one == count(client, url) <= budget
