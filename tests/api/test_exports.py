"""?format=csv and ?format=json: every matching row, streamed, with the list's filters."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.models import Agreement
from core.api.viewsets import EXPORT_CHUNK_SIZE
from core.csv import csv_cell
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = ["organizations", "partnerships", "agreements", "reviews", "flags"]


def content(response) -> str:
    assert response.streaming is True
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content(response))))


@pytest.mark.parametrize("endpoint", LISTS)
@pytest.mark.parametrize("query", ["", "region=europe", "search=safe"])
def test_exports_hold_the_same_ids_as_the_paginated_list(client, registry, endpoint, query):
    if endpoint == "organizations" and query == "region=europe":
        query = "kind=ngo"
    factories.ReviewFactory(agreement=registry.safe_homes_mou)
    pages, url = [], f"/api/v1/{endpoint}/?{query}&page_size=2"
    while url:
        page = client.get(url).json()
        pages += [item["id"] for item in page["results"]]
        url = page["next"]
    as_json = json.loads(content(client.get(f"/api/v1/{endpoint}/?{query}&format=json")))
    as_csv = csv_rows(client.get(f"/api/v1/{endpoint}/?{query}&format=csv"))
    assert [item["id"] for item in as_json] == pages
    assert [int(row["id"]) for row in as_csv] == pages
    # The JSON export holds the very objects of the list.
    first_page = client.get(f"/api/v1/{endpoint}/?{query}").json()["results"]
    assert as_json[: len(first_page)] == first_page


def test_csv_has_a_header_a_file_name_and_flat_lists(client, registry):
    response = client.get("/api/v1/agreements/?format=csv&ordering=title")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="registry-agreements-')
    assert disposition.endswith('.csv"')
    assert response["X-Data-Licence"] == "CC BY 4.0"
    text = content(response)
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["id", "url", "html_url"]
    assert {"data_categories", "open_flags", "risk_level", "has_independent_auditor"} <= set(header)
    factories.DataSharingTermFactory(
        agreement=registry.safe_homes_mou, data_category="location_data"
    )
    rows = csv_rows(client.get("/api/v1/agreements/?format=csv&risk_level=high"))
    assert [row["data_categories"] for row in rows] == ["location_data;personal_identifiable"]
    assert rows[0]["has_independent_auditor"] == "false"
    json_response = client.get("/api/v1/flags/?format=json")
    assert json_response["Content-Disposition"].endswith('.json"')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("A plain title", "A plain title"),
    ],
)
def test_csv_neutralises_formulas(text, expected):
    assert csv_cell(text) == expected


def test_a_formula_typed_into_a_title_is_neutralised_in_the_export(client, registry):
    Agreement.objects.filter(pk=registry.safe_homes_mou.pk).update(title="=cmd|' /C calc'!A0")
    [row] = csv_rows(client.get("/api/v1/agreements/?format=csv&risk_level=high"))
    assert row["title"] == "'=cmd|' /C calc'!A0"


def test_an_export_of_10000_rows_streams_in_chunks(client, registry):
    Agreement.objects.bulk_create(
        Agreement(
            partnership=registry.trafficking_watch,
            title=f"Bulk agreement {n:05}",
            status="draft",
            publication_status="published",
        )
        for n in range(10_000)
    )
    response = client.get("/api/v1/agreements/?format=csv&status=draft")
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as first:
        header = next(chunks)
        first_chunk = next(chunks)
    assert header.startswith(b"id,url")
    # Only the first chunk of rows was read and presented so far.
    assert first_chunk.count(b"\n") == EXPORT_CHUNK_SIZE
    with CaptureQueriesContext(connection) as rest:
        remaining = list(chunks)
    assert sum(chunk.count(b"\n") for chunk in remaining) == 10_000 - EXPORT_CHUNK_SIZE
    # Each chunk costs the same few queries for its related rows: the row count does not
    # change the cost per chunk, and no query loads every row at once.
    chunks_left = 10_000 // EXPORT_CHUNK_SIZE - 1
    assert len(rest.captured_queries) <= len(first.captured_queries) * chunks_left + 2
