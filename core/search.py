"""Full-text search building blocks.

On PostgreSQL a search is ``websearch_to_tsquery`` (quotes for phrases, ``or``, ``-`` to
exclude) against weighted ``tsvector`` expressions, each served by a GIN expression index
created by a migration (``partnerships`` 0004, ``agreements`` 0002); the expressions here
and in those migrations must stay identical, which ``tests/partnerships/test_search.py``
checks with ``EXPLAIN``. Elsewhere (SQLite, the embedded default) a search is a
case-insensitive substring match over the same fields.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

CONFIG = "english"


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def search_vector(fields) -> SearchVector:
    vectors = [SearchVector(field, weight=weight, config=CONFIG) for field, weight in fields]
    combined = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector
    return combined


def search_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=CONFIG)


def matching_ids(queryset: QuerySet, fields, text: str, id_field: str = "pk") -> QuerySet:
    """The ids (``id_field``) of the rows of ``queryset`` whose ``fields`` match ``text``."""
    if uses_full_text():
        matches = queryset.annotate(search_vector=search_vector(fields)).filter(
            search_vector=search_query(text)
        )
    else:
        condition = Q()
        for field, _weight in fields:
            condition |= Q(**{f"{field}__icontains": text})
        matches = queryset.filter(condition)
    return matches.order_by().values(id_field)


def ranked(queryset: QuerySet, fields, text: str, *tiebreak: str) -> QuerySet:
    """Order by relevance to ``text`` (PostgreSQL), then by ``tiebreak``."""
    if not uses_full_text():
        return queryset.order_by(*tiebreak)
    rank = SearchRank(search_vector(fields), search_query(text))
    return queryset.annotate(search_rank=rank).order_by("-search_rank", *tiebreak)
