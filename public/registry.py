"""The registry page's filter panel (``/partnerships/``): which of the API's filters it
shows and how, in words for a reader, with the number of partnerships beside each option;
its sortable columns; its permalinks.

The filters are the API's (``public.filters.PartnershipFilter``): one rule per filter for
both surfaces. Their ``help_text`` documents the API for developers in the OpenAPI schema;
the help a reader needs on the page is declared here, once, in ``PANEL``.

Counts (facets): the count beside option X of filter F is the number of public
partnerships that match every active filter except F's, and F=X: what
``/api/v1/partnerships/`` counts for the same parameters. One aggregate query per filter,
whatever the number of rows or options.

Permalinks carry no empty parameter: a submitted form (``?search=&region=europe``) is
redirected to its clean address (``RegistryView.get``). A parameter the registry does not
take is named in a notice on the page (the API answers 400 for it) and left out of the
permalink and of the API and CSV links.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from core.filters import BooleanFilter
from partnerships.filters import withholds
from partnerships.models import FocusArea, Partnership

from .filters import PartnershipFilter

# How a filter is shown.
SEARCH = "search"
CHECKBOXES = "checkboxes"  # several values, any of them matches
SELECT = "select"  # one value, the options computed with their counts
YES_NO = "yes_no"  # a boolean filter: any, yes or no
DATE = "date"


@dataclass(frozen=True)
class PanelFilter:
    """One filter of the panel: the query parameter (a filter of ``PartnershipFilter``),
    its control and its help for a reader. ``label`` when the page says it better than the
    FilterSet's label; ``more`` for the filters under "More filters"."""

    name: str
    control: str
    help: str = ""
    label: str = ""
    more: bool = False


PANEL = (
    PanelFilter(
        "search",
        SEARCH,
        help=_(
            "In titles, summaries and the parties' names. “A phrase” in quotes; -word "
            "leaves a word out; “or” between two words finds either."
        ),
    ),
    PanelFilter("region", CHECKBOXES),
    PanelFilter("status", CHECKBOXES, label=_("Status of the partnership")),
    PanelFilter(
        "risk_level",
        CHECKBOXES,
        help=_(
            "The highest among its public agreements, from the data they share (see the "
            "methodology page)."
        ),
    ),
    PanelFilter("focus_area", SELECT),
    PanelFilter(
        "organization",
        SELECT,
        help=_("An NGO, police agency or other organization that is a party to it."),
    ),
    PanelFilter("country", SELECT),
    PanelFilter(
        "flag",
        CHECKBOXES,
        help=_(
            "A problem the registry's rules found in one of its public agreements, not "
            "resolved yet."
        ),
        more=True,
    ),
    PanelFilter(
        "data_category",
        CHECKBOXES,
        label=_("Data shared"),
        help=_("Shared under one of its public agreements."),
        more=True,
    ),
    PanelFilter(
        "surveillance_practice",
        CHECKBOXES,
        help=_("Involved in one of its public agreements."),
        more=True,
    ),
    PanelFilter(
        "legal_basis",
        CHECKBOXES,
        help=_("The legal basis of a data sharing in one of its public agreements."),
        more=True,
    ),
    PanelFilter(
        "has_independent_auditor",
        YES_NO,
        help=_("One of its public agreements has an auditor that is not itself a party."),
        more=True,
    ),
    PanelFilter(
        "review_overdue",
        YES_NO,
        help=_("One of its signed or active public agreements is past its review date."),
        more=True,
    ),
    PanelFilter(
        "has_source",
        YES_NO,
        help=_("A document, report or news article is recorded for the partnership itself."),
        more=True,
    ),
    PanelFilter("established_after", DATE, more=True),
    PanelFilter("established_before", DATE, more=True),
    PanelFilter(
        "updated_since", DATE, help=_("Changed on or after this day (inclusive)."), more=True
    ),
    PanelFilter(
        "published_since", DATE, help=_("Published on or after this day (inclusive)."), more=True
    ),
)
# The filters the panel leaves out, and why: the columns' headers sort (``COLUMNS``).
NOT_IN_PANEL = ("ordering",)
# The parameters of the page besides its filters.
PAGE_PARAMETERS = ("page", "cursor")
YES_NO_CHOICES = (("true", _("Yes")), ("false", _("No")))


