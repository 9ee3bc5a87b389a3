"""The registry page's filter panel (``/partnerships/``): which of the API's filters it
shows and how, in words for a reader, with the number of partnerships beside each option;
its sortable columns; its permalinks.

The filters are the API's (``public.filters.PartnershipFilter``): one rule per filter for
both surfaces. Their ``help_text`` documents the API for developers in the OpenAPI schema;
the help a reader needs on the page is declared here, once, in ``PANEL``.

Counts (facets): the count beside option X of filter F is the number of public
partnerships that match every active filter except F's, and F=X: what
``/api/v1/partnerships/`` counts for the same parameters. A count shown is exact; it costs
what the partnerships it is counted over cost, so a request counts over a thousand at most
(``FACETS_COUNTED_UP_TO``) and the counts of the unfiltered registry are read from the
stored summary (``public.summary``); where neither serves, the option is shown without a
count and the panel says why (``facets``). At most one aggregate query per filter, whatever
the size of the registry.

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
from django_filters.constants import EMPTY_VALUES

from core import keyset
from core.api.columns import among
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
    # Said under a select that lists only its options with the most partnerships.
    truncated_help: str = _("Only the options with the most partnerships are listed.")


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
        truncated_help=_(
            "Only the organizations with the most partnerships are listed: the search finds "
            "any other by name."
        ),
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
PANEL_BY_NAME = {spec.name: spec for spec in PANEL}
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

# A count beside an option is exact, or not shown. Counting costs what the partnerships it
# counts over cost, so a request counts over this many at most (the partnerships its
# filters find, or those the other filters find); the unfiltered registry's counts, over
# every partnership, are counted once after each change and stored (``public.summary``).
FACETS_COUNTED_UP_TO = 1_000
# A select lists this many options at most, those with the most partnerships, and the
# chosen one: a registry of 100,000 partnerships has 200,000 parties to list.
SELECT_OPTIONS_SHOWN = 250

Row = tuple[str, str, int | None]  # an option: value, label, count (None: not counted)


@dataclass
class Facets:
    """The options of the panel's filters with options, ``{filter: [(value, label,
    count)]}``; ``truncated``: the selects that list only their ``SELECT_OPTIONS_SHOWN``
    options with the most partnerships."""

    options: dict[str, list[Row]]
    truncated: frozenset[str] = frozenset()

    @property
    def uncounted(self) -> bool:
        """Some option is shown without its count."""
        return any(row[2] is None for rows in self.options.values() for row in rows)

    def stored(self) -> dict:
        """As the summary stores them (JSON)."""
        return {"options": self.options, "truncated": sorted(self.truncated)}

    @classmethod
    def from_stored(cls, stored: dict) -> "Facets":
        """As ``stored()`` stored them, their labels in the reader's language (a choice's
        label and a country's name; an organization's or a focus area's name is its own)."""
        options = {}
        for name, rows in stored["options"].items():
            labels = {}
            if name == "country":
                labels = {value: countries.name(value) for value, _label, _count in rows}
            elif PANEL_BY_NAME[name].control != SELECT:
                labels = dict(choices_of(name))
            options[name] = [
                (value, labels.get(value, label), count) for value, label, count in rows
            ]
        return cls(options, frozenset(stored["truncated"]))


def _in_force(filterset: PartnershipFilter) -> dict:
    """The values of the filters the valid ``filterset`` applies (its ordering aside)."""
    return {
        name: value
        for name, value in filterset.form.cleaned_data.items()
        if name not in NOT_IN_PANEL and value not in EMPTY_VALUES
    }


def _chosen(filterset: PartnershipFilter, name: str) -> set[str]:
    """The values of the filter ``name`` in force, as its options name them."""
    value = filterset.form.cleaned_data.get(name)
    if value in EMPTY_VALUES:
        return set()
    if isinstance(value, bool):
        return {"true" if value else "false"}
    if isinstance(value, (list, tuple)):
        return {str(item) for item in value}
    return {str(value).strip()}


def _selected(filterset: PartnershipFilter, values: dict, within=None):
    """The public partnerships (of ``within``, a query of their ids, when given)
    ``filterset`` selects with the form's ``values`` in place of its own:
    ``FilterSet.filter_queryset``, whatever it does, without building another FilterSet for
    each option (it deep-copies every filter and its choices)."""
    partnerships = Partnership.objects.public()
    if within is not None:
        partnerships = partnerships.filter(pk__in=within)
    form = filterset.form
    own = form.cleaned_data
    form.cleaned_data = values
    try:
        return filterset.filter_queryset(partnerships).order_by().values("pk")
    finally:
        form.cleaned_data = own


