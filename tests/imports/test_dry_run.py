"""The dry run: what each row of a file would do (create, change with the changed fields,
unchanged, errors naming their column), and it writes nothing."""

import json

import pytest

from agreements.models import Agreement, AgreementEvent
from imports.models import ImportJob
from partnerships.models import Partnership
from tests import factories

from .conftest import edited, export, rows_of, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def mou(partnership):
    agreement = factories.AgreementFactory(
        partnership=partnership,
        title="Referral MOU",
        reference="MOU-1",
        expires_on="2027-01-01",
        public_summary="Referrals of survivors.",
    )
    factories.DataSharingTermFactory(agreement=agreement, retention_days=365)
    return agreement


def test_an_export_imported_unedited_changes_nothing(client, ngo_editor, mou):
    for endpoint in ("partnerships", "agreements"):
        job = upload(ngo_editor, export(client, endpoint))

        assert job.status == ImportJob.Status.CHECKED
        assert job.counts["unchanged"] == 1
        assert job.counts["create"] == job.counts["change"] == job.counts["error"] == 0
        assert job.can_apply is False


def test_a_changed_cell_is_a_change_with_its_old_and_new_value(client, ngo_editor, mou):
    def edit(rows):
        rows[0]["expires_on"] = "2028-06-30"
        rows[0]["title"] = "Referral MOU, renewed"  # found by its reference

    job = upload(ngo_editor, edited(export(client, "agreements"), edit))

    [row] = rows_of(job, "change")
    assert row["key"] == f"{mou.partnership.slug} · MOU-1"
    changes = {change["column"]: (change["old"], change["new"]) for change in row["changes"]}
    assert changes == {
        "title": ("Referral MOU", "Referral MOU, renewed"),
        "expires_on": ("2027-01-01", "2028-06-30"),
    }
    # Published: the change would wait for a second pair of eyes.
    assert row["proposed"] is True
    assert job.can_apply is True


def test_a_term_changed_in_the_json_cell_is_a_change_of_that_field(client, ngo_editor, mou):
    def edit(rows):
        terms = json.loads(rows[0]["data_sharing_terms"])
        terms[0]["retention_days"] = 90
        rows[0]["data_sharing_terms"] = json.dumps(terms)

    job = upload(ngo_editor, edited(export(client, "agreements"), edit))

    [row] = rows_of(job, "change")
    assert [(c["what"], c["old"], c["new"]) for c in row["changes"]] == [
        ("term aggregate_statistics (police_to_ngo): retention_days", "365", "90")
    ]


def test_a_row_of_an_agreement_the_registry_lacks_is_a_creation(client, ngo_editor, mou):
    def edit(rows):
        new = dict(rows[0], id="999999", reference="MOU-2", title="Second MOU")
        new["supersedes"] = "Referral MOU"
        rows.append(new)

    job = upload(ngo_editor, edited(export(client, "agreements"), edit))

    [row] = rows_of(job, "create")
    assert row["row"] == 3
    assert row["key"] == f"{mou.partnership.slug} · MOU-2"
    assert job.counts["unchanged"] == 1


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("signed_on", "1st of May", "Enter a valid date."),
        ("status", "bogus", "Select a valid choice."),
        ("review_interval_months", "-3", "greater than or equal to 0"),
        ("expires_on", "2020-01-01", "cannot expire before it takes effect"),
        ("independent_auditor_slug", "nobody-at-all", "No oversight body"),
        ("data_sharing_terms", "[{", "a JSON list of objects"),
        ("data_sharing_terms", '[{"purpose": ""}]', "Term 1, purpose: This field is required."),
        ("data_sharing_terms", '[{"colour": "red"}]', "Term 1: no such field: colour."),
        ("data_sharing_terms", '[{"purpose": {"a": 1}}]', "give a value, not a list"),
        ("data_sharing_terms", "[" * 100_000, "a JSON list of objects"),
        ("partnership_slug", "no-such-partnership", "No partnership you can see"),
    ],
)
def test_an_error_names_its_column(client, ngo_editor, mou, column, value, message):
    def edit(rows):
        rows[0][column] = value

    job = upload(ngo_editor, edited(export(client, "agreements"), edit))

    [row] = rows_of(job, "error")
    assert [error["column"] for error in row["errors"]] == [column]
    assert message in row["errors"][0]["message"]
    assert job.can_apply is False


