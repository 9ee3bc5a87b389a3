"""Helpers of the import tests: the registry's own exports, edited as a spreadsheet would,
uploaded through the import's service."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.services import import_job_apply, import_job_start
from tests import factories


def export(client, endpoint: str, query: str = "") -> str:
    """The public CSV export of ``endpoint`` (``partnerships``, ``agreements``)."""
    response = client.get(f"/api/v1/{endpoint}/?format=csv{'&' + query if query else ''}")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def table(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames), list(reader)


def to_csv(header: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def upload(user, text: str | bytes, name: str = "registry.csv"):
    content = text.encode() if isinstance(text, str) else text
    return import_job_start(actor=user, file=SimpleUploadedFile(name, content))


def apply(job):
    return import_job_apply(job=job, actor=job.created_by)


def rows_of(job, action: str | None = None) -> list[dict]:
    return [row for row in job.preview["rows"] if action is None or row["action"] == action]


def edited(text: str, edit) -> str:
    """The CSV ``text`` with ``edit(rows)`` applied to its rows (a list of dicts)."""
    header, rows = table(text)
    rows = edit(rows) or rows
    return to_csv(header, rows)


@pytest.fixture
def focus_area():
    return factories.FocusAreaFactory(slug="domestic-violence")
