"""The incidents section of a report, behind one function: the published incidents
recorded on the partnership's public agreements, discovered or closed in the period."""

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
        .filter(Q(discovered_at__date__range=(start, end)) | Q(closed_on__range=(start, end)))
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
