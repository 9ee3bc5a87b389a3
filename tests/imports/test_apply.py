"""Applying an import: in one transaction, through the services of the staff forms, so that
their checks, the audit trail, the flags and the publication workflow apply."""

import datetime as dt
import json

import pytest

from agreements import services as agreement_services
from agreements.models import Agreement, AgreementEvent, DataSharingTerm
from agreements.revisions import Replay, revision_approve
from imports.models import ImportJob
from partnerships.models import Partnership, PartnershipParty
from publication.choices import PublicationStatus
from publication.models import Revision
from tests import factories

from .conftest import apply, edited, export, rows_of, upload

pytestmark = pytest.mark.django_db

FLAGGING = "oversight.tasks.run_flagging"


@pytest.fixture
def mou(partnership):
    agreement = factories.AgreementFactory(
        partnership=partnership, title="Referral MOU", reference="MOU-1"
    )
    factories.DataSharingTermFactory(agreement=agreement, retention_days=365)
    return agreement


@pytest.fixture
def sent(monkeypatch):
    """The tasks enqueued by name once a transaction commits."""
    calls = []
    monkeypatch.setattr(
        agreement_services, "enqueue_on_commit", lambda name, **kw: calls.append((name, kw))
    )
    return calls


def new_rows(count: int, template: dict, **values):
    return [
        dict(template, reference=f"NEW-{n}", title=f"New agreement {n}", **values)
        for n in range(count)
    ]


def test_it_creates_new_agreements_as_drafts_with_their_terms(client, ngo_editor, mou, sent):
    def edit(rows):
        return new_rows(3, rows[0], status="signed", effective_from="2025-02-01")

    job = upload(ngo_editor, edited(export(client, "agreements"), edit))
    assert job.counts["create"] == 3

    job = apply(job)

    assert job.status == ImportJob.Status.APPLIED
    assert job.result == {"created": 3, "changed": 0, "proposed": 0}
    created = Agreement.objects.filter(reference__startswith="NEW-").order_by("reference")
    assert [a.title for a in created] == ["New agreement 0", "New agreement 1", "New agreement 2"]
    for agreement in created:
        assert agreement.publication_status == PublicationStatus.DRAFT
        assert agreement.partnership_id == mou.partnership_id
        # The rule of agreement_create: the first review one interval after it takes effect.
        assert agreement.next_review_due == dt.date(2026, 2, 1)
        [term] = agreement.data_sharing_terms.all()
        assert term.retention_days == 365
    # The audit trail names the importing user; the flags are refreshed for all of them.
    event = AgreementEvent.objects.get(pgh_obj_id=created[0].pk, pgh_label="create")
    assert event.pgh_context["user"] == ngo_editor.pk
    assert event.pgh_context["organizations"][0]["slug"] == "safe-harbour"
    assert sent == [(FLAGGING, {"agreement_ids": [a.pk for a in created]})]


def test_a_change_of_a_draft_applies_at_once(client, ngo_editor, partnership):
    draft = factories.AgreementFactory(
        partnership=partnership,
        title="Draft MOU",
        publication_status=PublicationStatus.DRAFT,
        visibility="restricted",
    )
    factories.DataSharingTermFactory(agreement=draft)
    # A draft is not in the public export: the editor writes its row from the export's.
    other = factories.AgreementFactory(partnership=partnership, title="Public MOU")
    text = export(client, "agreements")

    def edit(rows):
        [row] = rows
        row.update(title="Draft MOU", status="negotiating", signed_on="", id="")
        terms = json.loads(row["data_sharing_terms"])
        row["data_sharing_terms"] = json.dumps(
            [{"data_category": "case_records", "direction": "ngo_to_police", "purpose": "X"}]
        )
        assert terms == []

    job = apply(upload(ngo_editor, edited(text, edit)))

    assert job.result == {"created": 0, "changed": 1, "proposed": 0}
    draft.refresh_from_db()
    assert draft.status == "negotiating"
    assert draft.signed_on is None
    assert draft.visibility == "restricted"  # not a column of the export: left as it was
    [term] = draft.data_sharing_terms.all()
    assert (term.data_category, term.purpose) == ("case_records", "X")
    other.refresh_from_db()
    assert other.status == "active"


def test_a_change_of_a_published_agreement_waits_for_approval(
    client, ngo_editor, police_editor, mou
):
    def edit(rows):
        rows[0]["expires_on"] = "2030-12-31"
        terms = json.loads(rows[0]["data_sharing_terms"])
        terms[0]["retention_days"] = 30
        terms.append(
            {"data_category": "case_records", "direction": "ngo_to_police", "purpose": "Files"}
        )
        rows[0]["data_sharing_terms"] = json.dumps(terms)

    job = apply(upload(ngo_editor, edited(export(client, "agreements"), edit)))

    assert job.result == {"created": 0, "changed": 0, "proposed": 1}
    mou.refresh_from_db()
    assert mou.expires_on is None  # the public keeps the approved version
    assert mou.data_sharing_terms.get().retention_days == 365
    revision = Revision.objects.get(object_id=mou.pk, state="pending")
    assert revision.proposed_by == ngo_editor
    assert Replay.of(revision).valid is True

    revision_approve(revision=revision, actor=police_editor)

    mou.refresh_from_db()
    assert mou.expires_on == dt.date(2030, 12, 31)
    terms = {t.data_category: t for t in mou.data_sharing_terms.all()}
    assert terms["aggregate_statistics"].retention_days == 30
    assert terms["case_records"].purpose == "Files"
    # Imported again, the file now matches the registry.
    assert upload(ngo_editor, export(client, "agreements")).counts["unchanged"] == 1


