"""The full-text search expressions match the GIN indexes of the migrations."""

import pytest
from django.db import connection

from partnerships.models import Organization, Partnership
from partnerships.search import search_organizations, search_partnerships
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        # The test tables are tiny: make the planner show whether it *can* use the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


def test_partnership_search_uses_the_title_and_party_name_indexes():
    text = plan(search_partnerships(Partnership.objects.public(), "domestic violence"))
    assert "partnership_search_idx" in text
    assert "organization_name_search_idx" in text


def test_organization_search_uses_its_index():
    text = plan(search_organizations(Organization.objects.public(), "police"))
    assert "organization_search_idx" in text


def test_the_index_still_serves_the_records_that_withhold_nothing(partnership):
    """Records with a withheld value are matched against their public text by a vector of
    their own; every other record still through the index."""
    withhold(partnership, "public_summary")
    text = plan(search_partnerships(Partnership.objects.public(), "domestic violence"))
    assert "partnership_search_idx" in text
    assert "publication_withholding" in text
