"""Filters of the public registry, shared by the REST API and the public pages.

``PartnershipFilter(request.GET, queryset=Partnership.objects.public())`` works as is in a
view: ``.is_valid()``, ``.errors`` (keyed by the query parameter), ``.qs``. Search and
ordering are filters of the FilterSet, not DRF backends, so both surfaces get them.

Rules every filter follows:
- a malformed value (unknown choice, bad date, non-boolean) is an error naming the
  parameter, never silently ignored;
- an unknown slug matches nothing, never everything;
- only public records and fields are looked at: a filter about agreements considers the
  public agreements only, so that no filter reveals anything about a restricted one.
"""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_countries import countries

from agreements.models import Agreement, DataSharingTerm, RiskLevel
from oversight.models import Flag

from .models import Organization, Partnership, PartnershipParty, Region
from .search import search_organizations, search_partnerships

# Filter building blocks, reused by the other apps' FilterSets -------------------------


class StrictBooleanField(forms.Field):
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``); anything else is an error.

    Django's NullBooleanField reads a typo as "no filter", which would answer a
    journalist's question with everything.
    """

    TRUE = frozenset({"true", "1", "yes", "on"})
    FALSE = frozenset({"false", "0", "no", "off"})

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(f"“{value}” is not a boolean: use true or false.")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class CountryField(django_filters.fields.ChoiceField):
    """An ISO 3166-1 alpha-2 code, in either case."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()

    def validate(self, value):
        if value and not self.valid_value(value):
            raise forms.ValidationError(
                f"“{value}” is not an ISO 3166-1 alpha-2 country code (e.g. GB, US, KE)."
            )


class CountryFilter(django_filters.ChoiceFilter):
    field_class = CountryField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(code, name) for code, name in countries])
        super().__init__(*args, **kwargs)


class DateOrDateTimeField(forms.Field):
    """An ISO 8601 date (midnight in the registry's time zone) or date and time."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip()
        try:
            parsed = parse_datetime(text)
            if parsed is None:
                day = dt.date.fromisoformat(text)
                parsed = dt.datetime.combine(day, dt.time.min)
        except ValueError:
            parsed = None
        if parsed is None:
            raise forms.ValidationError(
                f"“{value}” is not an ISO 8601 date or date and time "
                "(e.g. 2025-01-31 or 2025-01-31T12:00:00Z)."
            )
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        offset = parsed.utcoffset()
        if offset is not None and abs(offset) > dt.timedelta(hours=15, minutes=59):
            raise forms.ValidationError(f"“{value}” has a time zone offset beyond ±15:59.")
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError as exc:
            raise forms.ValidationError(f"“{value}” is out of range.") from exc


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    field_class = DateOrDateTimeField

    def __init__(self, **kwargs):
        kwargs.setdefault("field_name", "updated_at")
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault("label", "Updated since")
        kwargs.setdefault(
            "help_text",
            "Only records changed at or after this ISO 8601 date or date and time "
            "(a date means midnight in the registry's time zone).",
        )
        super().__init__(**kwargs)


def choices_help(text: str, choices) -> str:
    return f"{text} One of: {', '.join(value for value, _label in choices)}."


class MultipleChoiceField(django_filters.fields.MultipleChoiceField):
    """Ignores empty values: an HTML form's "any" option sends ``status=``."""

    def to_python(self, value):
        return [item for item in super().to_python(value) if item != ""]


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """Repeat the parameter for several values (``?status=active&status=signed``): any of
    them matches. No DISTINCT: every use filters a column of the row itself or an EXISTS."""

    field_class = MultipleChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class OrderingFilter(django_filters.OrderingFilter):
    """Orders by the given fields, then by id, so that pages never overlap. Empty values
    (an unknown founding date) come last both ways, on PostgreSQL and SQLite alike."""

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        ordering = []
        for param in value:
            if param:
                field = self.get_ordering_value(param)
                if field.startswith("-"):
                    ordering.append(F(field[1:]).desc(nulls_last=True))
                else:
                    ordering.append(F(field).asc(nulls_last=True))
        return qs.order_by(*ordering, "pk")


