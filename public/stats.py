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

from agreements.models import Agreement, RiskLevel
from feedback.statistics import feedback_figures
from oversight.models import Flag, Review
from partnerships.models import FocusArea, Partnership, Region
from partnerships.search import WithheldValues

WITHHELD = "withheld"
WITHHELD_ROW = {"key": WITHHELD, "label": "Withheld"}


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


def flags_by_month(flags, today) -> list[dict]:
    """Flags raised and closed in each of the last ``FLAG_MONTHS`` months (in the
    registry's time zone), every month listed, zeros included."""
    months = _months_back(today, FLAG_MONTHS)
    since = timezone.make_aware(dt.datetime.combine(months[0], dt.time.min))
    raised = _per_month(flags, "raised_at", since)
    closed = _per_month(flags, "resolved_at", since)
    return [
        {
            "key": f"{month:%Y-%m}",
            "label": f"{month:%b %Y}",
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
        year_rows.append({"key": "unknown", "label": "Unknown", "count": by_year[None]})
    year_rows += _withheld_row(by_year)
    by_region = _counts_unless_withheld(partnerships, "region", "region")

    active = agreements.filter(status=Agreement.Status.ACTIVE)
    active_totals = active.aggregate(
        total=Count("pk"),
        with_auditor=Count("pk", filter=Q(pk__in=active.with_independent_auditor().values("pk"))),
    )
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
    }
