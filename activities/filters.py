"""Filters of the public activities (``/api/v1/activities/``)."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from core.filters import (
    MultipleChoiceFilter,
    OrderingFilter,
    UpdatedSinceFilter,
    YearFilter,
    choices_help,
)

from .models import Activity, ActivityResult, Indicator


class ActivityFilter(django_filters.FilterSet):
    partnership = django_filters.CharFilter(
        field_name="partnership__slug",
        label=_("Partnership"),
        help_text="Slug of the partnership. An unknown slug matches nothing.",
    )
    kind = MultipleChoiceFilter(
        choices=Activity.Kind.choices,
        label=_("Kind"),
        help_text=choices_help("Kind of activity.", Activity.Kind.choices),
    )
    year = YearFilter(
        method="filter_year",
        help_text="Activities under way at some time in this year (1900 to 2100), e.g. 2025.",
    )
    organization = django_filters.CharFilter(
        field_name="organizations__slug",
        label=_("Organization"),
        help_text="Slug of an organization involved. An unknown slug matches nothing.",
    )
    indicator = MultipleChoiceFilter(
        choices=Indicator.choices,
        method="filter_indicator",
        label=_("Indicator"),
        help_text=choices_help("Activities with a result of this indicator.", Indicator.choices),
    )
    updated_since = UpdatedSinceFilter()
    ordering = OrderingFilter(
        fields=(("started_on", "started_on"), ("updated_at", "updated_at"), ("id", "id")),
        label=_("Ordering"),
        help_text="Sort by started_on, updated_at or id; prefix with - for descending. "
        "Default: latest started first.",
    )

    class Meta:
        model = Activity
        fields = []

    def filter_year(self, queryset, name, value):
        return queryset.in_year(value)

    def filter_indicator(self, queryset, name, value):
        if not value:
            return queryset
        results = ActivityResult.objects.filter(activity=OuterRef("pk"), indicator__in=value)
        return queryset.filter(Exists(results))