def known_parameters() -> set[str]:
    return {*PartnershipFilter.base_filters, *PAGE_PARAMETERS}


def unknown_parameters(params: QueryDict) -> list[str]:
    """The parameters the registry does not take (shown in a notice, then ignored)."""
    return sorted(set(params) - known_parameters())


def has_empty_values(params: QueryDict) -> bool:
    return any(value == "" for key in params for value in params.getlist(key))


def without_empty_values(params: QueryDict) -> str:
    """The query string of ``params`` less its empty values, in their order."""
    return urlencode(
        [(key, value) for key in params for value in params.getlist(key) if value != ""]
    )


def registry_query(params: QueryDict, *, drop=PAGE_PARAMETERS) -> str:
    """The registry's parameters of the request, without empty values, unknown parameters
    or ``drop``: the permalink of the view, and what the CSV and API links carry."""
    known = known_parameters()
    return urlencode(
        [
            (key, value)
            for key in sorted(params)
            if key in known and key not in drop
            for value in params.getlist(key)
            if value != ""
        ]
    )


# Counts beside the options -------------------------------------------------------------


def _selected(filterset: PartnershipFilter, values: dict):
    """The public partnerships ``filterset`` selects with the form's ``values`` in place of
    its own: ``FilterSet.filter_queryset``, whatever it does, without building another
    FilterSet for each option (it deep-copies every filter and its choices)."""
    form = filterset.form
    own = form.cleaned_data
    form.cleaned_data = values
    try:
        return filterset.filter_queryset(Partnership.objects.public()).order_by().values("pk")
    finally:
        form.cleaned_data = own


def _cleaned(filterset: PartnershipFilter, name: str, value: str):
    """``value`` of the parameter ``name`` as the filter's form field cleans it."""
    field = filterset.form.fields[name]
    data = QueryDict(mutable=True)
    data[name] = value
    return field.clean(field.widget.value_from_datadict(data, None, name))


def _counts_by_option(filterset, name: str, matching) -> dict[str, int]:
    """For each option of ``name``: the ``matching`` partnerships that the filter with that
    value alone selects (the filter as it is, whatever it does), counted in one query."""
    values = [value for value, _label in choices_of(name)]
    keys = {f"option_{i}": value for i, value in enumerate(values)}
    alone = {
        key: _selected(filterset, {name: _cleaned(filterset, name, value)})
        for key, value in keys.items()
    }
    totals = Partnership.objects.filter(pk__in=matching).aggregate(
        **{key: Count("pk", filter=Q(pk__in=alone[key])) for key in keys}
    )
    return {value: totals[key] for key, value in keys.items()}


# Cheaper than a subquery per option, the filters that select by one value of a column or
# of a related row are counted grouped by it, from what the filter itself declares.


def _counts_by_field(filterset, name: str, matching) -> dict[str, int]:
    """A filter of a field of the partnership (``region``, ``status``), never matching a
    withheld value when it is one of ``UnlessWithheld``."""
    field_filter = filterset.filters[name]
    rows = Partnership.objects.public().filter(pk__in=matching)
    if withheld := getattr(field_filter, "withheld", None):
        rows = rows.filter(~withholds(*withheld))
    return dict(rows.order_by().values_list(field_filter.field_name).annotate(n=Count("pk")))


def _counts_by_risk_level(filterset, name: str, matching) -> dict[str, int]:
    rows = filterset.with_risk_level(Partnership.objects.public().filter(pk__in=matching))
    return dict(rows.order_by().values_list("derived_risk_level").annotate(n=Count("pk")))


def _counts_by_term(filterset, name: str, matching) -> dict[str, int]:
    """``filter_terms``: a term of this value in one of the partnership's agreements."""
    rows = filterset.terms().filter(agreement__partnership__in=matching)
    partnerships = Count("agreement__partnership", distinct=True)
    return dict(rows.order_by().values_list(name).annotate(n=partnerships))


