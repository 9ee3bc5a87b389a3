"""Rows about another organization's partnerships are refused with the reason; a row
that changes nothing is unchanged whoever imports it."""

import pytest

from agreements.models import Agreement
from partnerships.models import Partnership, Visibility
from publication.choices import PublicationStatus
from tests import factories

from .conftest import apply, edited, export, rows_of, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def mou(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral MOU")


@pytest.fixture
def own_partnership(other_ngo, police):
    return factories.partnership_with_parties(
        ngo=other_ngo, police=police, slug="elsewhere-partnership", title="Elsewhere"
    )


def test_a_change_of_another_organizations_agreement_is_refused_with_the_reason(
    client, other_ngo_editor, mou
):
    def edit(rows):
        rows[0]["public_summary"] = "Taken over"

    job = upload(other_ngo_editor, edited(export(client, "agreements"), edit))

    [row] = rows_of(job, "refused")
    assert row["reason"] == (
        f"You are not an editor of a party to “{mou.partnership.title}”: only its parties' "
        "editors change its records."
    )
    assert "changes" not in row
    assert job.can_apply is False


def test_its_unchanged_rows_are_unchanged_and_its_own_rows_apply(
    client, other_ngo_editor, mou, own_partnership
):
    theirs = factories.AgreementFactory(partnership=own_partnership, title="Their MOU")

    def edit(rows):
        for row in rows:
            if row["title"] == "Their MOU":
                row["public_summary"] = "Ours to change"
        rows.append(dict(rows[0], title="Sneaked in", reference="X"))  # into the NGO's

    job = upload(other_ngo_editor, edited(export(client, "agreements"), edit))
    assert {row["key"]: row["action"] for row in rows_of(job)} == {
        f"{mou.partnership.slug} · Referral MOU": "unchanged",
        f"{own_partnership.slug} · Their MOU": "change",
        f"{mou.partnership.slug} · X": "refused",
    }

    job = apply(job)

    theirs.refresh_from_db()
    assert job.result == {"created": 0, "changed": 0, "proposed": 1}  # theirs is published
    assert not Agreement.objects.filter(title="Sneaked in").exists()


def test_a_new_partnership_without_the_users_organization_is_refused(
    client, other_ngo_editor, ngo, police, partnership
):
    def edit(rows):
        rows.append(dict(rows[0], slug="", title="Not theirs"))

    job = upload(other_ngo_editor, edited(export(client, "partnerships"), edit))

    [row] = rows_of(job, "refused")
    assert row["reason"].startswith("None of your organizations is among its parties")
    assert job.counts["unchanged"] == 1


def test_a_partnership_another_organization_keeps_restricted_stays_unknown(
    client, other_ngo_editor, ngo, police, own_partnership
):
    hidden = factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        slug="hidden-one",
        visibility=Visibility.RESTRICTED,
        publication_status=PublicationStatus.DRAFT,
    )

    def edit(rows):
        rows.append(dict(rows[0], partnership_slug=hidden.slug, title="Probe"))

    factories.AgreementFactory(partnership=own_partnership, title="Theirs")
    job = upload(other_ngo_editor, edited(export(client, "agreements"), edit))

    [row] = rows_of(job, "error")
    # The same answer as for a slug that does not exist.
    assert row["errors"] == [
        {
            "column": "partnership_slug",
            "message": "No partnership you can see has the slug “hidden-one”.",
        }
    ]

    def taken(rows):
        rows.append(dict(rows[0], slug=hidden.slug, title="Probe"))

    job = upload(other_ngo_editor, edited(export(client, "partnerships"), taken))
    [row] = rows_of(job, "error")
    assert row["errors"][0]["column"] == "slug"
    assert Partnership.objects.get(slug=hidden.slug).title != "Probe"


def test_an_editor_never_removes_their_own_organization(client, ngo_editor, ngo, partnership):
    def edit(rows):
        rows[0]["parties"] = rows[0]["parties"].replace(f"{ngo.slug}:lead_ngo", "")
        rows[0]["parties"] += ";" + factories.NgoFactory(slug="another-ngo").slug + ":lead_ngo"

    job = upload(ngo_editor, edited(export(client, "partnerships"), edit))

    [row] = rows_of(job, "error")
    assert row["errors"][0]["column"] == "parties"
    assert "stays a party" in row["errors"][0]["message"]
