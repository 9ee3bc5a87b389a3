"""Filters of the public activities (``/api/v1/activities/``)."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef

from core.filters import MultipleChoiceFilter, OrderingFilter, UpdatedSinceFilter, choices_help

from .models import Activity, ActivityResult, Indicator


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ActivityFilter(django_filters.FilterSet):
    partnership = django_filters.CharFilter(
        field_name="partnership__slug",
        label="Partnership",
        help_text="Slug of the partnership. An unknown slug matches nothing.",
    )
    kind = MultipleChoiceFilter(
        choices=Activity.Kind.choices,
        label="Kind",
        help_text=choices_help("Kind of activity.", Activity.Kind.choices),
    )
    year = YearFilter(
        method="filter_year",
        label="Year",
        help_text="Activities under way at some time in this year (1900 to 2100), e.g. 2025.",
        min_value=1900,
        max_value=2100,
    )
    organization = django_filters.CharFilter(
        field_name="organizations__slug",
        label="Organization",
        help_text="Slug of an organization involved. An unknown slug matches nothing.",
    )
    indicator = MultipleChoiceFilter(
        choices=Indicator.choices,
        method="filter_indicator",
        label="Indicator",
        help_text=choices_help("Activities with a result of this indicator.", Indicator.choices),
    )
    updated_since = UpdatedSinceFilter()
    ordering = OrderingFilter(
        fields=(("started_on", "started_on"), ("updated_at", "updated_at"), ("id", "id")),
        label="Ordering",
        help_text="Sort by started_on, updated_at or id; prefix with - for descending. "
        "Default: latest started first.",
    )

    class Meta:
        model = Activity
        fields = []

    def filter_year(self, queryset, name, value):
        return queryset.in_year(int(value))

    def filter_indicator(self, queryset, name, value):
        if not value:
            return queryset
        results = ActivityResult.objects.filter(activity=OuterRef("pk"), indicator__in=value)
        return queryset.filter(Exists(results))
