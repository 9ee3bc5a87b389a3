"""Full-text search over the public registry.

A search is ``websearch_to_tsquery`` (quotes for phrases, ``or``, ``-`` to
exclude) against weighted ``tsvector`` expressions, each served by a GIN expression index
created by a migration (``partnerships`` 0004, ``agreements`` 0002); the expressions here
and in those migrations must stay identical, which ``tests/partnerships/test_search.py``
checks with ``EXPLAIN``.

A record matches on its own text or on the names of the organizations around it; the
matches are collected as one ``UNION`` of ids so that PostgreSQL can use every index.
A value withheld from the public (``publication``) is never searched (``WithheldValues``):
a search for a word that only a withheld value holds finds nothing, and the record is
ranked on its public text alone.
"""

from collections.abc import Sequence

from django.db.models import Exists, OuterRef, QuerySet

from core.search import matching_ids, ranked
from publication.models import Withholding
from publication.querysets import derived_fields

from .models import Organization, Partnership, PartnershipParty

# (field, weight): titles count more than summaries in the ranking.
PARTNERSHIP_FIELDS = (("title", "A"), ("public_summary", "B"))
ORGANIZATION_NAME_FIELDS = (("name", "A"),)
ORGANIZATION_FIELDS = (("name", "A"), ("description", "B"))


class WithheldValues:
    """The values of ``model``'s records withheld from the public, as conditions of a query:
    what the search (``core.search.Hidden``) and the public filters must not look at."""

    def __init__(self, model):
        self.model = model

    def withholdings(self):
        return Withholding.objects.of_model(self.model)

    def sources(self, fields: Sequence[str]) -> list[str]:
        """``fields`` and the fields they are derived from: withholding one withholds the
        other (``publication.querysets.derived_fields``)."""
        derived = derived_fields(self.model)
        return [*fields, *(derived[f] for f in fields if f in derived)]

    def records(self, fields: Sequence[str]) -> QuerySet:
        """The ids of the records with a withheld value among ``fields``."""
        return (
            self.withholdings()
            .filter(field__in=self.sources(fields))
            .order_by()
            .values("object_id")
        )

    def condition(self, field: str, record: str = "pk") -> Exists:
        """True when ``field`` of the record (whose id is the row's ``record``) is withheld."""
        return Exists(
            self.withholdings().filter(object_id=OuterRef(record), field__in=self.sources([field]))
        )


def search_organizations(queryset: QuerySet, text: str) -> QuerySet:
    ids = matching_ids(Organization.objects.all(), ORGANIZATION_FIELDS, text)
    return ranked(queryset.filter(pk__in=ids), ORGANIZATION_FIELDS, text, "name", "pk")


def partnership_ids_matching(text: str) -> QuerySet:
    """Ids of partnerships whose title or public summary matches, or one of whose parties'
    names does."""
    own = matching_ids(
        Partnership.objects.all(), PARTNERSHIP_FIELDS, text, hidden=WithheldValues(Partnership)
    )
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
        hidden=WithheldValues(Partnership),
    )