# Each function below counts over ``matching``, a query of the ids of the partnerships
# counted (all of them, for the summary; a few for a request), and reads no other
# partnership: its cost is that of the partnerships counted, whatever the registry's size.


def _counts_by_yes_no(filterset, name: str, matching) -> dict[str, int]:
    """A yes/no filter: the ``matching`` partnerships that the filter with "yes" selects
    (the filter as it is, whatever it does), and the others for "no", counted in one
    query: each yes/no filter of the registry selects with "no" what "yes" leaves out (an
    agreement with a property, or none has it), as the API counts them
    (``tests/public/test_registry_filters.py``)."""
    yes = _selected(filterset, {name: True}, within=matching)
    totals = Partnership.objects.filter(pk__in=matching).aggregate(
        every=Count("pk"), yes=Count("pk", filter=Q(pk__in=yes))
    )
    return {"true": totals["yes"], "false": totals["every"] - totals["yes"]}


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


# A select's options are those that find something among ``matching``.


def _focus_area_options(filterset, matching) -> list[Row]:
    """``filter_focus_area``: a partnership with that focus area."""
    areas = (
        FocusArea.objects.filter(partnerships__in=matching)
        .values("slug", "name")
        .annotate(n=Count("partnerships", distinct=True))
        .order_by("name", "slug")
    )
    return [(row["slug"], row["name"], row["n"]) for row in areas]


def _organization_options(filterset, matching) -> list[Row]:
    """``filter_organization``: a party to the partnership (a public organization)."""
    parties = (
        filterset.parties()
        .filter(partnership__in=matching)
        .values("organization__slug", "organization__name")
        .annotate(n=Count("partnership", distinct=True))
        .order_by("organization__name", "organization__slug")
    )
    return [(row["organization__slug"], row["organization__name"], row["n"]) for row in parties]


def _country_options(filterset, matching) -> list[Row]:
    """``CountryUnlessWithheld``: that country, unless the partnership's is withheld."""
    rows = (
        Partnership.objects.public()
        .filter(pk__in=matching)
        .filter(~withholds(*filterset.filters["country"].withheld))
        .exclude(country="")
        .order_by()
        .values("country")
        .annotate(n=Count("pk"))
    )
    options = [(row["country"], countries.name(row["country"]), row["n"]) for row in rows]
    return sorted(options, key=lambda option: option[1])


# How each filter of the panel with options counts them: a CHECKBOXES filter returns
# ``{value: count}``, a SELECT one its options ``[(value, label, count)]``; a YES_NO filter
# is counted by ``_counts_by_yes_no``.
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


def _counted(filterset, spec: PanelFilter, matching, chosen: set[str]) -> tuple[list[Row], bool]:
    """The options of ``spec`` with their counts among ``matching`` (one query), and
    whether they are a select's options with the most partnerships only."""
    if spec.control != SELECT:
        count = _counts_by_yes_no if spec.control == YES_NO else COUNTS[spec.name]
        counts = count(filterset, spec.name, matching)
        rows = [(value, label, counts.get(value, 0)) for value, label in choices_of(spec.name)]
        return rows, False
    rows = COUNTS[spec.name](filterset, matching)
    if len(rows) <= SELECT_OPTIONS_SHOWN:
        return rows, False
    most = sorted(rows, key=lambda row: -row[2])[:SELECT_OPTIONS_SHOWN]
    kept = {row[0] for row in most} | chosen
    return [row for row in rows if row[0] in kept], True


def _options(spec: PanelFilter) -> bool:
    return spec.control in (CHECKBOXES, SELECT, YES_NO)


def unfiltered_facets() -> dict:
    """The options of the registry unfiltered, with their counts over every public
    partnership, as the summary stores them (``Facets.stored``): a fixed number of
    set-based queries, one per filter with options."""
    filterset = PartnershipFilter(QueryDict(), queryset=Partnership.objects.public())
    if not filterset.is_valid():
        raise ValueError(filterset.errors.as_json())
    matching = _selected(filterset, {})
    options, truncated = {}, set()
    for spec in filter(_options, PANEL):
        options[spec.name], is_truncated = _counted(filterset, spec, matching, set())
        if is_truncated:
            truncated.add(spec.name)
    return Facets(options, frozenset(truncated)).stored()


