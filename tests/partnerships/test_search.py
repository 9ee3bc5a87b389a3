"""The full-text search: its candidates come through the GIN indexes of the migrations
(the expressions here must stay identical to theirs), and only the candidates' whole
documents are computed."""

import pytest
from django.db import connection

from agreements.models import Agreement
from agreements.search import search_agreements
from oversight.filters import search_reviews
from oversight.models import Review
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
    text = plan(search_partnerships(Partnership.objects.public(), '"domestic violence" -police'))
    assert "partnership_search_idx" in text
    assert "organization_name_search_idx" in text


def test_the_parties_of_the_organizations_found_are_looked_up_by_their_ids():
    # The ids of the organizations whose names hold a word, then their parties through the
    # party index: never a hash of every party of the registry.
    text = plan(search_partnerships(Partnership.objects.public(), "police"))
    assert "organization_id = ANY" in text


def test_the_search_indexes_keep_no_pending_list():
    # A pending list is read by every search: a search would cost more after an import.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)",
            [
                [
                    "partnership_search_idx",
                    "organization_name_search_idx",
                    "organization_search_idx",
                    "agreement_search_idx",
                ]
            ],
        )
        options = dict(cursor.fetchall())
    assert len(options) == 4
    assert all("fastupdate=off" in (value or []) for value in options.values()), options


def test_agreement_search_uses_its_index_and_its_partnerships():
    text = plan(search_agreements(Agreement.objects.public(), "protocol -police"))
    assert "agreement_search_idx" in text
    assert "partnership_search_idx" in text
    assert "organization_name_search_idx" in text


def test_review_search_finds_its_agreements_through_their_indexes():
    text = plan(search_reviews(Review.objects.public(), "audit"))
    assert "agreement_search_idx" in text


def test_organization_search_uses_its_index():
    text = plan(search_organizations(Organization.objects.public(), "police"))
    assert "organization_search_idx" in text


def test_the_indexes_still_serve_the_records_that_withhold_a_value(partnership):
    """A record with a withheld value is still a candidate through the index; its document
    leaves the value out."""
    withhold(partnership, "public_summary")
    text = plan(search_partnerships(Partnership.objects.public(), "domestic violence"))
    assert "partnership_search_idx" in text
    assert "publication_withholding" in text


def test_a_query_without_a_positive_word_or_with_stop_words_only_still_answers(partnership):
    assert list(search_partnerships(Partnership.objects.all(), "-nothingsuch")) == [partnership]
    assert list(search_partnerships(Partnership.objects.all(), "the")) == []  # stop words only
