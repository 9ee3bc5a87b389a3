"""Formula injection, both ways: the export neutralises a cell a spreadsheet would run,
the import takes exactly that neutralising off again (and evaluates nothing), so a round
trip gives back the very text."""

import pytest

from agreements.models import Agreement
from core.csv import csv_cell, csv_items, csv_text
from tests import factories

from .conftest import apply, edited, export, table, upload

pytestmark = pytest.mark.django_db

TEXTS = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "'=already quoted",
    "''twice",
    "'",
    "plain text",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_reading_a_cell_back_gives_the_text_that_was_written(text):
    assert csv_text(csv_cell(text)) == text
    assert not csv_cell(text).startswith(("=", "+", "-", "@", "\t"))


def test_a_list_cell_reads_back_item_by_item():
    items = ["=a", "b", "-c"]
    assert csv_items(csv_cell(items)) == items


def test_formulas_in_a_record_survive_an_export_and_an_import_unchanged(
    client, ngo_editor, partnership
):
    agreement = factories.AgreementFactory(
        partnership=partnership,
        title="=cmd|' /C calc'!A0",
        reference="@REF",
        public_summary="+31 20 555 0100 is the hotline",
    )
    text = export(client, "agreements")
    _, [row] = table(text)
    assert row["title"] == "'=cmd|' /C calc'!A0"
    assert row["reference"] == "'@REF"

    job = upload(ngo_editor, text)

    assert job.counts["unchanged"] == 1
    agreement.refresh_from_db()
    assert agreement.title == "=cmd|' /C calc'!A0"


def test_an_imported_formula_is_stored_as_the_text_it_is(client, ngo_editor, partnership):
    factories.AgreementFactory(partnership=partnership, title="Existing")

    def edit(rows):
        rows.append(
            dict(
                rows[0],
                reference="'=1+1",  # neutralised, as the export writes it
                title='=HYPERLINK("http://evil.example")',  # typed raw into a spreadsheet
                public_summary="''quoted",
            )
        )

    job = apply(upload(ngo_editor, edited(export(client, "agreements"), edit)))

    assert job.result["created"] == 1
    new = Agreement.objects.get(reference="=1+1")
    assert new.title == '=HYPERLINK("http://evil.example")'
    assert new.public_summary == "'quoted"
    # And it leaves the registry neutralised again.
    Agreement.objects.filter(pk=new.pk).update(publication_status="published")
    _, rows = table(export(client, "agreements"))
    [row] = [row for row in rows if row["id"] == str(new.pk)]
    assert row["reference"] == "'=1+1"
    assert row["title"] == "'" + new.title
    assert row["public_summary"] == "''quoted"
