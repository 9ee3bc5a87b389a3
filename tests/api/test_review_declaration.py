"""The reviewer's conflict-of-interest declaration in ``/api/v1/reviews/``: in the JSON, the
CSV and the schema, from the one column specification; filterable; its text withheld like
a summary; and a review with declared ties is not independent."""

import csv
import io

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oversight.models import Review
from tests import factories
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db

COI = Review.ConflictOfInterest
TIES = "The board is funded by the police agency's community grant."


@pytest.fixture
def reviews(registry):
    """Three reviews of a public agreement by an organization that is not a party: with
    declared ties, with none, and recorded before the question was asked."""
    mou = registry.trafficking_mou
    return {
        "declared": factories.ReviewFactory(
            agreement=mou,
            reviewer=registry.auditor,
            conflict_of_interest=COI.DECLARED,
            declared_ties=TIES,
        ),
        "none": factories.ReviewFactory(
            agreement=mou, reviewer=registry.auditor, conflict_of_interest=COI.NONE
        ),
        "not_declared": factories.ReviewFactory(agreement=mou, reviewer=registry.auditor),
    }


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_review_carries_its_declaration_and_declared_ties_make_it_not_independent(reviews, get):
    data = {key: get(f"/api/v1/reviews/{review.pk}/") for key, review in reviews.items()}

    assert data["declared"]["conflict_of_interest"] == "declared"
    assert data["declared"]["declared_ties"] == TIES
    assert data["declared"]["is_independent"] is False
    assert (data["none"]["conflict_of_interest"], data["none"]["declared_ties"]) == ("none", "")
    assert data["none"]["is_independent"] is True
    assert data["not_declared"]["conflict_of_interest"] == "not_declared"
    assert data["not_declared"]["is_independent"] is True  # its reviewer is not a party


def test_a_party_reviewer_is_not_independent_whatever_it_declares(registry, get):
    review = factories.ReviewFactory(
        agreement=registry.trafficking_mou,
        reviewer=registry.trafficking_mou.partnership.parties.first().organization,
        conflict_of_interest=COI.NONE,
    )
    assert get(f"/api/v1/reviews/{review.pk}/")["is_independent"] is False


def test_the_csv_has_the_declaration_columns(client, reviews):
    rows = {int(row["id"]): row for row in csv_rows(client.get("/api/v1/reviews/?format=csv"))}

    declared = rows[reviews["declared"].pk]
    assert (declared["conflict_of_interest"], declared["declared_ties"]) == ("declared", TIES)
    assert declared["is_independent"] == "false"
    assert rows[reviews["none"].pk]["conflict_of_interest"] == "none"
    assert rows[reviews["not_declared"].pk]["declared_ties"] == ""


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("independent=true", {"none", "not_declared"}),
        ("independent=false", {"declared"}),
        ("conflict_of_interest=declared", {"declared"}),
        ("conflict_of_interest=none&conflict_of_interest=not_declared", {"none", "not_declared"}),
    ],
)
def test_reviews_filter_by_independence_and_declaration(reviews, get, query, expected):
    found = {item["id"] for item in get(f"/api/v1/reviews/?{query}")["results"]}
    assert found == {reviews[key].pk for key in expected}


def test_a_bad_declaration_value_is_a_400_naming_the_parameter(reviews, get):
    response = get("/api/v1/reviews/?conflict_of_interest=maybe", raw=True)
    assert response.status_code == 400
    assert "conflict_of_interest" in response.json()


def test_the_schema_documents_the_declaration_and_its_filters(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    review = schema["components"]["schemas"]["Review"]["properties"]

    assert (
        "declared no funding, staff or contractual ties" in review["is_independent"]["description"]
    )
    enum = review["conflict_of_interest"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][enum]["enum"] == ["not_declared", "none", "declared"]
    assert (
        "not_declared (recorded before reviewers were asked)"
        in review["conflict_of_interest"]["description"]
    )
    assert review["declared_ties"]["nullable"] is True  # while withheld
    assert "withheld" in review["declared_ties"]["description"]
    withheld_fields = schema["components"]["schemas"]["ReviewWithheldFieldEnum"]["enum"]
    assert withheld_fields == ["public_summary", "declared_ties"]
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/reviews/"]["get"]["parameters"]}
    assert parameters["independent"]["description"]
    assert parameters["conflict_of_interest"]["description"]
    stats = schema["components"]["schemas"]["ReviewFigures"]["properties"]
    assert {"completed_independent", "share_completed_independent"} <= set(stats)


def test_withheld_ties_are_null_listed_and_marked_but_the_declaration_stays_public(
    client, reviews, get
):
    withhold(reviews["declared"], "declared_ties", rationale="It names a seconded officer.")
    pk = reviews["declared"].pk

    data = get(f"/api/v1/reviews/{pk}/")
    assert data["declared_ties"] is None
    assert data["conflict_of_interest"] == "declared"
    assert data["is_independent"] is False
    assert [entry["field"] for entry in data["withheld"]] == ["declared_ties"]
    assert data["withheld"][0]["rationale"] == "It names a seconded officer."

    row = {int(row["id"]): row for row in csv_rows(client.get("/api/v1/reviews/?format=csv"))}[pk]
    assert row["declared_ties"].startswith("[withheld: ")
    assert row["withheld_fields"] == "declared_ties"
    everything = [
        client.get(f"/api/v1/reviews/{pk}/").content.decode(),
        client.get("/api/v1/reviews/?page_size=500").content.decode(),
        b"".join(client.get("/api/v1/reviews/?format=json").streaming_content).decode(),
        b"".join(client.get("/api/v1/reviews/?format=csv").streaming_content).decode(),
    ]
    for text in everything:
        assert TIES not in text


def populate(registry, n: int):
    for i in range(n):
        review = factories.ReviewFactory(
            agreement=registry.safe_homes_mou,
            conflict_of_interest=COI.DECLARED,
            declared_ties=f"{TIES} ({i})",
        )
        factories.FindingFactory(review=review)
        if i % 2:
            withhold(review, "declared_ties")


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_the_reviews_list_costs_the_same_queries_for_2_and_100_reviews(client, registry):
    populate(registry, 2)
    two = count(client, "/api/v1/reviews/?page_size=100")
    populate(registry, 98)
    hundred = count(client, "/api/v1/reviews/?page_size=100")
    assert two == hundred <= 5  # with the count's estimate (core.keyset.cheap_count)
    assert count(client, "/api/v1/reviews/?page_size=100&independent=false") == hundred
