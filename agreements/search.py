"""Full-text search over agreements, each searched as one document (``core.search``): its
title, reference, public summary and auditor's name, with its partnership's document
(title, summary, parties' names). A value withheld from the public is left out of it
(``partnerships.search.WithheldValues``): the reference, the summary, the auditor, and
the partnership's summary."""

from django.db.models import Expression, OuterRef, QuerySet, Subquery

from core.search import Embedded, Part, document_search, embedded, indexed, unless
from partnerships.models import Organization
from partnerships.search import (
    ORGANIZATION_NAME_FIELDS,
    WithheldValues,
    partnership_document_of,
    partnerships_matching,
)

from .models import Agreement

# (field, weight): the fields of the search index of migration 0009, which finds the
# candidates among agreements.
AGREEMENT_FIELDS = (("title", "A"), ("reference", "A"), ("public_summary", "B"))


def auditor_name() -> Subquery:
    """The name of the row's auditor, if it is a confirmed organization."""
    auditors = Organization.objects.public().filter(pk=OuterRef("independent_auditor"))
    return Subquery(auditors.values("name"))


def agreement_document() -> list[Part | Embedded]:
    """The parts of an agreement's document: its own text (what is withheld left out),
    its auditor's name unless withheld, and its partnership's document."""
    withheld = WithheldValues(Agreement)
    return [
        ("title", "A"),
        (unless(withheld.condition("reference"), "reference"), "A"),
        (unless(withheld.condition("public_summary"), "public_summary"), "B"),
        (unless(withheld.condition("independent_auditor"), auditor_name()), "C"),
        partnership_document_of("partnership", "C"),
    ]


def agreement_document_of(agreement: str, weight: str) -> Embedded:
    """The document of the agreement whose id is the row's ``agreement``, at ``weight``:
    inside a review's."""
    agreements = Agreement.objects.filter(pk=OuterRef(agreement))
    return embedded(agreements, agreement_document(), weight)


def agreement_candidates(words: Expression) -> list[QuerySet]:
    """Ids of the agreements whose own text holds one of ``words`` (through their index),
    whose partnership's does, or whose auditor's name does."""
    auditors = indexed(Organization.objects.public(), ORGANIZATION_NAME_FIELDS, words)
    return [
        indexed(Agreement.objects.all(), AGREEMENT_FIELDS, words).values("pk"),
        Agreement.objects.filter(partnership__in=partnerships_matching(words)).values("pk"),
        Agreement.objects.filter(independent_auditor__in=auditors).values("pk"),
    ]


def agreements_matching(words: Expression) -> QuerySet:
    """``agreement_candidates`` as one queryset of ids (for the records around them)."""
    first, *others = agreement_candidates(words)
    return first.order_by().union(*(ids.order_by() for ids in others))


def search_agreements(queryset: QuerySet, text: str) -> QuerySet:
    """Agreements whose document matches ``text``, ranked by relevance."""
    return document_search(
        queryset,
        text,
        parts=agreement_document(),
        candidates=agreement_candidates,
        tiebreak=("title", "pk"),
    )
