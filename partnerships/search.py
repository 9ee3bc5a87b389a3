"""Full-text search over the public registry: a partnership, and an organization, each
searched as one document (``core.search``).

A partnership's document is its title, its public summary and the names of its parties
(confirmed organizations only: a proposed one is not published). A value withheld from
the public (``publication``) is left out of it (``WithheldValues``): a search for a word
that only a withheld value holds finds nothing, and the record is ranked on its public
text alone.
"""

from collections.abc import Sequence

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    BooleanField,
    Exists,
    Expression,
    F,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
)

from core.search import Embedded, Part, document_search, embedded, indexed, unless
from publication.models import Withholding
from publication.querysets import derived_fields

from .models import Organization, Partnership, PartnershipParty

# (field, weight): titles count more than summaries in the ranking. The fields of the
# search indexes of migration 0004, which find the candidates.
PARTNERSHIP_FIELDS = (("title", "A"), ("public_summary", "B"))
ORGANIZATION_NAME_FIELDS = (("name", "A"),)
ORGANIZATION_FIELDS = (("name", "A"), ("description", "B"))


class WithheldValues:
    """The values of ``model``'s records withheld from the public, as conditions of a query:
    what the search (``core.search.unless``) and the public filters must not look at."""

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
    return document_search(
        queryset,
        text,
        parts=ORGANIZATION_FIELDS,
        candidates=lambda words: [
            indexed(Organization.objects.all(), ORGANIZATION_FIELDS, words).values("pk")
        ],
        tiebreak=("name", "pk"),
    )


def party_names() -> Subquery:
    """The names of the row's partnership's parties, one text; confirmed organizations
    only (``Organization.objects.public()``)."""
    parties = PartnershipParty.objects.filter(
        partnership=OuterRef("pk"), organization__in=Organization.objects.public()
    )
    return Subquery(
        parties.order_by()
        .values("partnership")
        .annotate(names=StringAgg("organization__name", delimiter=" ", order_by="pk"))
        .values("names")
    )


def partnership_document() -> list[Part]:
    """The parts of a partnership's document: its title, its public summary unless
    withheld, and its parties' names."""
    withheld = WithheldValues(Partnership)
    return [
        ("title", "A"),
        (unless(withheld.condition("public_summary"), "public_summary"), "B"),
        (party_names(), "C"),
    ]


def partnership_document_of(partnership: str, weight: str) -> Embedded:
    """The document of the partnership whose id is the row's ``partnership``, at
    ``weight``: inside an agreement's."""
    partnerships = Partnership.objects.filter(pk=OuterRef(partnership))
    return embedded(partnerships, partnership_document(), weight)


def partnership_candidates(words: Expression) -> list[QuerySet]:
    """Ids of the partnerships whose title or summary, or one of whose parties' names,
    holds one of ``words``: through the partnership index and the organization-name
    index."""
    named = indexed(Organization.objects.public(), ORGANIZATION_NAME_FIELDS, words)
    return [
        indexed(Partnership.objects.all(), PARTNERSHIP_FIELDS, words).values("pk"),
        PartnershipParty.objects.filter(among_ids("organization_id", named)).values(
            "partnership_id"
        ),
    ]


def among_ids(field: str, records: QuerySet) -> Func:
    """``field = ANY(ARRAY(<the ids of records>))``: the ids read first, then each looked
    up through the index of ``field``. The planner cannot tell how many records hold the
    words of a search and expects hundreds: as ``field IN (<records>)``, it would hash
    every row of the table (200,000 parties at 1M agreements) for the few ids found."""
    ids = ArraySubquery(records.order_by().values("pk"))
    return Func(
        F(field),
        ids,
        template="(%(expressions)s))",
        arg_joiner=" = ANY(",
        output_field=BooleanField(),
    )


def partnerships_matching(words: Expression) -> QuerySet:
    """``partnership_candidates`` as one queryset of ids (for the records around them)."""
    first, *others = partnership_candidates(words)
    return first.order_by().union(*(ids.order_by() for ids in others))


def search_partnerships(queryset: QuerySet, text: str) -> QuerySet:
    return document_search(
        queryset,
        text,
        parts=partnership_document(),
        candidates=partnership_candidates,
        tiebreak=("title", "pk"),
    )
