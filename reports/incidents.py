"""The incidents section of a report, behind one function: the published incidents
recorded on the partnership's public agreements that were open during the period
(discovered by its end, and not closed before its start): an incident still open at the
turn of the year is in both years' reports."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from incidents.models import Incident

from .withheld import masked

FIELDS = ("kind", "title", "occurred_on", "discovered_at", "status", "closed_on", "nature")


def incidents_of(partnership, start: dt.date, end: dt.date, withheld: list[dict]) -> list[dict]:
    rows = list(
        Incident.objects.public()
        .filter(agreements__partnership=partnership)
        .filter(discovered_at__date__lte=end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=start))
        .distinct()
        .order_by("discovered_at", "pk")
        .values("id", *FIELDS)
    )
    masked(
        Incident,
        rows,
        lambda r: f"Incident “{r['title']}”",
        withheld,
        Incident.WITHHOLDABLE_FIELDS,
    )
    for row in rows:
        kind = Incident._meta.get_field("kind")
        row["kind_label"] = str(dict(kind.flatchoices).get(row["kind"], row["kind"]))
    return rows
