"""Filters of the public feedback endpoint."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import BooleanFilter, MultipleChoiceFilter, UpdatedSinceFilter, choices_help

from .models import Feedback


class FeedbackFilter(django_filters.FilterSet):
    partnership = django_filters.CharFilter(
        field_name="partnership__slug",
        label=_("Partnership"),
        help_text="Slug of the partnership. An unknown slug matches nothing.",
    )
    category = MultipleChoiceFilter(
        choices=Feedback.Category.choices,
        label=_("Category"),
        help_text=choices_help("Category of feedback.", Feedback.Category.choices),
    )
    answered = BooleanFilter(
        method="filter_answered",
        label=_("Answered"),
        help_text="true: items a party has answered; false: items without a response.",
    )
    since = UpdatedSinceFilter(
        field_name="created_at",
        label=_("Since"),
        help_text="Only feedback left at or after this ISO 8601 date or date and time (a date "
        "means midnight in the registry's time zone).",
    )

    class Meta:
        model = Feedback
        fields = []

    def filter_answered(self, queryset, name, value):
        return queryset.answered(value)
