"""Filters of the public reviews and flags; the same rules as ``partnerships.filters``."""

import django_filters
from django.db.models import Exists, OuterRef, Q

from agreements.models import Agreement
from agreements.search import agreement_document_of, agreements_matching, search_agreements
from core.filters import (
    BooleanFilter,
    MultipleChoiceFilter,
    OrderingFilter,
    SearchFilter,
    UpdatedSinceFilter,
    choices_help,
)
from core.search import document_search, indexed, unless
from partnerships.filters import ChoicesUnlessWithheld, CountryUnlessWithheld
from partnerships.models import Organization, Partnership, PartnershipParty, Region
from partnerships.search import WithheldValues

from .models import Flag, Review

REVIEW_FIELDS = (("public_summary", "A"),)


def review_candidates(words):
    """Ids of the reviews whose summary holds one of ``words``, or whose agreement's
    document may (``agreements_matching``)."""
    return [
        indexed(Review.objects.all(), REVIEW_FIELDS, words).values("pk"),
        Review.objects.filter(agreement__in=agreements_matching(words)).values("pk"),
    ]


def search_reviews(queryset, text: str):
    """Reviews whose document matches: their public summary (unless withheld) and their
    agreement's document (``agreements.search``); ranked by relevance, the summary's first."""
    withheld = WithheldValues(Review)
    return document_search(
        queryset,
        text,
        parts=[
            (unless(withheld.condition("public_summary"), "public_summary"), "A"),
            agreement_document_of("agreement", "B"),
        ],
        candidates=review_candidates,
        tiebreak=("-completed_on", "pk"),
    )


def search_flags(queryset, text: str):
    agreements = search_agreements(Agreement.objects.all(), text).order_by().values("pk")
    return queryset.filter(agreement__in=agreements)


def _organization_involved(queryset, value: str, *, also=None):
    """Records of an agreement whose partnership has this organization (slug) as a party;
    ``also`` names a further organization field of the record (e.g. the reviewer)."""
    organizations = Organization.objects.public().filter(slug=value.strip())
    party = PartnershipParty.objects.filter(
        partnership=OuterRef("agreement__partnership"), organization__in=organizations
    )
    condition = Q(Exists(party))
    if also:
        condition |= Q(**{f"{also}__in": organizations})
    return queryset.filter(condition)


class _AgreementContextFilters(django_filters.FilterSet):
    region = ChoicesUnlessWithheld(
        field_name="agreement__partnership__region",
        choices=Region.choices,
        label="Region",
        help_text=choices_help("Region of the partnership.", Region.choices),
        withheld=(Partnership, "region", "agreement__partnership"),
    )
    country = CountryUnlessWithheld(
        field_name="agreement__partnership__country",
        label="Country",
        help_text="ISO 3166-1 alpha-2 code of the partnership's country, e.g. GB.",
        withheld=(Partnership, "country", "agreement__partnership"),
    )
    focus_area = django_filters.CharFilter(
        method="filter_focus_area",
        label="Focus area",
        help_text="Slug of a focus area of the partnership. An unknown slug matches nothing.",
    )

    def filter_focus_area(self, queryset, name, value):
        return queryset.filter(agreement__partnership__focus_areas__slug=value.strip())


class ReviewFilter(_AgreementContextFilters):
    search = SearchFilter(
        searcher=search_reviews,
        help_text="Full-text search over public summaries and the agreements reviewed "
        "(titles, summaries, partnerships, parties).",
    )
    kind = MultipleChoiceFilter(
        choices=Review.Kind.choices,
        label="Kind",
        help_text=choices_help("Kind of review.", Review.Kind.choices),
    )
    status = MultipleChoiceFilter(
        choices=Review.Status.choices,
        label="Status",
        help_text=choices_help("Status of the review.", Review.Status.choices),
    )
    outcome = MultipleChoiceFilter(
        choices=Review.Outcome.choices,
        label="Outcome",
        help_text=choices_help("Outcome of a completed review.", Review.Outcome.choices),
    )
    independent = BooleanFilter(
        method="filter_independent",
        label="Independent",
        help_text="true: the reviewer is not a party to the partnership and declared no ties "
        "to a party; false: it is a party, or declared ties.",
    )
    conflict_of_interest = MultipleChoiceFilter(
        choices=Review.ConflictOfInterest.choices,
        label="Conflict-of-interest declaration",
        help_text=choices_help(
            "The reviewer's declaration of ties to a party.", Review.ConflictOfInterest.choices
        ),
    )
    organization = django_filters.CharFilter(
        method="filter_organization",
        label="Organization",
        help_text="Slug of the reviewer or of a party to the partnership. An unknown slug "
        "matches nothing.",
    )
    updated_since = UpdatedSinceFilter()
    ordering = OrderingFilter(
        fields=(
            ("started_on", "started_on"),
            ("completed_on", "completed_on"),
            ("updated_at", "updated_at"),
            ("id", "id"),
        ),
        label="Ordering",
        help_text="Sort by started_on, completed_on, updated_at or id; prefix with - for "
        "descending. Default: latest completed first.",
    )

    class Meta:
        model = Review
        fields = []

    def filter_independent(self, queryset, name, value):
        return queryset.independent() if value else queryset.not_independent()

    def filter_organization(self, queryset, name, value):
        return _organization_involved(queryset, value, also="reviewer")


class FlagFilter(_AgreementContextFilters):
    search = SearchFilter(
        searcher=search_flags,
        help_text="Full-text search over the flagged agreements (titles, summaries, "
        "partnerships, parties).",
    )
    kind = MultipleChoiceFilter(
        choices=Flag.Kind.choices,
        label="Kind",
        help_text=choices_help("Kind of flag.", Flag.Kind.choices),
    )
    open = BooleanFilter(
        field_name="resolved_at",
        lookup_expr="isnull",
        label="Open",
        help_text="true: flags still open; false: closed flags.",
    )
    organization = django_filters.CharFilter(
        method="filter_organization",
        label="Organization",
        help_text="Slug of a party to the partnership or the agreement's auditor. An "
        "unknown slug matches nothing.",
    )
    updated_since = UpdatedSinceFilter(
        method="filter_updated_since",
        help_text="Flags raised or closed at or after this ISO 8601 date or date and time.",
    )
    ordering = OrderingFilter(
        fields=(
            ("raised_at", "raised_at"),
            ("resolved_at", "resolved_at"),
            ("kind", "kind"),
            ("id", "id"),
        ),
        label="Ordering",
        help_text="Sort by raised_at, resolved_at, kind or id; prefix with - for descending. "
        "Default: latest raised first.",
    )

    class Meta:
        model = Flag
        fields = []

    def filter_organization(self, queryset, name, value):
        return _organization_involved(queryset, value, also="agreement__independent_auditor")

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(Q(raised_at__gte=value) | Q(resolved_at__gte=value))
