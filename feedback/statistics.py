"""Feedback in figures: the stats' counts and the methodology page's moderation
statistics per quarter (received, published, hidden by reason, median time to decision).

The transparency report, when it exists, reads ``moderation_by_quarter`` too.
"""

import statistics as stats

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from .models import Feedback


def feedback_figures() -> dict:
    """Public feedback: how many items, published, answered, and by category; one query."""
    public = Feedback.objects.public()
    responded = Q(response__isnull=False)
    totals = public.order_by().aggregate(
        total=Count("pk"),
        published=Count("pk", filter=Q(status=Feedback.Status.PUBLISHED)),
        answered=Count("pk", filter=responded),
        **{value: Count("pk", filter=Q(category=value)) for value in Feedback.Category.values},
    )
    return {
        "total": totals["total"],
        "published": totals["published"],
        "answered": totals["answered"],
        "by_category": [
            {"key": value, "label": label, "count": totals[value]}
            for value, label in Feedback.Category.choices
        ],
    }


def _quarter(moment) -> tuple[int, int]:
    local = timezone.localtime(moment)
    return local.year, (local.month - 1) // 3 + 1


def moderation_by_quarter() -> list[dict]:
    """Per quarter of confirmation (newest first): items received (confirmed), published,
    hidden by reason, and the median hours from confirmation to the latest decision."""
    rows = (
        Feedback.objects.exclude(confirmed_at=None)
        .order_by()
        .values("confirmed_at", "decided_at", "status", "hidden_reason")
    )
    quarters: dict[tuple[int, int], dict] = {}
    for row in rows:
        quarter = quarters.setdefault(
            _quarter(row["confirmed_at"]),
            {
                "received": 0,
                "published": 0,
                "hidden": dict.fromkeys(Feedback.HiddenReason.values, 0),
                "hours": [],
            },
        )
        quarter["received"] += 1
        if row["status"] == Feedback.Status.PUBLISHED:
            quarter["published"] += 1
        if row["status"] == Feedback.Status.HIDDEN:
            quarter["hidden"][row["hidden_reason"]] += 1
        if row["decided_at"] is not None:
            hours = (row["decided_at"] - row["confirmed_at"]).total_seconds() / 3600
            quarter["hours"].append(hours)
    labels = dict(Feedback.HiddenReason.choices)
    return [
        {
            "quarter": gettext("%(year)s Q%(quarter)s") % {"year": year, "quarter": number},
            "received": quarter["received"],
            "published": quarter["published"],
            "hidden": [(labels[reason], n) for reason, n in quarter["hidden"].items()],
            "hidden_total": sum(quarter["hidden"].values()),
            "median_hours_to_decision": (
                round(stats.median(quarter["hours"]), 1) if quarter["hours"] else None
            ),
        }
        for (year, number), quarter in sorted(quarters.items(), reverse=True)
    ]