def test_partnerships_are_created_and_changed_through_their_services(
    client, ngo, police, other_ngo, ngo_editor, partnership, focus_area
):
    def edit(rows):
        [row] = rows
        row["parties"] += f";{other_ngo.slug}:partner_ngo"  # applied at once
        row["public_summary"] = "A new summary."  # waits for approval
        new = dict(
            row,
            slug="shelter-referrals",
            title="Shelter referrals",
            parties=f"{ngo.slug}:lead_ngo;{police.slug}:police_agency",
            focus_areas="domestic-violence",
            established_on="2021-01-01",
            established_precision="year",
        )
        rows.append(new)

    job = upload(ngo_editor, edited(export(client, "partnerships"), edit))
    assert (job.counts["create"], job.counts["change"]) == (1, 1)

    job = apply(job)

    assert job.result == {"created": 1, "changed": 0, "proposed": 1}
    new = Partnership.objects.get(slug="shelter-referrals")
    assert new.title == "Shelter referrals"
    assert new.publication_status == PublicationStatus.DRAFT
    assert new.established_precision == "year"
    assert list(new.focus_areas.values_list("slug", flat=True)) == ["domestic-violence"]
    assert set(new.parties.values_list("organization__slug", "role")) == {
        (ngo.slug, "lead_ngo"),
        (police.slug, "police_agency"),
    }
    partnership.refresh_from_db()
    assert partnership.public_summary == ""
    assert Revision.objects.get(object_id=partnership.pk, state="pending")
    assert PartnershipParty.objects.filter(partnership=partnership, organization=other_ngo).exists()


def test_everything_or_nothing(client, ngo_editor, mou, monkeypatch, sent):
    draft = factories.AgreementFactory(
        partnership=mou.partnership, title="Draft", publication_status="draft"
    )

    def edit(rows):
        rows[0]["public_summary"] = "Changed"
        rows.append(dict(rows[0], id="", reference="", title="Draft", status="draft"))
        rows.extend(new_rows(2, rows[0]))

    job = upload(ngo_editor, edited(export(client, "agreements"), edit))
    assert (job.counts["create"], job.counts["change"]) == (2, 2)
    real_update = agreement_services.agreement_update
    seen = []

    def fail_on_the_second(**kwargs):
        seen.append(kwargs["agreement"])
        if len(seen) == 2:
            raise RuntimeError("the database went away")
        return real_update(**kwargs)

    monkeypatch.setattr("imports.services.agreement_update", fail_on_the_second)

    job = apply(job)

    assert job.status == ImportJob.Status.FAILED
    assert "nothing was changed" in job.message
    assert Agreement.objects.count() == 2
    draft.refresh_from_db()
    assert draft.status == "active"
    assert not Revision.objects.exists()


def test_applying_checks_the_registry_again(client, ngo_editor, mou):
    def edit(rows):
        rows.extend(new_rows(1, rows[0], supersedes="Referral MOU"))

    job = upload(ngo_editor, edited(export(client, "agreements"), edit))
    assert job.counts["create"] == 1
    Agreement.objects.filter(pk=mou.pk).update(title="Renamed meanwhile")

    job = apply(job)

    assert job.status == ImportJob.Status.CHECKED
    assert "The registry changed since this file was checked" in job.message
    [row] = rows_of(job, "error")
    assert row["errors"][0]["column"] == "supersedes"
    assert Agreement.objects.count() == 1


def test_a_job_is_applied_once(client, ngo_editor, mou):
    job = upload(ngo_editor, edited(export(client, "agreements"), lambda r: new_rows(1, r[0])))
    apply(job)
    job.status = ImportJob.Status.CHECKED  # a stale copy, as a second request holds

    again = apply(job)

    assert again.status == ImportJob.Status.APPLIED
    assert Agreement.objects.filter(reference="NEW-0").count() == 1


def test_agreements_superseding_new_ones_of_the_same_file(client, ngo_editor, mou):
    def edit(rows):
        first, second = new_rows(2, rows[0])
        first["supersedes"] = ""
        second["supersedes"] = first["title"]
        return [second, first]  # the later one first: the file's order does not matter

    job = apply(upload(ngo_editor, edited(export(client, "agreements"), edit)))

    assert job.result["created"] == 2
    second = Agreement.objects.get(reference="NEW-1")
    assert second.supersedes == Agreement.objects.get(reference="NEW-0")


def test_a_new_term_without_purpose_is_refused_as_the_form_refuses_it(client, ngo_editor, mou):
    def edit(rows):
        rows.extend(
            new_rows(
                1,
                rows[0],
                data_sharing_terms=json.dumps(
                    [{"data_category": "case_records", "direction": "ngo_to_police"}]
                ),
            )
        )

    job = upload(ngo_editor, edited(export(client, "agreements"), edit))

    [row] = rows_of(job, "error")
    assert row["errors"] == [
        {"column": "data_sharing_terms", "message": "Term 1, purpose: This field cannot be blank."}
    ]
    assert DataSharingTerm.objects.count() == 1
