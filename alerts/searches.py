"""What an alert searches: for each kind, the public FilterSet of its page, the public
records it starts from, and which records the audit events of a window changed.

The filters are the public ones (``public.filters``, ``oversight.filters``): an alert
matches exactly what its page lists, never a withheld value nor an unpublished record.

A search of the registry also follows the records of the partnerships it matches
(``FOLLOWED``): a public oversight review or incident is told to it when it is published
or changes, a transparency report when it is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict

from agreements.models import AgreementEvent
from incidents.filters import IncidentFilter
from incidents.models import Incident, IncidentAgreementEvent, IncidentEvent, IncidentSourceEvent
from oversight.filters import FlagFilter
from oversight.models import FindingEvent, Flag, FlagEvent, Review, ReviewEvent
from partnerships.models import (
    Partnership,
    PartnershipEvent,
    PartnershipFocusAreaEvent,
    PartnershipPartyEvent,
)
from partnerships.querysets import public_values
from public.filters import PartnershipFilter
from reports.models import Report, ReportEvent

from .models import Alert, Record

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
    Alert.Kind.INCIDENTS: SearchKind(IncidentFilter, Incident),
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
    if kind == Alert.Kind.INCIDENTS:
        return _incident_changed_in(after, upto)
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
    return Q(updated_at__gte=since)  # partnerships, incidents


def _window(after: int, upto: int) -> dict:
    return {"pgh_seq__gt": after, "pgh_seq__lte": upto}


def publication_changed_in_event() -> Q:
    """An audit event (of a partnership or an agreement) that changed whether the record
    is public (``public_values``)."""
    changed = Q()
    for column in public_values():
        changed |= Q(pgh_diff__has_key=column)
    return changed


def publication_changed(event_model, pk: str, after: int, upto: int) -> Q:
    """An event of ``event_model`` for the record ``pk`` (an ``OuterRef`` path) in the
    window that changed whether it is public: publishing, retracting, restricting a
    partnership or an agreement publishes or hides what it gates."""
    return Q(
        Exists(
            event_model.objects.filter(
                publication_changed_in_event(), pgh_obj_id=OuterRef(pk), **_window(after, upto)
            )
        )
    )


@dataclass(frozen=True)
class FollowedRecord:
    """Records a search of the registry follows through their partnership: told to an
    alert whose search matches their partnership, when they are published or change."""

    model: Any
    # From the record to its partnership's id (through a many-to-many: several).
    partnership: str
    # The records whose public state or public values an audit window changed.
    changed_in: Any

    def public(self) -> QuerySet:
        return self.model.objects.public()


def _review_changed_in(after: int, upto: int) -> Q:
    """Reviews with an event (of their own or of a finding) in the window, or whose
    agreement or partnership was published (or hidden) in it."""
    window = _window(after, upto)
    return (
        Q(Exists(ReviewEvent.objects.filter(pgh_obj_id=OuterRef("pk"), **window)))
        | Q(Exists(FindingEvent.objects.filter(review_id=OuterRef("pk"), **window)))
        | publication_changed(AgreementEvent, "agreement_id", after, upto)
        | publication_changed(PartnershipEvent, "agreement__partnership", after, upto)
    )


def _incident_changed_in(after: int, upto: int) -> Q:
    """Incidents with an event (of their own, or of their links to agreements and sources)
    in the window, or one of whose agreements (or their partnerships) was published (or
    hidden) in it."""
    window = _window(after, upto)
    agreements_published = AgreementEvent.objects.filter(
        publication_changed_in_event(), **window
    ).values("pgh_obj_id")
    partnerships_published = PartnershipEvent.objects.filter(
        publication_changed_in_event(), **window
    ).values("pgh_obj_id")
    links = Incident.agreements.through.objects.filter(incident=OuterRef("pk"))
    return (
        Q(Exists(IncidentEvent.objects.filter(pgh_obj_id=OuterRef("pk"), **window)))
        | Q(Exists(IncidentAgreementEvent.objects.filter(incident_id=OuterRef("pk"), **window)))
        | Q(Exists(IncidentSourceEvent.objects.filter(incident_id=OuterRef("pk"), **window)))
        | Q(Exists(links.filter(agreement__in=agreements_published)))
        | Q(Exists(links.filter(agreement__partnership__in=partnerships_published)))
    )


def _report_changed_in(after: int, upto: int) -> Q:
    """Reports with an event in the window (a published report is never rewritten: its
    events are its generation and its publication), or whose partnership was published in
    it."""
    window = _window(after, upto)
    return Q(
        Exists(ReportEvent.objects.filter(pgh_obj_id=OuterRef("pk"), **window))
    ) | publication_changed(PartnershipEvent, "partnership", after, upto)


def review_path(review) -> str:
    """Where the public reads a review: on its agreement's page."""
    return review.agreement.get_absolute_url() + f"#review-{review.pk}"


FOLLOWED = {
    Record.REVIEW: FollowedRecord(Review, "agreement__partnership", _review_changed_in),
    Record.INCIDENT: FollowedRecord(Incident, "agreements__partnership", _incident_changed_in),
    Record.REPORT: FollowedRecord(Report, "partnership", _report_changed_in),
}
