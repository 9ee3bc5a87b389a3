"""The registry's headline figures, for ``/api/v1/stats/`` and the home page.

Everything is counted over public records only (``.public()``: published, and not
restricted), with a fixed number of aggregate queries whatever the size of the registry.

A breakdown by a field that may be withheld from the public (a partnership's region, its
date of establishment) never tells a withheld value: those records are counted under the
key ``withheld``, listed when there are some, whatever their value.
"""

import datetime as dt

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy, gettext_noop
from django_countries import countries

from agreements.models import Agreement, RiskLevel
from feedback.statistics import feedback_figures
from incidents.models import Incident
from oversight.models import Flag, Review
from partnerships.models import FocusArea, Partnership, Region
from partnerships.search import WithheldValues

WITHHELD = "withheld"
WITHHELD_ROW = {"key": WITHHELD, "label": gettext_noop("Withheld")}


def _breakdown(choices, counts: dict) -> list[dict]:
    """Every choice in its declared order, zeros included, so charts have stable axes."""
    return [
        {"key": value, "label": label, "count": counts.get(value, 0)} for value, label in choices
    ]


def _counts(queryset, field: str) -> dict:
    rows = queryset.order_by().values(field).annotate(n=Count("pk", distinct=True))
    return {row[field]: row["n"] for row in rows}


def _counts_unless_withheld(queryset, field: str, withheld: str) -> dict:
    """``_counts`` by ``field``, the records whose ``withheld`` field is withheld from the
    public counted under ``WITHHELD`` whatever their value (one query)."""
    records = WithheldValues(queryset.model).records([withheld])
    rows = (
        queryset.order_by()
        .annotate(is_withheld=ExpressionWrapper(Q(pk__in=records), output_field=BooleanField()))
        .values(field, "is_withheld")
        .annotate(n=Count("pk", distinct=True))
    )
    counts = {}
    for row in rows:
        key = WITHHELD if row["is_withheld"] else row[field]
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def _withheld_row(counts: dict) -> list[dict]:
    return [WITHHELD_ROW | {"count": counts[WITHHELD]}] if counts.get(WITHHELD) else []


# How many months of flag activity the figures cover, the current one included.
FLAG_MONTHS = 12


