"""Filters of the public registry's partnerships and agreements, shared by the REST API
and the public pages; built on ``core.filters`` and its rules (strict values, unknown
slugs match nothing). Only public records are looked at: a filter about agreements
considers the public agreements only, so that no filter reveals anything about a
restricted one.

``PartnershipFilter(request.GET, queryset=Partnership.objects.public())`` works as is in a
view: ``.is_valid()``, ``.errors`` (keyed by the query parameter), ``.qs``. Search and
ordering are filters of the FilterSet, not DRF backends, so both surfaces get them.

No filter reveals a withheld value (``publication``): a filter on a field never matches a
record whose field is withheld (``?country=KE`` does not find a partnership whose country
is withheld, whatever it is), an ordering sorts withheld values as empty ones (last), and
the search looks at the public values only (``partnerships.search``).
"""

import django_filters
from django.db.models import Case, Exists, F, OuterRef, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement, DataSharingTerm, RiskLevel
from agreements.search import search_agreements
from core.filters import (
    BooleanFilter,
    MultipleChoiceFilter,
    OrderingFilter,
    SearchFilter,
    UpdatedSinceFilter,
    choices_help,
)
from oversight.models import Flag
from partnerships.filters import (
    ChoicesUnlessWithheld,
    CountryUnlessWithheld,
    DateUnlessWithheld,
    withholds,
)
from partnerships.models import Organization, Partnership, PartnershipParty, Region
from partnerships.search import search_partnerships

# The filters about data-sharing terms: given together, one term must meet them all
# ("personal data" *and* "to the police" in the same term, not in two different ones).
TERM_FILTERS = ("data_category", "direction", "legal_basis", "surveillance_practice")


def public_agreements():
    return Agreement.objects.public()


def with_open_flags(agreements, kinds):
    """The ``agreements`` with an open flag of one of ``kinds`` (through the index of open
    flags per kind)."""
    return agreements.filter(
        Exists(Flag.objects.open().filter(agreement=OuterRef("pk"), kind__in=kinds))
    )


# An agreement's next review date: withheld with the date it takes effect
# (``Agreement.WITHHELD_WITH``).
REVIEW_DUE = "next_review_due"


class PublicOrderingFilter(OrderingFilter):
    """``ordering``, where a withheld value sorts as an empty one (last, both ways):
    ``withheld={ordering field: (model, field, record)}``."""

    def __init__(self, *args, withheld: dict, **kwargs):
        self.withheld = withheld
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        ordering = []
        for param in value:
            if not param:
                continue
            field = self.get_ordering_value(param)
            name = field.removeprefix("-")
            if name in self.withheld:
                expression = Case(When(~withholds(*self.withheld[name]), then=F(name)))
            else:
                expression = F(name)
            if field.startswith("-"):
                ordering.append(expression.desc(nulls_last=True))
            else:
                ordering.append(expression.asc(nulls_last=True))
        return qs.order_by(*ordering, "pk")


def published_since():
    return UpdatedSinceFilter(
        field_name="published_at",
        label=_("Published since"),
        help_text="Only records published at or after this ISO 8601 date or date and time "
        "(a date means midnight in the registry's time zone): approved by a second editor, "
        "or out of embargo. Records whose publication time was not recorded do not match.",
    )


# The partnership FilterSet ----------------------------------------------------------


