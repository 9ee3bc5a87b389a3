"""The registry's headline figures, for ``/api/v1/stats/`` and the home page.

Everything is counted over public records only (``.public()``), with a fixed number of
aggregate queries whatever the size of the registry.
"""

from django.db.models import Count, Q
from django.db.models.functions import ExtractYear

from agreements.models import Agreement, RiskLevel
from oversight.models import Flag

from .models import FocusArea, Partnership, Region


def _breakdown(choices, counts: dict) -> list[dict]:
    """Every choice in its declared order, zeros included, so charts have stable axes."""
    return [
        {"key": value, "label": label, "count": counts.get(value, 0)} for value, label in choices
    ]


def _counts(queryset, field: str) -> dict:
    rows = queryset.order_by().values(field).annotate(n=Count("pk", distinct=True))
    return {row[field]: row["n"] for row in rows}


def registry_figures() -> dict:
    """Counts of public partnerships by region, focus area, status and year established;
    public agreements by status and risk level, with the share of active agreements that
    have an independent auditor; flags on public agreements by kind (open) and state.

    Each breakdown is a list of ``{"key", "label", "count"}`` listing every possible key.
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
    by_year = _counts(partnerships.annotate(year=ExtractYear("established_on")), "year")
    years = sorted(year for year in by_year if year is not None)
    year_rows = [{"key": str(y), "label": str(y), "count": by_year[y]} for y in years]
    if None in by_year:
        year_rows.append({"key": "unknown", "label": "Unknown", "count": by_year[None]})

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
    flag_totals = flags.aggregate(
        open=Count("pk", filter=Q(resolved_at__isnull=True)),
        closed=Count("pk", filter=Q(resolved_at__isnull=False)),
    )

    return {
        "partnerships": {
            "total": partnerships.count(),
            "by_region": _breakdown(Region.choices, _counts(partnerships, "region")),
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
        },
        "flags": {
            "open": flag_totals["open"],
            "closed": flag_totals["closed"],
            "open_by_kind": _breakdown(Flag.Kind.choices, _counts(flags.open(), "kind")),
        },
    }
