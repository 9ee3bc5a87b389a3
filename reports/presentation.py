"""A stored snapshot, read back for the page, the PDF and the CSV: the same content in
each, with its charts as inline SVG."""

from __future__ import annotations

import json
from collections.abc import Iterator

from .models import Report
from .snapshot import SECTIONS


def report_context(report: Report) -> dict:
    snapshot = json.loads(report.snapshot)
    return {
        "report": report,
        "snapshot": snapshot,
        "sections": dict(SECTIONS),
        "completeness_bars": bars(
            [
                (s["title"], 100 if s["has_data"] else 0)
                for s in snapshot["completeness"]["sections"]
            ]
        ),
        "totals_bars": bars(
            [
                (f"{row['name']} ({row['unit']})", float(row["total"]))
                for row in snapshot["activity_totals"]
            ]
        ),
    }


def bars(rows: list[tuple[str, float]], width: int = 300) -> list[dict]:
    """Horizontal bars of an inline SVG chart: each label, value and bar length."""
    top = max((value for _, value in rows), default=0) or 1
    return [
        {"label": label, "value": value, "length": round(width * value / top), "y": 22 * i}
        for i, (label, value) in enumerate(rows)
    ]


def csv_rows(report: Report) -> Iterator[list]:
    """The report as rows of ``section, record, field, value``: every value of the
    snapshot, flattened; a withheld value is empty and its row says "withheld"."""
    snapshot = json.loads(report.snapshot)
    yield ["section", "record", "field", "value"]
    yield ["report", "", "partnership", snapshot["partnership"]["title"]]
    yield ["report", "", "year", snapshot["year"]]
    yield ["report", "", "version", report.version]
    yield ["report", "", "status", report.status]
    yield ["report", "", "sha256", report.sha256]
    yield ["report", "", "completeness", f"{snapshot['completeness']['score']}%"]
    for key, _ in (("partnership", ""), *SECTIONS, ("activity_totals", ""), ("withheld", "")):
        value = snapshot[key]
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items, start=1):
            yield from _flatten(key, str(index) if isinstance(value, list) else "", item)


def _flatten(section: str, record: str, value, field: str = "") -> Iterator[list]:
    if isinstance(value, dict):
        withheld = set(value.get("withheld_fields", ()))
        for name, inner in value.items():
            if name == "withheld_fields":
                continue
            path = f"{field}.{name}" if field else name
            if name in withheld:
                yield [section, record, path, "withheld"]
            else:
                yield from _flatten(section, record, inner, path)
    elif isinstance(value, list):
        for index, inner in enumerate(value, start=1):
            yield from _flatten(
                section, f"{record}.{index}" if record else str(index), inner, field
            )
    else:
        yield [section, record, field, "" if value is None else value]