class PartnershipFilter(django_filters.FilterSet):
    """Filters of ``/partnerships/`` and ``/api/v1/partnerships/``."""

    search = SearchFilter(
        searcher=search_partnerships,
        help_text="Full-text search over titles, public summaries and the names of the "
        "parties (PostgreSQL web-search syntax: quotes for a phrase, `or`, `-` to "
        "exclude). Results are ranked by relevance unless `ordering` is given.",
    )
    region = ChoicesUnlessWithheld(
        choices=Region.choices,
        withheld=(Partnership, "region"),
        label=_("Region"),
        help_text=choices_help("Region of the partnership; repeat for several.", Region.choices),
    )
    country = CountryUnlessWithheld(
        withheld=(Partnership, "country"),
        label=_("Country"),
        help_text="ISO 3166-1 alpha-2 code of the partnership's country, e.g. GB.",
    )
    status = MultipleChoiceFilter(
        choices=Partnership.Status.choices,
        label=_("Status"),
        help_text=choices_help(
            "Status of the partnership; repeat for several.", Partnership.Status.choices
        ),
    )
    focus_area = django_filters.CharFilter(
        method="filter_focus_area",
        label=_("Focus area"),
        help_text="Slug of a focus area, e.g. domestic-violence. An unknown slug matches nothing.",
    )
    organization = django_filters.CharFilter(
        method="filter_organization",
        label=_("Organization"),
        help_text="Slug of an organization that is a party to the partnership. An unknown "
        "slug matches nothing.",
    )
    risk_level = MultipleChoiceFilter(
        choices=RiskLevel.choices,
        method="filter_risk_level",
        label=_("Risk level"),
        help_text="Risk level of the partnership: the highest among its public agreements "
        "(low when it has none). One of: low, medium, high; repeat for several.",
    )
    data_category = MultipleChoiceFilter(
        choices=DataSharingTerm.DataCategory.choices,
        method="filter_terms",
        label=_("Data category"),
        help_text="Partnerships with a public agreement sharing this category of data; "
        "repeat for several.",
    )
    surveillance_practice = MultipleChoiceFilter(
        choices=DataSharingTerm.SurveillancePractice.choices,
        method="filter_terms",
        label=_("Surveillance practice"),
        help_text="Partnerships with a public agreement involving this surveillance "
        "practice; repeat for several.",
    )
    legal_basis = MultipleChoiceFilter(
        choices=DataSharingTerm.LegalBasis.choices,
        method="filter_terms",
        label=_("Legal basis"),
        help_text="Partnerships with a public agreement sharing data on this legal basis; "
        "repeat for several.",
    )
    has_independent_auditor = BooleanFilter(
        method="filter_has_independent_auditor",
        label=_("Has an independent auditor"),
        help_text="true: at least one of its public agreements has an auditor that is not a "
        "party to the partnership; false: none has.",
    )
    review_overdue = BooleanFilter(
        method="filter_review_overdue",
        label=_("Review overdue"),
        help_text="true: at least one of its signed or active public agreements is past its "
        "review date; false: none is.",
    )
    has_source = BooleanFilter(
        method="filter_has_source",
        label=_("Has a source"),
        help_text="true: at least one source (a document, report or news article) is "
        "recorded for the partnership itself; false: none is (its page says “No source "
        "recorded”). The sources of its agreements are not counted.",
    )
    flag = MultipleChoiceFilter(
        choices=Flag.Kind.choices,
        method="filter_flag",
        label=_("Open flag"),
        help_text="Partnerships with a public agreement that has an open flag of this kind; "
        "repeat for several.",
    )
    established_after = DateUnlessWithheld(
        field_name="established_on",
        lookup_expr="gte",
        withheld=(Partnership, "established_on"),
        label=_("Established on or after"),
        help_text="ISO 8601 date, e.g. 2020-01-01 (inclusive).",
    )
    established_before = DateUnlessWithheld(
        field_name="established_on",
        lookup_expr="lte",
        withheld=(Partnership, "established_on"),
        label=_("Established on or before"),
        help_text="ISO 8601 date, e.g. 2020-12-31 (inclusive).",
    )
    updated_since = UpdatedSinceFilter()
    published_since = published_since()
    ordering = PublicOrderingFilter(
        fields=(
            ("title", "title"),
            ("established_on", "established_on"),
            ("updated_at", "updated_at"),
            ("published_at", "published_at"),
            ("status", "status"),
            ("region", "region"),
            ("country", "country"),
            ("id", "id"),
        ),
        withheld={name: (Partnership, name) for name in ("established_on", "region", "country")},
        label=_("Ordering"),
        help_text="Sort by title, established_on, updated_at, published_at, status, region, "
        "country or id; prefix with - for descending; separate several with commas. Empty "
        "and withheld values come last. Default: title, or relevance with `search`.",
    )

    class Meta:
        model = Partnership
        fields = []

    # The public agreements of each partnership; a subclass for staff pages may widen it.
    def agreements(self):
        return public_agreements()

    # What the filters below look at, also counted per option by the registry page
    # (``public.registry``): declared once for both.
    def parties(self):
        """Parties that are public organizations."""
        return PartnershipParty.objects.filter(organization__in=Organization.objects.public())

    def terms(self):
        """The data-sharing terms of the agreements."""
        return DataSharingTerm.objects.filter(agreement__in=self.agreements())

    def open_flags(self):
        """The open flags of the agreements."""
        return Flag.objects.open().filter(agreement__in=self.agreements())

    # The risk level and the auditors' independence are those the partnership stores about
    # its public agreements (``agreements.derived``): a subclass widening ``agreements()``
    # computes them afresh (``with_partnership_risk_level``).
    def with_risk_level(self, qs):
        """``derived_risk_level``: the highest among the agreements, low without any."""
        return qs.annotate(derived_risk_level=F("highest_risk_level"))

    def _with_agreement(self, qs, agreements, value: bool = True):
        exists = Exists(agreements.filter(partnership=OuterRef("pk")))
        return qs.filter(exists if value else ~exists)

    def filter_focus_area(self, qs, name, value):
        return qs.filter(focus_areas__slug=value.strip()) if value.strip() else qs

    def filter_organization(self, qs, name, value):
        parties = self.parties().filter(
            partnership=OuterRef("pk"), organization__slug=value.strip()
        )
        return qs.filter(Exists(parties))

    def filter_risk_level(self, qs, name, value):
        return qs.filter(highest_risk_level__in=value)

    def filter_terms(self, qs, name, value):
        terms = self.terms().filter(**{f"{name}__in": value})
        return qs.filter(Exists(terms.filter(agreement__partnership=OuterRef("pk"))))

    def filter_has_independent_auditor(self, qs, name, value):
        return qs.filter(has_independent_auditor=value)

    def filter_review_overdue(self, qs, name, value):
        today = timezone.localdate()
        overdue = self.agreements().review_overdue(today)
        return self._with_agreement(qs, overdue.filter(~withholds(Agreement, REVIEW_DUE)), value)

    def filter_has_source(self, qs, name, value):
        return qs.with_sources(value)

    def filter_flag(self, qs, name, value):
        return self._with_agreement(qs, with_open_flags(self.agreements(), value))


