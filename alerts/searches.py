"""What an alert searches: for each kind, the public FilterSet of its page, the public
records it starts from, and which records the audit events of a window changed.

The filters are the public ones (``public.filters``, ``oversight.filters``): an alert
matches exactly what its page lists, never a withheld value nor an unpublished record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict

from agreements.models import AgreementEvent
from oversight.filters import FlagFilter
from oversight.models import Flag, FlagEvent
from partnerships.models import (
    Partnership,
    PartnershipEvent,
    PartnershipFocusAreaEvent,
    PartnershipPartyEvent,
)
from public.filters import PartnershipFilter

from .models import Alert

# Parameters of a page that are not part of a search.
NOT_SEARCH = frozenset({"page", "format", "ordering"})


class AlertPartnershipFilter(PartnershipFilter):
    """The registry's filters, and one partnership by its slug (a follow)."""

    partnership = django_filters.CharFilter(
        field_name="slug", label="Partnership", help_text="Slug of one partnership."
    )


@dataclass(frozen=True)
class SearchKind:
    filterset: type[django_filters.FilterSet]
    model: Any

    def public(self) -> QuerySet:
        return self.model.objects.public()

    def filtered(self, query: str, queryset: QuerySet | None = None):
        """The FilterSet of ``query`` over ``queryset`` (default: the public records)."""
        return self.filterset(
            QueryDict(query), queryset=self.public() if queryset is None else queryset
        )


KINDS = {
    Alert.Kind.PARTNERSHIPS: SearchKind(AlertPartnershipFilter, Partnership),
    Alert.Kind.FLAGS: SearchKind(FlagFilter, Flag),
}


def normalized_query(kind: str, params: QueryDict) -> str:
    """The search of a page's query string: its filters (sorted, empty values dropped),
    without page, format and ordering. The same search is always the same string."""
    names = set(KINDS[kind].filterset.base_filters) - NOT_SEARCH
    pairs = sorted(
        (name, value.strip())
        for name in params
        if name in names
        for value in params.getlist(name)
        if value.strip()
    )
    query = QueryDict(mutable=True)
    for name, value in pairs:
        query.appendlist(name, value)
    return query.urlencode()


def changed_in(kind: str, after: int, upto: int) -> Q:
    """The records of ``kind`` with an audit event in (after, upto]: for a partnership,
    its own events and those of its agreements, parties and focus areas."""
    window = {"pgh_seq__gt": after, "pgh_seq__lte": upto}
    if kind == Alert.Kind.FLAGS:
        return Q(Exists(FlagEvent.objects.filter(pgh_obj_id=OuterRef("pk"), **window)))
    return (
        Q(Exists(PartnershipEvent.objects.filter(pgh_obj_id=OuterRef("pk"), **window)))
        | Q(Exists(AgreementEvent.objects.filter(partnership_id=OuterRef("pk"), **window)))
        | Q(Exists(PartnershipPartyEvent.objects.filter(partnership_id=OuterRef("pk"), **window)))
        | Q(
            Exists(
                PartnershipFocusAreaEvent.objects.filter(partnership_id=OuterRef("pk"), **window)
            )
        )
    )


def changed_since(kind: str, since) -> Q:
    """Records changed since ``since``, by their own timestamps (for the estimate)."""
    if kind == Alert.Kind.FLAGS:
        return Q(raised_at__gte=since) | Q(resolved_at__gte=since)
    return Q(updated_at__gte=since)
