"""A stored snapshot, read back for the page, the PDF and the CSV: the same content in
each, with its charts as inline SVG.

The snapshot holds its labels in English (it is built in English, so that its bytes and
SHA-256 do not depend on who asked for it). The page and the PDF show them in the reader's
language: a label of the snapshot (``<field>_label``) is the English message it was made
from, so it is looked up in the catalogue (one the catalogue does not hold stays as stored),
and the labels of the codes the snapshot keeps bare (the statuses of the partnership and of
its incidents) come from their choices. The records' changes (from the audit log) and the
names of the records that withhold a value stay as stored. The CSV keeps the snapshot's own
values and its machine column names: it is data, the same whoever downloads it."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.utils.translation import gettext

from incidents.models import Incident
from partnerships.models import Partnership

from .models import Report
from .snapshot import SECTIONS


def report_context(report: Report) -> dict:
    snapshot = in_reader_language(json.loads(report.snapshot))
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


def in_reader_language(snapshot: dict) -> dict:
    """``snapshot`` (changed in place) with its labels in the active language."""
    _translate_labels(snapshot)
    titles = dict(SECTIONS)
    for section in snapshot["completeness"]["sections"]:
        section["title"] = titles.get(section["key"], section["title"])
    head = snapshot["partnership"]
    head["status_label"] = _choice_label(Partnership.Status, head.get("status"))
    for incident in snapshot["incidents"]:
        incident["status_label"] = _choice_label(Incident.Status, incident.get("status"))
    for row in snapshot["activity_totals"]:
        indicator = row["name"]  # an indicator's label, unless the parties named it
        if not row.get("other_name"):
            row["name"] = gettext(indicator)
    return snapshot


def _translate_labels(value) -> None:
    if isinstance(value, list):
        for item in value:
            _translate_labels(item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            if key.endswith("_label") and isinstance(inner, str) and inner:
                value[key] = gettext(inner)
            else:
                _translate_labels(inner)


def _choice_label(choices, code: str | None) -> str:
    """The label of ``code`` among ``choices`` (the code itself if it is not one of them;
    empty if there is none)."""
    if not code:
        return ""
    try:
        return str(choices(code).label)
    except ValueError:
        return code


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