class AgreementFilter(django_filters.FilterSet):
    search = SearchFilter(
        searcher=search_agreements,
        help_text="Full-text search over agreement titles, references and public summaries, "
        "their partnerships' titles and summaries, and the names of the parties and of "
        "the auditor. Ranked by relevance unless `ordering` is given.",
    )
    region = ChoicesUnlessWithheld(
        field_name="partnership__region",
        choices=Region.choices,
        withheld=(Partnership, "region", "partnership"),
        label=_("Region"),
        help_text=choices_help("Region of the partnership.", Region.choices),
    )
    country = CountryUnlessWithheld(
        field_name="partnership__country",
        withheld=(Partnership, "country", "partnership"),
        label=_("Country"),
        help_text="ISO 3166-1 alpha-2 code of the partnership's country, e.g. GB.",
    )
    focus_area = django_filters.CharFilter(
        method="filter_focus_area",
        label=_("Focus area"),
        help_text="Slug of a focus area of the partnership. An unknown slug matches nothing.",
    )
    status = MultipleChoiceFilter(
        choices=Agreement.Status.choices,
        label=_("Status"),
        help_text=choices_help("Status of the agreement.", Agreement.Status.choices),
    )
    kind = MultipleChoiceFilter(
        choices=Agreement.Kind.choices,
        label=_("Kind"),
        help_text=choices_help("Kind of agreement.", Agreement.Kind.choices),
    )
    partnership = django_filters.CharFilter(
        field_name="partnership__slug",
        label=_("Partnership"),
        help_text="Slug of the partnership, e.g. safe-homes: its public agreements. An "
        "unknown slug matches nothing.",
    )
    organization = django_filters.CharFilter(
        method="filter_organization",
        label=_("Organization"),
        help_text="Slug of an organization that is a party to the partnership, a signatory "
        "or the auditor (unless the auditor is withheld). An unknown slug matches nothing.",
    )
    risk_level = MultipleChoiceFilter(
        choices=RiskLevel.choices,
        method="filter_risk_level",
        label=_("Risk level"),
        help_text="Derived from the data-sharing terms (see the methodology page). "
        "One of: low, medium, high.",
    )
    data_category = MultipleChoiceFilter(
        choices=DataSharingTerm.DataCategory.choices,
        method="filter_terms",
        label=_("Data category"),
        help_text=choices_help(
            "Agreements with a data-sharing term of this category. Term filters given "
            "together must hold for the same term.",
            DataSharingTerm.DataCategory.choices,
        ),
    )
    direction = MultipleChoiceFilter(
        choices=DataSharingTerm.Direction.choices,
        method="filter_terms",
        label=_("Direction"),
        help_text=choices_help(
            "Agreements with a data-sharing term flowing this way (bidirectional terms "
            "are only matched by bidirectional).",
            DataSharingTerm.Direction.choices,
        ),
    )
    legal_basis = MultipleChoiceFilter(
        choices=DataSharingTerm.LegalBasis.choices,
        method="filter_terms",
        label=_("Legal basis"),
        help_text=choices_help(
            "Agreements with a data-sharing term on this legal basis.",
            DataSharingTerm.LegalBasis.choices,
        ),
    )
    surveillance_practice = MultipleChoiceFilter(
        choices=DataSharingTerm.SurveillancePractice.choices,
        method="filter_terms",
        label=_("Surveillance practice"),
        help_text=choices_help(
            "Agreements with a data-sharing term involving this practice.",
            DataSharingTerm.SurveillancePractice.choices,
        ),
    )
    has_independent_auditor = BooleanFilter(
        method="filter_has_independent_auditor",
        label=_("Has an independent auditor"),
        help_text="true: an auditor that is not a party to the partnership; false: no "
        "auditor, or one that is a party.",
    )
    review_overdue = BooleanFilter(
        method="filter_review_overdue",
        label=_("Review overdue"),
        help_text="true: signed or active and its next review was due before today.",
    )
    has_source = BooleanFilter(
        method="filter_has_source",
        label=_("Has a source"),
        help_text="true: at least one source is recorded for the agreement itself; false: "
        "none is (its page says “No source recorded”).",
    )
    flag = MultipleChoiceFilter(
        choices=Flag.Kind.choices,
        method="filter_flag",
        label=_("Open flag"),
        help_text=choices_help("Agreements with an open flag of this kind.", Flag.Kind.choices),
    )
    expires_after = DateUnlessWithheld(
        field_name="expires_on",
        lookup_expr="gte",
        withheld=(Agreement, "expires_on"),
        label=_("Expires on or after"),
        help_text="ISO 8601 date (inclusive).",
    )
    expires_before = DateUnlessWithheld(
        field_name="expires_on",
        lookup_expr="lte",
        withheld=(Agreement, "expires_on"),
        label=_("Expires on or before"),
        help_text="ISO 8601 date (inclusive).",
    )
    updated_since = UpdatedSinceFilter()
    published_since = published_since()
    ordering = PublicOrderingFilter(
        fields=(
            ("title", "title"),
            ("status", "status"),
            ("signed_on", "signed_on"),
            ("effective_from", "effective_from"),
            ("expires_on", "expires_on"),
            ("next_review_due", "next_review_due"),
            ("updated_at", "updated_at"),
            ("published_at", "published_at"),
            ("id", "id"),
        ),
        withheld={
            name: (Agreement, name)
            for name in ("signed_on", "effective_from", "expires_on", REVIEW_DUE)
        },
        label=_("Ordering"),
        help_text="Sort by title, status, signed_on, effective_from, expires_on, "
        "next_review_due, updated_at, published_at or id; prefix with - for descending. "
        "Empty and withheld values come last. Default: title, or relevance with `search`.",
    )

    class Meta:
        model = Agreement
        fields = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        conditions = {
            f"{name}__in": self.form.cleaned_data[name]
            for name in TERM_FILTERS
            if self.form.cleaned_data.get(name)
        }
        if conditions:
            terms = DataSharingTerm.objects.filter(agreement=OuterRef("pk"), **conditions)
            queryset = queryset.filter(Exists(terms))
        return queryset

    def filter_terms(self, queryset, name, value):
        return queryset  # applied together in filter_queryset()

    def filter_focus_area(self, queryset, name, value):
        return queryset.filter(partnership__focus_areas__slug=value.strip())

    def filter_organization(self, queryset, name, value):
        organizations = Organization.objects.public().filter(slug=value.strip())
        party = PartnershipParty.objects.filter(
            partnership=OuterRef("partnership"), organization__in=organizations
        )
        signatory = Agreement.signatories.through.objects.filter(
            agreement=OuterRef("pk"), organization__in=organizations
        )
        # A withheld auditor is not named, not even by a match.
        auditor = Exists(organizations.filter(pk=OuterRef("independent_auditor"))) & ~withholds(
            Agreement, "independent_auditor"
        )
        return queryset.filter(Exists(party) | Exists(signatory) | auditor)

    def filter_risk_level(self, queryset, name, value):
        return queryset.filter(stored_risk_level__in=value)

    def filter_has_independent_auditor(self, queryset, name, value):
        if value:
            return queryset.with_independent_auditor()
        return queryset.without_independent_auditor()

    def filter_review_overdue(self, queryset, name, value):
        """An agreement whose review date is withheld matches neither way."""
        today = timezone.localdate()
        queryset = queryset.filter(~withholds(Agreement, REVIEW_DUE))
        return queryset.review_overdue(today) if value else queryset.review_not_overdue(today)

    def filter_has_source(self, queryset, name, value):
        return queryset.with_sources(value)

    def filter_flag(self, queryset, name, value):
        return with_open_flags(queryset, value)
