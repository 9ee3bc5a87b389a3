"""The public lists read a page in their order from an index (their first page, and any
page by cursor), not by sorting every row: the indexes of the migrations must keep
matching the lists' orderings and their usual filters."""

import pytest
from django.db import connection
from django.http import QueryDict

from core import keyset
from oversight.filters import FlagFilter, ReviewFilter
from partnerships.filters import OrganizationFilter
from public.api.oversight import FlagViewSet, ReviewViewSet
from public.api.partnerships import OrganizationViewSet

pytestmark = pytest.mark.django_db


def plan(viewset, filterset, query: str) -> str:
    queryset = filterset(QueryDict(query), queryset=viewset().base_queryset()).qs
    page = keyset.Keyed(queryset).ordered()[:51]
    with connection.cursor() as cursor:
        # The test tables are tiny: make the planner show whether it *can* read in order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        return page.explain()


@pytest.mark.parametrize(
    ("viewset", "filterset", "query", "index"),
    [
        (OrganizationViewSet, OrganizationFilter, "", "organization_public_name_idx"),
        (
            OrganizationViewSet,
            OrganizationFilter,
            "kind=police_agency",
            "organization_public_kind_idx",
        ),
        (ReviewViewSet, ReviewFilter, "", "review_order_idx"),
        (ReviewViewSet, ReviewFilter, "kind=dpia&region=europe", "review_kind_order_idx"),
        (FlagViewSet, FlagFilter, "", "flag_raised_order_idx"),
        (FlagViewSet, FlagFilter, "kind=review_overdue&open=true", "flag_open_kind_order_idx"),
    ],
)
def test_a_list_page_is_read_in_order_from_an_index(viewset, filterset, query, index):
    assert index in plan(viewset, filterset, query)
