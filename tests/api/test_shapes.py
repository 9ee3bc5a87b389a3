"""Each endpoint's column specification is the one source of its JSON objects, its CSV
columns and its schema: they cannot drift apart."""

import csv
import io

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from core.api.columns import Column, Shape, URLs
from feedback.models import Feedback, FeedbackResponse
from public.api.urls import router
from tests import factories
from tests.activities.factories import ActivityFactory, ActivityResultFactory
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db

VIEWSETS = {prefix: viewset for prefix, viewset, _ in router.registry}


def nested_shapes(shape: Shape) -> dict[str, Shape]:
    found = {}
    for column in shape.columns:
        inner = getattr(column, "shape", None)
        if inner is not None:
            found |= {inner.name: inner} | nested_shapes(inner)
    return found


@pytest.fixture
def everything_filled(registry):
    """Every nested list of every endpoint holds at least one object."""
    source = factories.SourceFactory()
    registry.safe_homes.sources.add(source)
    mou = registry.safe_homes_mou
    mou.sources.add(source)
    factories.AgreementSignatoryFactory(agreement=mou, organization=registry.ngo)
    # An agreement superseding a public one (a related agreement).
    factories.AgreementFactory(partnership=mou.partnership, title="Renewed MOU", supersedes=mou)
    document = factories.AgreementDocumentFactory(agreement=mou, is_public=True)
    review = factories.ReviewFactory(agreement=mou)
    factories.FindingFactory(review=review)
    # Feedback about an agreement, answered by a party.
    feedback = Feedback.objects.create(
        partnership=registry.safe_homes,
        agreement=mou,
        category=Feedback.Category.QUESTION,
        text="Who reads the referrals?",
        status=Feedback.Status.PUBLISHED,
    )
    FeedbackResponse.objects.create(feedback=feedback, organization=registry.ngo, text="Staff.")
    # ...and every kind of object that may have withheld values has some.
    withhold(registry.safe_homes, "public_summary")
    withhold(mou, "reference")
    withhold(mou.data_sharing_terms.first(), "purpose")
    withhold(document, "file")
    withhold(review, "public_summary")
    incident = factories.IncidentFactory(agreements=[mou])
    incident.sources.add(source)
    withhold(incident, "nature")
    # A published joint activity, with a party involved and a result.
    activity = ActivityFactory(partnership=registry.safe_homes, organizations=[registry.ngo])
    result = ActivityResultFactory(activity=activity)
    withhold(activity, "description")
    withhold(result, "value")
    return registry


@pytest.fixture(scope="module")
def components():
    return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


def assert_follows(value: dict, shape: Shape, components: dict, seen: set):
    assert list(value) == shape.keys, shape.name
    assert list(components[shape.name]["properties"]) == shape.keys, shape.name
    seen.add(shape.name)
    for column in shape.columns:
        inner = getattr(column, "shape", None)
        if inner is None or value[column.key] is None:
            continue
        items = value[column.key] if isinstance(value[column.key], list) else [value[column.key]]
        for item in items:
            assert_follows(item, inner, components, seen)


@pytest.mark.parametrize("endpoint", VIEWSETS)
def test_json_csv_and_schema_all_come_from_the_endpoints_shape(
    client, everything_filled, components, endpoint
):
    shape = VIEWSETS[endpoint].shape
    results = client.get(f"/api/v1/{endpoint}/?page_size=500").json()["results"]
    assert results
    seen = set()
    for item in results:
        assert_follows(item, shape, components, seen)
        assert client.get(item["url"]).json() == item
    assert seen == {shape.name, *nested_shapes(shape)}, "a nested shape was never shown"

    response = client.get(f"/api/v1/{endpoint}/?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [header for header, _ in shape.csv_columns]
    assert {len(row) for row in rows} == {len(rows[0])}
    assert len(rows) == len(results) + 1


def test_a_column_added_to_a_shape_appears_in_the_json_the_csv_and_the_schema(registry, rf):
    flag_shape = VIEWSETS["flags"].shape
    probe = Column("kind_again", serializers.CharField(help_text="A probe."), source="kind")
    shape = Shape("Probe", *flag_shape.columns, probe)

    assert "kind" in shape.reads()
    assert list(shape.serializer().fields) == [*flag_shape.keys, "kind_again"]
    assert shape.serializer().fields["kind_again"].help_text == "A probe."
    assert [header for header, _ in shape.csv_columns][-1] == "kind_again"

    viewset = VIEWSETS["flags"](basename="flag")
    viewset.shape = shape
    rows = list(viewset.base_queryset().values(*viewset.row_fields))
    item = viewset.present(rows, URLs(rf.get("/")))[0]
    assert list(item) == shape.keys
    assert item["kind_again"] == item["kind"]
