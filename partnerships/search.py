"""Full-text search over the public registry.

On PostgreSQL a search is ``websearch_to_tsquery`` (quotes for phrases, ``or``, ``-`` to
exclude) against weighted ``tsvector`` expressions, each served by a GIN expression index
created by a migration (``partnerships`` 0004, ``agreements`` 0002); the expressions here
and in those migrations must stay identical, which ``tests/partnerships/test_search.py``
checks with ``EXPLAIN``. Elsewhere (SQLite, the embedded default) a search is a
case-insensitive substring match over the same fields.

A record matches on its own text or on the names of the organizations around it; the
matches are collected as one ``UNION`` of ids so that PostgreSQL can use every index.
"""

from django.db.models import QuerySet

from core.search import matching_ids, ranked

from .models import Organization, Partnership, PartnershipParty

# (field, weight): titles count more than summaries in the ranking.
PARTNERSHIP_FIELDS = (("title", "A"), ("public_summary", "B"))
ORGANIZATION_NAME_FIELDS = (("name", "A"),)
ORGANIZATION_FIELDS = (("name", "A"), ("description", "B"))


def search_organizations(queryset: QuerySet, text: str) -> QuerySet:
    ids = matching_ids(Organization.objects.all(), ORGANIZATION_FIELDS, text)
    return ranked(queryset.filter(pk__in=ids), ORGANIZATION_FIELDS, text, "name", "pk")


def partnership_ids_matching(text: str) -> QuerySet:
    """Ids of partnerships whose title or summary matches, or one of whose parties' names does."""
    own = matching_ids(Partnership.objects.all(), PARTNERSHIP_FIELDS, text)
    # Proposed organizations are not published: their names must not find anything.
    organizations = matching_ids(Organization.objects.public(), ORGANIZATION_NAME_FIELDS, text)
    via_parties = (
        PartnershipParty.objects.filter(organization__in=organizations)
        .order_by()
        .values("partnership_id")
    )
    return own.union(via_parties)


def search_partnerships(queryset: QuerySet, text: str) -> QuerySet:
    return ranked(
        queryset.filter(pk__in=partnership_ids_matching(text)),
        PARTNERSHIP_FIELDS,
        text,
        "title",
        "pk",
    )
