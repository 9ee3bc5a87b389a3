"""Filters of ``/incidents/`` and ``/api/v1/incidents/``: one FilterSet for the page and the
API (``core.filters`` rules: strict values, unknown slugs match nothing). No filter, order
or search reads a value withheld from the public (``partnerships.search.WithheldValues``)."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from agreements.choices import SurveillancePractice
from core.filters import (
    MultipleChoiceFilter,
    OrderingFilter,
    SearchFilter,
    UpdatedSinceFilter,
    YearFilter,
    choices_help,
)
from core.search import document_search, unless
from partnerships.filters import withholds
from partnerships.models import Partnership, Region
from partnerships.search import WithheldValues

from .models import Incident, IncidentAgreement


def search_incidents(queryset, text: str):
    """Incidents whose title or public description (unless withheld), or whose agreements'
    and partnerships' titles, match; ranked by relevance, latest discovered first."""
    withheld = WithheldValues(Incident)
    return document_search(
        queryset,
        text,
        parts=[
            ("title", "A"),
            (unless(withheld.condition("nature"), "nature"), "B"),
            (unless(withheld.condition("measures_taken"), "measures_taken"), "C"),
        ],
        # The incidents are few: every one is a candidate.
        candidates=lambda words: [Incident.objects.values("pk")],
        tiebreak=("-discovered_at", "pk"),
    )


def _on_agreements(condition: Q) -> Exists:
    """Exists: one of the incident's agreements meets ``condition`` (of its link row)."""
    return Exists(IncidentAgreement.objects.filter(condition, incident=OuterRef("pk")))


class IncidentFilter(django_filters.FilterSet):
    search = SearchFilter(
        searcher=search_incidents,
        label=_("Search"),
        help_text="Full-text search over titles and what happened (PostgreSQL web-search "
        "syntax). Results are ranked by relevance unless `ordering` is given.",
    )
    kind = MultipleChoiceFilter(
        choices=Incident.Kind.choices,
        label=_("Kind"),
        help_text=choices_help("Kind of incident; repeat for several.", Incident.Kind.choices),
    )
    status = MultipleChoiceFilter(
        choices=Incident.Status.choices,
        label=_("Status"),
        help_text=choices_help("Status of the incident.", Incident.Status.choices),
    )
    how_found = MultipleChoiceFilter(
        choices=Incident.HowFound.choices,
        label=_("How it was found"),
        help_text=choices_help("How the incident came to light.", Incident.HowFound.choices),
    )
    region = MultipleChoiceFilter(
        choices=Region.choices,
        method="filter_region",
        label=_("Region"),
        help_text=choices_help(
            "Region of a partnership of the incident's agreements (a partnership whose "
            "region is withheld never matches).",
            Region.choices,
        ),
    )
    surveillance_practice = MultipleChoiceFilter(
        choices=SurveillancePractice.choices,
        method="filter_surveillance_practice",
        label=_("Surveillance practice"),
        help_text=choices_help(
            "Incidents on an agreement with a data-sharing term involving this practice.",
            SurveillancePractice.choices,
        ),
    )
    year = YearFilter(
        method="filter_year",
        help_text="Year the incident was discovered (in the registry's time zone; 1900 to "
        "2100), e.g. 2021.",
    )
    partnership = django_filters.CharFilter(
        method="filter_partnership",
        label=_("Partnership"),
        help_text="Slug of a partnership. An unknown slug matches nothing.",
    )
    agreement = django_filters.NumberFilter(
        method="filter_agreement", label=_("Agreement"), help_text="Id of an agreement."
    )
    updated_since = UpdatedSinceFilter()
    ordering = OrderingFilter(
        fields=(
            ("discovered_at", "discovered_at"),
            ("reported_to_authority_at", "reported_to_authority_at"),
            ("updated_at", "updated_at"),
            ("id", "id"),
        ),
        label=_("Ordering"),
        help_text="Sort by discovered_at, reported_to_authority_at, updated_at or id; prefix "
        "with - for descending. Default: latest discovered first.",
    )

    class Meta:
        model = Incident
        fields = []

    def filter_region(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            _on_agreements(
                Q(agreement__partnership__region__in=value)
                & ~withholds(Partnership, "region", "agreement__partnership")
            )
        )

    def filter_surveillance_practice(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            _on_agreements(Q(agreement__data_sharing_terms__surveillance_practice__in=value))
        )

    def filter_year(self, queryset, name, value):
        return queryset.filter(discovered_at__year=value)

    def filter_partnership(self, queryset, name, value):
        return queryset.filter(_on_agreements(Q(agreement__partnership__slug=value.strip())))

    def filter_agreement(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(_on_agreements(Q(agreement_id=int(value))))