def _counts_by_flag(filterset, name: str, matching) -> dict[str, int]:
    """``filter_flag``: an open flag of this kind on one of the partnership's agreements."""
    rows = filterset.open_flags().filter(agreement__partnership__in=matching)
    partnerships = Count("agreement__partnership", distinct=True)
    return dict(rows.order_by().values_list("kind").annotate(n=partnerships))


def _focus_area_options(filterset, matching) -> list[tuple[str, str, int]]:
    """``filter_focus_area``: a partnership with that focus area; every area an option."""
    areas = FocusArea.objects.annotate(
        n=Count("partnerships", filter=Q(partnerships__in=matching), distinct=True)
    )
    return list(areas.order_by("name").values_list("slug", "name", "n"))


def _organization_options(filterset, matching) -> list[tuple[str, str, int]]:
    """``filter_organization``: a party to the partnership; every party to a public
    partnership is an option."""
    parties = (
        filterset.parties()
        .filter(partnership__in=Partnership.objects.public())
        .values("organization__slug", "organization__name")
        .annotate(n=Count("partnership", filter=Q(partnership__in=matching), distinct=True))
        .order_by("organization__name", "organization__slug")
    )
    return [(row["organization__slug"], row["organization__name"], row["n"]) for row in parties]


def _country_options(filterset, matching) -> list[tuple[str, str, int]]:
    """``CountryUnlessWithheld``: that country, unless the partnership's is withheld; every
    country of a public partnership is an option, unless withheld."""
    rows = (
        Partnership.objects.public()
        .filter(~withholds(*filterset.filters["country"].withheld))
        .exclude(country="")
        .order_by()
        .values("country")
        .annotate(n=Count("pk", filter=Q(pk__in=matching)))
    )
    options = [(row["country"], countries.name(row["country"]), row["n"]) for row in rows]
    return sorted(options, key=lambda option: option[1])


# How each filter of the panel with options counts them: a CHECKBOXES or YES_NO filter
# returns ``{value: count}`` (``_counts_by_option`` unless named here), a SELECT one its
# options ``[(value, label, count)]``.
COUNTS = {
    "region": _counts_by_field,
    "status": _counts_by_field,
    "risk_level": _counts_by_risk_level,
    "data_category": _counts_by_term,
    "surveillance_practice": _counts_by_term,
    "legal_basis": _counts_by_term,
    "flag": _counts_by_flag,
    "focus_area": _focus_area_options,
    "organization": _organization_options,
    "country": _country_options,
}


def choices_of(name: str) -> tuple:
    if isinstance(PartnershipFilter.base_filters[name], BooleanFilter):
        return YES_NO_CHOICES
    return tuple(PartnershipFilter.base_filters[name].extra["choices"])


def facet_options(filterset: PartnershipFilter) -> dict[str, list[tuple[str, str, int]]]:
    """``{filter: [(value, label, count)]}`` for every filter of the panel with options; a
    count is what the API counts with the other filters of the valid ``filterset`` and this
    value. One query per filter, whatever the number of rows or options."""
    if not filterset.is_valid():
        raise ValueError(f"Counts need valid filters: {filterset.errors.as_json()}")
    found = {}
    for spec in PANEL:
        if spec.control not in (CHECKBOXES, SELECT, YES_NO):
            continue
        others = {k: v for k, v in filterset.form.cleaned_data.items() if k != spec.name}
        matching = _selected(filterset, others)
        if spec.control == SELECT:
            found[spec.name] = COUNTS[spec.name](filterset, matching)
        else:
            counts = COUNTS.get(spec.name, _counts_by_option)(filterset, spec.name, matching)
            found[spec.name] = [
                (value, label, counts.get(value, 0)) for value, label in choices_of(spec.name)
            ]
    return found


# The panel as the template shows it ------------------------------------------------------


@dataclass
class Option:
    value: str
    label: str
    count: int | None
    selected: bool
    id: str