def test_a_signed_agreement_without_its_signing_date_is_refused_by_the_model_rule(
    client, ngo_editor, mou
):
    def edit(rows):
        rows[0]["signed_on"] = ""

    job = upload(ngo_editor, edited(export(client, "agreements"), edit))

    [row] = rows_of(job, "error")
    assert row["errors"] == [
        {"column": "signed_on", "message": "An agreement that is active needs its signing date."}
    ]


def test_a_row_of_the_wrong_length_is_that_rows_error(client, ngo_editor, mou):
    text = export(client, "agreements").rstrip("\r\n") + "\r\nonly,three,cells\r\n"

    job = upload(ngo_editor, text)

    [row] = rows_of(job, "error")
    assert row["row"] == 3
    assert "It has 3 cells where the header has" in row["errors"][0]["message"]
    assert job.counts["unchanged"] == 1


def test_a_record_named_twice_is_an_error_on_the_second_row(client, ngo_editor, mou):
    job = upload(ngo_editor, edited(export(client, "agreements"), lambda rows: rows + rows))

    [row] = rows_of(job, "error")
    assert row["row"] == 3
    assert row["errors"][0]["message"] == "Row 2 is about the same record already."


def test_the_dry_run_writes_nothing(client, ngo_editor, mou):
    def edit(rows):
        rows[0]["public_summary"] = "Changed"
        rows.append(dict(rows[0], reference="MOU-9", title="Another"))

    text = edited(export(client, "agreements"), edit)
    events = AgreementEvent.objects.count()

    job = upload(ngo_editor, text)

    assert job.counts["create"] == job.counts["change"] == 1
    mou.refresh_from_db()
    assert mou.public_summary == "Referrals of survivors."
    assert Agreement.objects.count() == 1
    assert AgreementEvent.objects.count() == events


def test_a_withheld_cell_is_not_read(client, ngo_editor, police_editor, mou):
    from agreements.publishing import withholding_add

    withholding_add(
        record=mou,
        field="public_summary",
        reason_code="survivor_safety",
        rationale="It names a shelter.",
        actor=ngo_editor,
    )
    text = export(client, "agreements")
    assert "[withheld: Survivor safety]" in text

    job = upload(ngo_editor, text)

    assert job.counts["unchanged"] == 1
    # Even without the column naming the withheld fields, the marker is never a value.
    header_dropped = edited(text, lambda rows: [{**r, "withheld_fields": ""} for r in rows])
    assert upload(ngo_editor, header_dropped).counts["unchanged"] == 1


def test_a_new_partnership_row_with_its_parties(client, ngo, police, ngo_editor, focus_area):
    factories.partnership_with_parties(ngo=ngo, police=police, slug="first", title="First")

    def edit(rows):
        rows.append(
            dict(
                rows[0],
                slug="",
                title="Second partnership",
                focus_areas="domestic-violence",
                parties=f"{ngo.slug}:lead_ngo;{police.slug}:police_agency",
            )
        )

    job = upload(ngo_editor, edited(export(client, "partnerships"), edit))

    [row] = rows_of(job, "create")
    assert row["key"] == "Second partnership"
    assert Partnership.objects.count() == 1


@pytest.mark.parametrize(
    ("parties", "message"),
    [
        ("safe-harbour:lead_ngo", "these give it no police agency"),
        ("safe-harbour:lead_ngo;riverside-police:chief", "“chief” is not a party's role"),
        ("safe-harbour:lead_ngo;nowhere:police_agency", "No organization has the slug “nowhere”"),
    ],
)
def test_a_partnerships_parties_are_checked(client, ngo_editor, partnership, parties, message):
    def edit(rows):
        rows[0]["parties"] = parties

    job = upload(ngo_editor, edited(export(client, "partnerships"), edit))

    [row] = rows_of(job, "error")
    assert row["errors"][0]["column"] == "parties"
    assert message in row["errors"][0]["message"]