class SearchFilter(django_filters.CharFilter):
    """``search=``: full-text on PostgreSQL, ranked by relevance unless ``ordering`` is given.

    Declared before ``ordering`` in every FilterSet, so that an explicit ordering wins.
    """

    def __init__(self, *, searcher, help_text, **kwargs):
        self.searcher = searcher
        kwargs.setdefault("label", "Search")
        super().__init__(help_text=help_text, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        return self.searcher(qs, value)


def public_agreements():
    return Agreement.objects.public()


# The partnership FilterSet ----------------------------------------------------------


class PartnershipFilter(django_filters.FilterSet):
    """Filters of ``/partnerships/`` and ``/api/v1/partnerships/``."""

    search = SearchFilter(
        searcher=search_partnerships,
        help_text="Full-text search over titles, public summaries and the names of the "
        "parties (PostgreSQL web-search syntax: quotes for a phrase, `or`, `-` to "
        "exclude). Results are ranked by relevance unless `ordering` is given.",
    )
    region = MultipleChoiceFilter(
        choices=Region.choices,
        label="Region",
        help_text=choices_help("Region of the partnership; repeat for several.", Region.choices),
    )
    country = CountryFilter(
        label="Country",
        help_text="ISO 3166-1 alpha-2 code of the partnership's country, e.g. GB.",
    )
    status = MultipleChoiceFilter(
        choices=Partnership.Status.choices,
        label="Status",
        help_text=choices_help(
            "Status of the partnership; repeat for several.", Partnership.Status.choices
        ),
    )
    focus_area = django_filters.CharFilter(
        method="filter_focus_area",
        label="Focus area",
        help_text="Slug of a focus area, e.g. domestic-violence. An unknown slug matches nothing.",
    )
    organization = django_filters.CharFilter(
        method="filter_organization",
        label="Organization",
        help_text="Slug of an organization that is a party to the partnership. An unknown "
        "slug matches nothing.",
    )
    risk_level = MultipleChoiceFilter(
        choices=RiskLevel.choices,
        method="filter_risk_level",
        label="Risk level",
        help_text="Risk level of the partnership: the highest among its public agreements "
        "(low when it has none). One of: low, medium, high; repeat for several.",
    )
    data_category = MultipleChoiceFilter(
        choices=DataSharingTerm.DataCategory.choices,
        method="filter_terms",
        label="Data category",
        help_text="Partnerships with a public agreement sharing this category of data; "
        "repeat for several.",
    )
    surveillance_practice = MultipleChoiceFilter(
        choices=DataSharingTerm.SurveillancePractice.choices,
        method="filter_terms",
        label="Surveillance practice",
        help_text="Partnerships with a public agreement involving this surveillance "
        "practice; repeat for several.",
    )
    legal_basis = MultipleChoiceFilter(
        choices=DataSharingTerm.LegalBasis.choices,
        method="filter_terms",
        label="Legal basis",
        help_text="Partnerships with a public agreement sharing data on this legal basis; "
        "repeat for several.",
    )
    has_independent_auditor = BooleanFilter(
        method="filter_has_independent_auditor",
        label="Has an independent auditor",
        help_text="true: at least one of its public agreements has an auditor that is not a "
        "party to the partnership; false: none has.",
    )
    review_overdue = BooleanFilter(
        method="filter_review_overdue",
        label="Review overdue",
        help_text="true: at least one of its signed or active public agreements is past its "
        "review date; false: none is.",
    )
    flag = MultipleChoiceFilter(
        choices=Flag.Kind.choices,
        method="filter_flag",
        label="Open flag",
        help_text="Partnerships with a public agreement that has an open flag of this kind; "
        "repeat for several.",
    )
    established_after = django_filters.DateFilter(
        field_name="established_on",
        lookup_expr="gte",
        label="Established on or after",
        help_text="ISO 8601 date, e.g. 2020-01-01 (inclusive).",
    )
    established_before = django_filters.DateFilter(
        field_name="established_on",
        lookup_expr="lte",
        label="Established on or before",
        help_text="ISO 8601 date, e.g. 2020-12-31 (inclusive).",
    )
    updated_since = UpdatedSinceFilter()
    ordering = OrderingFilter(
        fields=(
            ("title", "title"),
            ("established_on", "established_on"),
            ("updated_at", "updated_at"),
            ("status", "status"),
            ("region", "region"),
            ("country", "country"),
            ("id", "id"),
        ),
        label="Ordering",
        help_text="Sort by title, established_on, updated_at, status, region, country or id; "
        "prefix with - for descending; separate several with commas. Default: title, or "
        "relevance with `search`.",
    )

    class Meta:
        model = Partnership
        fields = []

    # The public agreements of each partnership; a subclass for staff pages may widen it.
    def agreements(self):
        return public_agreements()

    def _with_agreement(self, qs, agreements, value: bool = True):
        exists = Exists(agreements.filter(partnership=OuterRef("pk")))
        return qs.filter(exists if value else ~exists)

    def filter_focus_area(self, qs, name, value):
        return qs.filter(focus_areas__slug=value.strip()) if value.strip() else qs

    def filter_organization(self, qs, name, value):
        parties = PartnershipParty.objects.filter(
            partnership=OuterRef("pk"),
            organization__in=Organization.objects.public().filter(slug=value.strip()),
        )
        return qs.filter(Exists(parties))

    def filter_risk_level(self, qs, name, value):
        return qs.with_risk_level(self.agreements()).filter(derived_risk_level__in=value)

    def filter_terms(self, qs, name, value):
        terms = DataSharingTerm.objects.filter(
            agreement__in=self.agreements(), **{f"{name}__in": value}
        )
        return qs.filter(Exists(terms.filter(agreement__partnership=OuterRef("pk"))))

    def filter_has_independent_auditor(self, qs, name, value):
        return self._with_agreement(qs, self.agreements().with_independent_auditor(), value)

    def filter_review_overdue(self, qs, name, value):
        today = timezone.localdate()
        return self._with_agreement(qs, self.agreements().review_overdue(today), value)

    def filter_flag(self, qs, name, value):
        flagged = Flag.objects.open().filter(kind__in=value).values("agreement")
        return self._with_agreement(qs, self.agreements().filter(pk__in=flagged))


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