def facets(filterset: PartnershipFilter, count: keyset.Count, stored) -> Facets:
    """The options of the panel's filters for the valid ``filterset``, whose partnerships
    ``count`` counts, each with what the API counts for the other filters in force and
    that option; ``stored()`` the summary's ``unfiltered_facets()``. A count is:

    1. read from the summary when no other filter is in force (the registry unfiltered);
    2. else counted, when the partnerships it is counted over are at most
       ``FACETS_COUNTED_UP_TO`` (those of ``filterset`` when the filter is not in force,
       else those of the other filters, as the planner expects them);
    3. else, for an option chosen, counted over the partnerships of ``filterset`` (its
       partnerships are among them);
    4. else not shown (None), the option listed as the summary lists it.

    A fixed number of queries for given filters, whatever the registry's size: one per
    filter with options, one estimate per such filter in force, and the summary's two, each
    as needed (and the ids of the filterset's partnerships, unless ``count`` has them)."""
    if not filterset.is_valid():
        raise ValueError(f"Counts need valid filters: {filterset.errors.as_json()}")
    applied = _in_force(filterset)
    summary = None

    def unfiltered() -> Facets:
        nonlocal summary
        if summary is None:
            summary = Facets.from_stored(stored())
        return summary

    matching = None
    if not count.is_estimate and count.value <= FACETS_COUNTED_UP_TO and applied:
        # Selected once (as counted: ``keyset.cheap_count(..., with_ids=True)``), not once
        # per filter: a search, say.
        ids = count.ids
        if ids is None:
            ids = _selected(filterset, filterset.form.cleaned_data).values_list("pk", flat=True)
        matching = among(list(ids))
    options, truncated = {}, set()
    for spec in filter(_options, PANEL):
        name = spec.name
        others = {key: value for key, value in applied.items() if key != name}
        chosen = _chosen(filterset, name)
        rows, is_truncated = None, False
        if not others:
            rows, is_truncated = unfiltered().options[name], name in unfiltered().truncated
        elif matching is not None and name not in applied:
            rows, is_truncated = _counted(filterset, spec, matching, chosen)
        elif matching is not None:
            around = _selected(filterset, others)
            if keyset.planner_estimate(around) <= FACETS_COUNTED_UP_TO:
                rows, is_truncated = _counted(filterset, spec, around, chosen)
            else:
                found = {row[0]: row[2] for row in _counted(filterset, spec, matching, chosen)[0]}
                rows = _uncounted(unfiltered(), name, {v: found.get(v, 0) for v in chosen})
                is_truncated = name in unfiltered().truncated
        if rows is None:
            rows = _uncounted(unfiltered(), name, {})
            is_truncated = name in unfiltered().truncated
        listed = {row[0] for row in rows}
        # A chosen value the options lack (an unknown slug; or, in a select listing only
        # its options with the most partnerships, one with fewer): found nowhere, unless
        # left out of a shortened list or not counted.
        missing = 0 if not is_truncated and all(row[2] is not None for row in rows) else None
        rows = [*rows, *((value, value, missing) for value in sorted(chosen - listed))]
        options[name] = rows
        if is_truncated:
            truncated.add(name)
    return Facets(options, frozenset(truncated))


def _uncounted(unfiltered: Facets, name: str, counts: dict[str, int]) -> list[Row]:
    """The options of ``name`` as the summary lists them, with ``counts`` only."""
    rows = [(value, label, counts.get(value)) for value, label, _count in unfiltered.options[name]]
    listed = {row[0] for row in rows}
    return rows + [(value, value, n) for value, n in counts.items() if value not in listed]


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
    # A select listing only its options with the most partnerships (``Facets.truncated``).
    truncated: bool = False

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
    params: QueryDict, facets: Facets, errors: dict, *, counted: bool
) -> list[PanelField]:
    """The fields of the panel with the request's values; the options from ``facets``,
    their counts shown when ``counted``."""
    fields = []
    for spec in PANEL:
        label = spec.label or PartnershipFilter.base_filters[spec.name].label
        panel_field = PanelField(spec, label, errors=list(errors.get(spec.name, [])))
        if spec.name in facets.options:
            panel_field.truncated = spec.name in facets.truncated
            chosen = [value for value in params.getlist(spec.name) if value != ""]
            rows = list(facets.options[spec.name])
            listed = {value for value, _label, _count in rows}
            # A chosen value the options lack (an unknown slug) stays visible and chosen.
            exact = not panel_field.truncated and all(row[2] is not None for row in rows)
            missing = 0 if exact else None
            rows += [(value, value, missing) for value in chosen if value not in listed]
            if spec.control == SELECT:
                # Only the options that would find something (or may), and the chosen one.
                rows = [row for row in rows if row[2] != 0 or row[0] in chosen]
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
