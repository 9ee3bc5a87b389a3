"""Filters of ``/api/v1/organizations/``, on ``core.filters``; the partnership and
agreement filters, which look at agreements and flags, are ``public.filters``."""

import django_filters
from django.db.models import Exists, OuterRef

from core.filters import (
    CountryFilter,
    MultipleChoiceFilter,
    OrderingFilter,
    SearchFilter,
    UpdatedSinceFilter,
    choices_help,
)

from .models import Organization, Partnership, Region
from .search import search_organizations


class OrganizationFilter(django_filters.FilterSet):
    """Filters of ``/api/v1/organizations/``."""

    search = SearchFilter(
        searcher=search_organizations,
        help_text="Full-text search over names and descriptions, ranked by relevance "
        "unless `ordering` is given.",
    )
    kind = MultipleChoiceFilter(
        choices=Organization.Kind.choices,
        label="Kind",
        help_text=choices_help("Kind of organization.", Organization.Kind.choices),
    )
    region = MultipleChoiceFilter(
        choices=Region.choices,
        label="Region",
        help_text=choices_help("Region of the organization.", Region.choices),
    )
    country = CountryFilter(label="Country", help_text="ISO 3166-1 alpha-2 code, e.g. GB.")
    focus_area = django_filters.CharFilter(
        method="filter_focus_area",
        label="Focus area",
        help_text="Organizations party to a public partnership in this focus area (slug). "
        "An unknown slug matches nothing.",
    )
    updated_since = UpdatedSinceFilter()
    ordering = OrderingFilter(
        fields=(("name", "name"), ("updated_at", "updated_at"), ("id", "id")),
        label="Ordering",
        help_text="Sort by name, updated_at or id; prefix with - for descending.",
    )

    class Meta:
        model = Organization
        fields = []

    def filter_focus_area(self, qs, name, value):
        partnerships = Partnership.objects.public().filter(focus_areas__slug=value.strip())
        return qs.filter(Exists(partnerships.filter(parties__organization=OuterRef("pk"))))