@dataclass
class PanelField:
    spec: PanelFilter
    label: str
    value: str = ""  # of a search or date field
    options: list[Option] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def control(self) -> str:
        return self.spec.control

    @property
    def help(self) -> str:
        return self.spec.help

    @property
    def id(self) -> str:
        return f"id_{self.spec.name}"

    @property
    def active(self) -> bool:
        return bool(self.value) or any(option.selected for option in self.options)


def panel_fields(
    params: QueryDict, options: dict[str, list], errors: dict, *, counted: bool
) -> list[PanelField]:
    """The fields of the panel with the request's values; ``options`` from
    ``facet_options``, their counts shown when ``counted``."""
    fields = []
    for spec in PANEL:
        label = spec.label or PartnershipFilter.base_filters[spec.name].label
        panel_field = PanelField(spec, label, errors=list(errors.get(spec.name, [])))
        if spec.name in options:
            chosen = [value for value in params.getlist(spec.name) if value != ""]
            rows = list(options[spec.name])
            listed = {value for value, _label, _count in rows}
            # A chosen value the options lack (an unknown slug) stays visible and chosen.
            rows += [(value, value, 0) for value in chosen if value not in listed]
            if spec.control == SELECT:
                # Only the options that would find something, and the chosen one.
                rows = [row for row in rows if row[2] or row[0] in chosen]
            panel_field.options = [
                Option(
                    value,
                    label,
                    count if counted else None,
                    value in chosen,
                    f"id_{spec.name}_{i}",
                )
                for i, (value, label, count) in enumerate(rows)
            ]
        else:
            panel_field.value = params.get(spec.name, "")
        fields.append(panel_field)
    return fields


# Sortable columns ----------------------------------------------------------------------

# The default order of the list (``partnership_queryset``) without a search: by title.
DEFAULT_ORDERING = "title"


@dataclass(frozen=True)
class Column:
    """A column of the registry's table; ``ordering`` the value of the ``ordering`` filter
    that sorts by it (the column is not sortable without)."""

    label: str
    ordering: str = ""
    css: str = ""


COLUMNS = (
    Column(_("Partnership"), "title", "col-title"),  # and its focus areas
    Column(_("Since"), "established_on", "col-since"),
    Column(_("Where"), "country"),
    Column(_("Status"), "status"),
    Column(_("Parties"), css="col-parties"),
    Column(_("Risk and flags")),
    Column(_("Next review")),
)


@dataclass
class Header:
    column: Column
    sort: str = ""  # aria-sort: ascending, descending or none; "" when not sortable
    url: str = ""
    next_direction: str = ""


def current_ordering(params: QueryDict, *, valid: bool) -> tuple[str, bool] | None:
    """``(field, descending)`` of the first ordering in force, None for relevance (a
    search without ``ordering``) or a bad ordering."""
    ordering = params.get("ordering", "")
    if not valid:
        return None
    first = ordering.split(",")[0].strip()
    if not first:
        return None if params.get("search", "").strip() else (DEFAULT_ORDERING, False)
    return first.removeprefix("-"), first.startswith("-")


def headers(params: QueryDict, path: str, *, valid: bool) -> list[Header]:
    """The table's headers; a sortable one links to the list sorted by it (ascending, or
    descending when it is sorted ascending already), the other filters kept."""
    current = current_ordering(params, valid=valid)
    kept = registry_query(params, drop=(*PAGE_PARAMETERS, "ordering"))
    found = []
    for column in COLUMNS:
        if not column.ordering:
            found.append(Header(column))
            continue
        sort = "none"
        if current and current[0] == column.ordering:
            sort = "descending" if current[1] else "ascending"
        descending_next = sort == "ascending"
        value = f"-{column.ordering}" if descending_next else column.ordering
        query = (
            f"{kept}&{urlencode({'ordering': value})}" if kept else urlencode({"ordering": value})
        )
        found.append(
            Header(
                column,
                sort=sort,
                url=f"{path}?{query}",
                next_direction="descending" if descending_next else "ascending",
            )
        )
    return found
