"""Filters of ``/api/v1/organizations/``, on ``core.filters``, and the filters that never
match a withheld value (``UnlessWithheld``), for every public list; the partnership and
agreement filters, which look at agreements and flags, are ``public.filters``."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from core.filters import (
    CountryFilter,
    MultipleChoiceFilter,
    OrderingFilter,
    SearchFilter,
    UpdatedSinceFilter,
    choices_help,
)

from .models import Organization, Partnership, Region
from .search import WithheldValues, search_organizations

# Withheld values -----------------------------------------------------------------------


def withholds(model, field: str, record: str = "pk") -> Exists:
    """Exists: the ``field`` of the ``model`` record whose id is the filtered row's
    ``record`` (``"partnership"`` from an agreement) is withheld from the public."""
    return WithheldValues(model).condition(field, record)


class UnlessWithheld:
    """A filter that never matches a record whose field it reads is withheld:
    ``withheld=(model, field, record)`` as for ``withholds``."""

    def __init__(self, *args, withheld: tuple, **kwargs):
        self.withheld = withheld
        model, field = withheld[:2]
        name = model._meta.get_field(field).verbose_name
        kwargs["help_text"] = (
            f"{kwargs.get('help_text', '')} A {model._meta.verbose_name} whose {name} is "
            "withheld never matches."
        ).strip()
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        return super().filter(qs, value).filter(~withholds(*self.withheld))


class ChoicesUnlessWithheld(UnlessWithheld, MultipleChoiceFilter):
    pass


class CountryUnlessWithheld(UnlessWithheld, CountryFilter):
    pass


class DateUnlessWithheld(UnlessWithheld, django_filters.DateFilter):
    pass


class OrganizationFilter(django_filters.FilterSet):
    """Filters of ``/api/v1/organizations/``."""

    search = SearchFilter(
        searcher=search_organizations,
        help_text="Full-text search over names and descriptions, ranked by relevance "
        "unless `ordering` is given.",
    )
    kind = MultipleChoiceFilter(
        choices=Organization.Kind.choices,
        label=_("Kind"),
        help_text=choices_help("Kind of organization.", Organization.Kind.choices),
    )
    region = MultipleChoiceFilter(
        choices=Region.choices,
        label=_("Region"),
        help_text=choices_help("Region of the organization.", Region.choices),
    )
    country = CountryFilter(label=_("Country"), help_text="ISO 3166-1 alpha-2 code, e.g. GB.")
    focus_area = django_filters.CharFilter(
        method="filter_focus_area",
        label=_("Focus area"),
        help_text="Organizations party to a public partnership in this focus area (slug). "
        "An unknown slug matches nothing.",
    )
    ori = django_filters.CharFilter(
        method="filter_ori",
        label="ORI",
        help_text="A police agency's ORI code (9 characters, e.g. NY0303000), in either case. "
        "Exact: an unknown code matches nothing.",
    )
    registration_number = django_filters.CharFilter(
        method="filter_registration_number",
        label=_("Registration number"),
        help_text="An NGO's charity or company registry number, exactly as recorded. An "
        "unknown number matches nothing.",
    )
    updated_since = UpdatedSinceFilter()
    ordering = OrderingFilter(
        fields=(("name", "name"), ("updated_at", "updated_at"), ("id", "id")),
        label=_("Ordering"),
        help_text="Sort by name, updated_at or id; prefix with - for descending.",
    )

    class Meta:
        model = Organization
        fields = []

    def filter_ori(self, qs, name, value):
        return qs.filter(ori=value.strip().upper())

    def filter_registration_number(self, qs, name, value):
        return qs.filter(registration_number=value.strip())

    def filter_focus_area(self, qs, name, value):
        partnerships = Partnership.objects.public().filter(focus_areas__slug=value.strip())
        return qs.filter(Exists(partnerships.filter(parties__organization=OuterRef("pk"))))