def _months_back(today, months: int) -> list:
    """The first day of each of the last ``months`` months, oldest first."""
    year, month = today.year, today.month
    firsts = []
    for _ in range(months):
        firsts.append(today.replace(year=year, month=month, day=1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return firsts[::-1]


def _per_month(flags, field: str, since) -> dict:
    rows = (
        flags.filter(**{f"{field}__gte": since})
        .order_by()
        .annotate(month=TruncMonth(field))
        .values("month")
        .annotate(n=Count("pk"))
    )
    return {timezone.localdate(row["month"]).replace(day=1): row["n"] for row in rows}


def month_label(key: str) -> str:
    """A month of ``flags_by_month`` ("2026-01") in the active language's format
    (``YEAR_MONTH_FORMAT``): "January 2026", "enero de 2026", "janvier 2026"."""
    return date_format(dt.date.fromisoformat(f"{key}-01"), "YEAR_MONTH_FORMAT")


def flags_by_month(flags, today) -> list[dict]:
    """Flags raised and closed in each of the last ``FLAG_MONTHS`` months (in the
    registry's time zone), every month listed, zeros included: ``key`` "2026-01", and its
    ``label`` in the active language (a stored summary's, in the reader's when it is read:
    ``public.summary.current_figures``)."""
    months = _months_back(today, FLAG_MONTHS)
    since = timezone.make_aware(dt.datetime.combine(months[0], dt.time.min))
    raised = _per_month(flags, "raised_at", since)
    closed = _per_month(flags, "resolved_at", since)
    return [
        {
            "key": f"{month:%Y-%m}",
            "label": month_label(f"{month:%Y-%m}"),
            "raised": raised.get(month, 0),
            "closed": closed.get(month, 0),
        }
        for month in months
    ]


def review_figures(reviews) -> dict:
    """How many of the ``reviews`` are completed, how many of those are independent
    (``ReviewQuerySet.not_independent_condition``) and their share, and the reviews by
    conflict-of-interest declaration; one query."""
    completed = Q(status=Review.Status.COMPLETED)
    declarations = Review.ConflictOfInterest.choices
    totals = reviews.order_by().aggregate(
        total=Count("pk"),
        completed=Count("pk", filter=completed),
        completed_independent=Count("pk", filter=completed & ~reviews.not_independent_condition()),
        **{value: Count("pk", filter=Q(conflict_of_interest=value)) for value, _ in declarations},
    )
    return {
        "total": totals["total"],
        "completed": totals["completed"],
        "completed_independent": totals["completed_independent"],
        "share_completed_independent": (
            round(totals["completed_independent"] / totals["completed"], 4)
            if totals["completed"]
            else None
        ),
        "by_conflict_of_interest": _breakdown(declarations, totals),
    }


def incident_figures() -> dict:
    """Published incidents (``Incident.objects.public()``) by kind, how they were found,
    status and year of discovery, and the data breaches notified late without a reason
    (the rule of the ``breach_notified_late`` flag). Two queries."""
    incidents = Incident.objects.public()
    late = incidents.notified_late(timezone.now()).values("pk")
    rows = (
        incidents.order_by()
        .annotate(year=ExtractYear("discovered_at"))
        .values("kind", "how_found", "status", "year")
        .annotate(n=Count("pk", distinct=True), late=Count("pk", filter=Q(pk__in=late)))
    )
    tally = {field: {} for field in ("kind", "how_found", "status", "year")}
    late_count = 0
    for row in rows:
        late_count += row["late"]
        for field, counts in tally.items():
            counts[row[field]] = counts.get(row[field], 0) + row["n"]
    return {
        "total": sum(tally["kind"].values()),
        "by_kind": _breakdown(Incident.Kind.choices, tally["kind"]),
        "by_how_found": _breakdown(Incident.HowFound.choices, tally["how_found"]),
        "by_status": _breakdown(Incident.Status.choices, tally["status"]),
        "by_year_discovered": [
            {"key": str(year), "label": str(year), "count": tally["year"][year]}
            for year in sorted(tally["year"])
        ],
        "data_breaches": tally["kind"].get(Incident.Kind.DATA_BREACH, 0),
        "data_breaches_notified_late": late_count,
    }


def registry_figures() -> dict:
    """Counts of public partnerships by region, focus area, status and year established;
    public agreements by status and risk level, with the share of active agreements that
    have an independent auditor, and how many in force are past their review date; reviews
    of public agreements (``review_figures``); flags on public agreements by kind (open) and
    state, and raised and closed per month.

    Each breakdown is a list of ``{"key", "label", "count"}`` listing every possible key;
    by region and by year, the partnerships whose region or date is withheld are counted
    under ``withheld`` (listed when there are some).
    """
    partnerships = Partnership.objects.public()
    agreements = Agreement.objects.public()
    flags = Flag.objects.public()

    focus_counts = {
        row["slug"]: row["n"]
        for row in FocusArea.objects.order_by()
        .annotate(n=Count("partnerships", filter=Q(partnerships__in=partnerships)))
        .values("slug", "n")
    }
    focus_areas = FocusArea.objects.order_by("name").values_list("slug", "name")
    by_year = _counts_unless_withheld(
        partnerships.annotate(year=ExtractYear("established_on")), "year", "established_on"
    )
    years = sorted(year for year in by_year if year not in (None, WITHHELD))
    year_rows = [{"key": str(y), "label": str(y), "count": by_year[y]} for y in years]
    if None in by_year:
        year_rows.append(
            {"key": "unknown", "label": gettext_noop("Unknown"), "count": by_year[None]}
        )
    year_rows += _withheld_row(by_year)
    by_region = _counts_unless_withheld(partnerships, "region", "region")

    active = agreements.filter(status=Agreement.Status.ACTIVE)
    # Two counts, each served by an index: a filter of one count by a subquery of the other
    # may be planned row by row, which takes minutes over a million agreements.
    active_totals = {
        "total": active.count(),
        "with_auditor": active.with_independent_auditor().count(),
    }
    share = (
        round(active_totals["with_auditor"] / active_totals["total"], 4)
        if active_totals["total"]
        else None
    )
    today = timezone.localdate()
    flag_totals = flags.aggregate(
        open=Count("pk", filter=Q(resolved_at__isnull=True)),
        closed=Count("pk", filter=Q(resolved_at__isnull=False)),
    )

    return {
        "partnerships": {
            "total": partnerships.count(),
            "by_region": _breakdown(Region.choices, by_region) + _withheld_row(by_region),
            "by_focus_area": _breakdown(focus_areas, focus_counts),
            "by_status": _breakdown(Partnership.Status.choices, _counts(partnerships, "status")),
            "by_year_established": year_rows,
        },
        "agreements": {
            "total": agreements.count(),
            "by_status": _breakdown(Agreement.Status.choices, _counts(agreements, "status")),
            "by_risk_level": _breakdown(
                RiskLevel.choices, _counts(agreements.with_risk_level(), "derived_risk_level")
            ),
            "active": active_totals["total"],
            "active_with_independent_auditor": active_totals["with_auditor"],
            "share_active_with_independent_auditor": share,
            "review_overdue": agreements.review_overdue(today).count(),
        },
        "reviews": review_figures(Review.objects.public()),
        "flags": {
            "open": flag_totals["open"],
            "closed": flag_totals["closed"],
            "open_by_kind": _breakdown(Flag.Kind.choices, _counts(flags.open(), "kind")),
            "by_month": flags_by_month(flags, today),
        },
        "feedback": feedback_figures(),
        "incidents": incident_figures(),
        "by_country": country_figures(),
    }


# Counts by country ----------------------------------------------------------------------

# What is counted by the country of the partnership (``country_figures``), in this order:
# the stats API's ``by_country`` keys and the map's measures, with their labels.
COUNTRY_MEASURES = {
    "partnerships": gettext_lazy("Public partnerships"),
    "agreements": gettext_lazy("Public agreements"),
    "high_risk_agreements": gettext_lazy("High-risk agreements"),
    "open_flags": gettext_lazy("Open flags"),
    "incidents": gettext_lazy("Public incidents"),
}
UNKNOWN_COUNTRY = "unknown"


def _counts_by_country(queryset, partnership: str, **measures) -> dict[str, dict]:
    """Each of ``measures`` (aggregates over ``queryset``) by the country of the partnership
    whose id is the row's ``partnership`` ("pk" for partnerships themselves), as
    ``{measure: {country: count}}``: the rows whose partnership's country is withheld from
    the public are counted under ``WITHHELD``, whatever it is (one query)."""
    country = "country" if partnership == "pk" else f"{partnership}__country"
    withheld = WithheldValues(Partnership).records(["country"])
    rows = (
        queryset.order_by()
        .annotate(
            country_withheld=ExpressionWrapper(
                Q(**{f"{partnership}__in": withheld}), output_field=BooleanField()
            )
        )
        .values(country, "country_withheld")
        .annotate(**measures)
    )
    counts: dict[str, dict] = {name: {} for name in measures}
    for row in rows:
        key = WITHHELD if row["country_withheld"] else (row[country] or UNKNOWN_COUNTRY)
        for name in measures:
            if row[name]:
                counts[name][key] = counts[name].get(key, 0) + row[name]
    return counts


def _country_rows(counts: dict) -> list[dict]:
    """The countries counted, by ISO code; then those unknown, then withheld (if any)."""
    codes = sorted(key for key in counts if key not in (WITHHELD, UNKNOWN_COUNTRY))
    rows = [{"key": code, "label": countries.name(code), "count": counts[code]} for code in codes]
    if counts.get(UNKNOWN_COUNTRY):
        rows.append(
            {
                "key": UNKNOWN_COUNTRY,
                "label": gettext_noop("Unknown"),
                "count": counts[UNKNOWN_COUNTRY],
            }
        )
    return rows + _withheld_row(counts)


def country_figures() -> dict[str, list[dict]]:
    """Public partnerships, their public agreements, those of high risk (the risk rule,
    ``with_risk_level``), the open flags of public agreements and the public incidents, by
    the partnership's country (``COUNTRY_MEASURES``): for each, a ``{"key", "label",
    "count"}`` list of the countries with at least one, by ISO 3166-1 alpha-2 code, then
    ``withheld`` for the records whose partnership's country is withheld from the public
    (listed when there are some). Four queries.
    """
    high_risk = Q(derived_risk_level=RiskLevel.HIGH)
    counts = (
        _counts_by_country(
            Partnership.objects.public(), "pk", partnerships=Count("pk", distinct=True)
        )
        | _counts_by_country(
            Agreement.objects.public().with_risk_level(),
            "partnership",
            agreements=Count("pk"),
            high_risk_agreements=Count("pk", filter=high_risk),
        )
        | _counts_by_country(
            Flag.objects.public().open(), "agreement__partnership", open_flags=Count("pk")
        )
        # An incident on the agreements of partnerships in two countries counts in both.
        | _counts_by_country(
            Incident.objects.public(),
            "agreements__partnership",
            incidents=Count("pk", distinct=True),
        )
    )
    return {measure: _country_rows(counts[measure]) for measure in COUNTRY_MEASURES}
