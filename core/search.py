"""Full-text search building blocks.

A search is ``websearch_to_tsquery`` (quotes for phrases, ``or``, ``-`` to
exclude) against weighted ``tsvector`` expressions, each served by a GIN expression index
created by a migration (``partnerships`` 0004, ``agreements`` 0002); the expressions here
and in those migrations must stay identical, which ``tests/partnerships/test_search.py``
checks with ``EXPLAIN``.

Values kept from the public (``Hidden``) are never searched: the records that have one
among the searched fields are matched (and ranked) against their other fields only, with
a vector of their own; every other record is matched through the index as before.
"""

from collections.abc import Sequence
from typing import Protocol

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Case, Expression, F, FloatField, QuerySet, When

CONFIG = "english"


class Hidden(Protocol):
    """Which values of a model's records the search must not see (declared above core, e.g.
    the values withheld from the public)."""

    def records(self, fields: Sequence[str]) -> QuerySet:
        """The ids (one column) of the records with a hidden value among ``fields``."""

    def condition(self, field: str) -> Expression:
        """True when the row's ``field`` is hidden."""


def search_vector(fields) -> SearchVector:
    vectors = [SearchVector(field, weight=weight, config=CONFIG) for field, weight in fields]
    combined = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector
    return combined


def _visible_vector(fields, hidden: Hidden) -> SearchVector:
    """The vector of ``fields`` with each hidden value left out (as if empty)."""
    return search_vector(
        (Case(When(~hidden.condition(field), then=F(field))), weight) for field, weight in fields
    )


def search_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=CONFIG)


def matching_ids(
    queryset: QuerySet, fields, text: str, id_field: str = "pk", hidden: Hidden | None = None
) -> QuerySet:
    """The ids (``id_field``) of the rows of ``queryset`` whose ``fields`` match ``text``;
    never on a ``hidden`` value."""
    query = search_query(text)
    if hidden is None:
        plain = queryset
    else:
        with_hidden = hidden.records([field for field, _weight in fields])
        plain = queryset.exclude(pk__in=with_hidden)
    # The index's expression, for the records that hide nothing.
    matches = plain.annotate(search_vector=search_vector(fields)).filter(search_vector=query)
    matches = matches.order_by().values(id_field)
    if hidden is None:
        return matches
    masked = (
        queryset.filter(pk__in=with_hidden)
        .annotate(search_vector=_visible_vector(fields, hidden))
        .filter(search_vector=query)
        .order_by()
        .values(id_field)
    )
    return matches.union(masked)


def ranked(queryset: QuerySet, fields, text: str, *tiebreak: str, hidden: Hidden | None = None):
    """Order by relevance to ``text``, then by ``tiebreak``; a ``hidden`` value adds
    nothing to a record's relevance."""
    query = search_query(text)
    rank = SearchRank(search_vector(fields), query)
    if hidden is not None:
        with_hidden = hidden.records([field for field, _weight in fields])
        rank = Case(
            When(pk__in=with_hidden, then=SearchRank(_visible_vector(fields, hidden), query)),
            default=rank,
            output_field=FloatField(),
        )
    return queryset.annotate(search_rank=rank).order_by("-search_rank", *tiebreak)
