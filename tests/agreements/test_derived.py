"""The facts an agreement stores (its risk level, whether its auditor is independent) equal
their rules after every kind of write, in the write's own transaction, and its open flags
follow (rows of their own, raised and closed by the flagging run); ``manage.py
refresh_derived`` corrects what went around the writes."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from agreements.derived import derived_facts_refresh
from agreements.models import Agreement, DataSharingTerm
from agreements.publishing import record_approve, record_retract, record_submit
from agreements.services import (
    NewAgreement,
    agreement_create,
    agreement_update,
    agreements_create_bulk,
    auditor_assign,
)
from oversight.flagging import flagging_run
from oversight.models import Flag, Review
from oversight.services import flag_resolve, review_complete
from partnerships.models import Partnership
from partnerships.services import party_add, party_remove
from publication.choices import PublicationStatus
from tests import factories
from tests.derived import assert_derived_facts_stored

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
LAST_WEEK = TODAY - dt.timedelta(days=7)

LOW = {"data_category": "aggregate_statistics", "direction": "police_to_ngo"}
MEDIUM = {"data_category": "case_records", "direction": "ngo_to_police"}
HIGH = {"data_category": "victim_records", "direction": "ngo_to_police"}


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def auditor():
    return factories.OrganizationFactory(kind="auditor", name="Outside Auditors", ngo_type="")


def term(**fields) -> dict:
    return {
        "purpose": "Referrals.",
        "legal_basis": "public_task",
        "surveillance_practice": "none",
        "onward_sharing_allowed": False,
        **fields,
    }


def draft(partnership, **fields) -> dict:
    return {
        "kind": Agreement.Kind.MOU,
        "title": "Referral protocol",
        "status": Agreement.Status.DRAFT,
        "review_interval_months": 12,
        "visibility": "public",
        **fields,
    }


def stored_of(agreement) -> tuple:
    """The stored facts, and the kinds of the open flags (rows of their own)."""
    risk, auditor = Agreement.objects.values_list(*Agreement.DERIVED_FIELDS).get(pk=agreement.pk)
    kinds = Flag.objects.open().filter(agreement=agreement).order_by("kind")
    return risk, auditor, list(kinds.values_list("kind", flat=True))


# The writes of the services ----------------------------------------------------------


def test_a_new_agreement_stores_the_risk_of_its_terms_and_its_auditor(
    partnership, ngo_editor, auditor
):
    agreement = agreement_create(
        partnership=partnership,
        actor=ngo_editor,
        data=draft(partnership, independent_auditor=auditor),
        terms=[term(**LOW), term(**HIGH)],
    )

    assert stored_of(agreement) == ("high", True, [])
    assert agreement.stored_risk_level == "high"
    assert_derived_facts_stored(agreement)


def test_terms_added_changed_and_removed_change_the_stored_risk_in_the_same_edit(
    partnership, ngo_editor
):
    agreement = agreement_create(
        partnership=partnership, actor=ngo_editor, data=draft(partnership), terms=[term(**LOW)]
    )
    assert stored_of(agreement)[0] == "low"

    agreement_update(
        agreement=agreement, actor=ngo_editor, data=draft(partnership), terms_to_add=[term(**HIGH)]
    )
    assert stored_of(agreement)[0] == "high"
    assert_derived_facts_stored(agreement)

    high = agreement.data_sharing_terms.get(data_category="victim_records")
    agreement_update(
        agreement=agreement,
        actor=ngo_editor,
        data=draft(partnership),
        terms_to_change=[(high, term(**MEDIUM))],
    )
    assert stored_of(agreement)[0] == "medium"
    assert_derived_facts_stored(agreement)

    agreement_update(
        agreement=agreement,
        actor=ngo_editor,
        data=draft(partnership),
        terms_to_remove=list(agreement.data_sharing_terms.all()),
    )
    assert stored_of(agreement)[0] == "low"
    assert DataSharingTerm.objects.filter(agreement=agreement).count() == 0
    assert_derived_facts_stored(agreement)


def test_assigning_and_removing_the_auditor_changes_its_stored_independence(
    partnership, ngo_editor, board_member, auditor
):
    agreement = factories.AgreementFactory(partnership=partnership)
    assert stored_of(agreement)[1] is None

    auditor_assign(agreement=agreement, actor=board_member, auditor=auditor)
    assert stored_of(agreement)[1] is True
    assert_derived_facts_stored(agreement)

    auditor_assign(agreement=agreement, actor=board_member, auditor=None)
    assert stored_of(agreement)[1] is None
    assert_derived_facts_stored(agreement)


def test_an_auditor_made_a_party_is_no_longer_independent_and_again_once_removed(
    partnership, ngo_editor, auditor
):
    agreement = factories.AgreementFactory(partnership=partnership, independent_auditor=auditor)
    other = factories.AgreementFactory(partnership=partnership, independent_auditor=auditor)
    assert stored_of(agreement)[1] is True

    party = party_add(partnership=partnership, organization=auditor, role="other", actor=ngo_editor)
    assert stored_of(agreement)[1] is False
    assert stored_of(other)[1] is False
    assert_derived_facts_stored(agreement, other)

    party_remove(party=party, actor=ngo_editor)
    assert stored_of(agreement)[1] is True
    assert_derived_facts_stored(agreement, other)


def test_the_bulk_creation_of_an_import_stores_every_agreements_facts_in_one_statement(
    partnership, ngo_editor, auditor
):
    new = [
        NewAgreement(
            partnership=partnership,
            data=draft(partnership, title=f"Imported {i}", independent_auditor=auditor),
            terms=[term(**level)],
        )
        for i, level in enumerate([LOW, MEDIUM, HIGH])
    ]
    created = agreements_create_bulk(actor=ngo_editor, new=new)

    assert [stored_of(agreement)[0] for agreement in created] == ["low", "medium", "high"]
    assert {stored_of(agreement)[1] for agreement in created} == {True}
    assert_derived_facts_stored(*created)


# What a partnership stores about its public agreements ------------------------------------


def partnership_facts(partnership) -> tuple:
    return Partnership.objects.values_list(*Partnership.DERIVED_FIELDS).get(pk=partnership.pk)


def test_an_approval_and_a_retraction_change_what_the_partnership_stores(
    partnership, ngo_editor, police_editor, auditor
):
    factories.AgreementFactory(partnership=partnership)  # public, low, no auditor
    agreement = factories.AgreementFactory(
        partnership=partnership,
        independent_auditor=auditor,
        publication_status=PublicationStatus.DRAFT,
    )
    factories.DataSharingTermFactory(agreement=agreement, **HIGH)
    # Not public yet: the partnership's facts are of its public agreement alone.
    assert partnership_facts(partnership) == ("low", False)

    record_submit(record=agreement, actor=ngo_editor)
    assert partnership_facts(partnership) == ("low", False)
    record_approve(record=agreement, actor=police_editor)
    assert partnership_facts(partnership) == ("high", True)
    assert_derived_facts_stored(agreement)

    record_retract(record=agreement, actor=ngo_editor, reason="Signed by mistake.")
    assert partnership_facts(partnership) == ("low", False)


def test_a_term_and_an_auditor_change_what_the_partnership_stores(
    partnership, ngo_editor, board_member, auditor
):
    agreement = factories.AgreementFactory(partnership=partnership)
    assert partnership_facts(partnership) == ("low", False)

    auditor_assign(agreement=agreement, actor=board_member, auditor=auditor)
    factories.DataSharingTermFactory(agreement=agreement, **MEDIUM)
    assert partnership_facts(partnership) == ("medium", True)

    party_add(partnership=partnership, organization=auditor, role="other", actor=ngo_editor)
    assert partnership_facts(partnership) == ("medium", False)


def test_the_registry_filters_partnerships_by_what_they_store(client, partnership, auditor):
    agreement = factories.AgreementFactory(partnership=partnership, independent_auditor=auditor)
    factories.DataSharingTermFactory(agreement=agreement, **HIGH)
    other = factories.partnership_with_parties(title="Quiet partnership")

    def titles(query):
        rows = client.get(f"/api/v1/partnerships/?{query}").json()["results"]
        return sorted(row["title"] for row in rows)

    assert titles("risk_level=high") == [partnership.title]
    assert titles("risk_level=low") == [other.title]
    assert titles("has_independent_auditor=true") == [partnership.title]
    assert titles("has_independent_auditor=false") == [other.title]
    rows = client.get("/api/v1/partnerships/?ordering=title").json()["results"]
    assert [row["risk_level"] for row in rows] == ["high", "low"]


# Flags: the run, a review, a hand resolution ----------------------------------------


def in_force(partnership, **fields):
    return factories.AgreementFactory(
        partnership=partnership,
        status=Agreement.Status.ACTIVE,
        next_review_due=fields.pop("next_review_due", TODAY + dt.timedelta(days=30)),
        **fields,
    )


def test_a_completed_dpia_closes_the_flag_and_deleting_it_raises_it_again(
    partnership, auditor, oversight_body, board_member
):
    agreement = in_force(partnership, independent_auditor=auditor)
    factories.DataSharingTermFactory(agreement=agreement, **HIGH)
    flagging_run(now=NOW)
    assert stored_of(agreement) == ("high", True, ["high_risk_without_dpia"])

    dpia = factories.ReviewFactory(
        agreement=agreement,
        reviewer=oversight_body,
        kind=Review.Kind.DPIA,
        status=Review.Status.IN_PROGRESS,
        completed_on=None,
        outcome="",
    )
    review_complete(review=dpia, actor=board_member, completed_on=TODAY, outcome="compliant")
    flagging_run(now=NOW + dt.timedelta(hours=1))
    assert stored_of(agreement)[2] == []
    assert_derived_facts_stored(agreement)

    dpia.delete()
    flagging_run(now=NOW + dt.timedelta(hours=2))
    assert stored_of(agreement)[2] == ["high_risk_without_dpia"]
    assert_derived_facts_stored(agreement)


def test_a_flag_resolved_by_hand_leaves_the_stored_kinds_at_once(partnership, board_member):
    agreement = in_force(partnership, next_review_due=LAST_WEEK)
    flagging_run(now=NOW)
    flag = agreement.flags.get(kind=Flag.Kind.NO_INDEPENDENT_AUDITOR)

    assert flag_resolve(flag=flag, actor=board_member, reason="Audited by the council.")

    assert stored_of(agreement)[2] == ["review_overdue"]
    assert_derived_facts_stored(agreement)


# The safety net ----------------------------------------------------------------------


def refresh_derived() -> str:
    out = StringIO()
    call_command("refresh_derived", stdout=out)
    return out.getvalue()


def test_refresh_derived_changes_nothing_when_the_stored_facts_are_right(partnership, auditor):
    agreement = in_force(partnership, next_review_due=LAST_WEEK, independent_auditor=auditor)
    factories.DataSharingTermFactory(agreement=agreement, **MEDIUM)
    flagging_run(now=NOW)
    before = stored_of(agreement)

    assert refresh_derived() == ("risk level and auditor independence: 0 agreement(s) corrected\n")
    assert stored_of(agreement) == before == ("medium", True, ["review_overdue"])


def test_refresh_derived_corrects_a_corrupted_row_and_only_it(partnership, auditor):
    agreement = in_force(partnership, next_review_due=LAST_WEEK, independent_auditor=auditor)
    factories.DataSharingTermFactory(agreement=agreement, **HIGH)
    untouched = in_force(partnership)
    flagging_run(now=NOW)
    right = stored_of(agreement)
    Agreement.objects.filter(pk=agreement.pk).update(
        stored_risk_level="low", auditor_is_independent=None
    )

    assert refresh_derived() == "risk level and auditor independence: 1 agreement(s) corrected\n"
    assert stored_of(agreement) == right
    assert_derived_facts_stored(agreement, untouched)
    assert derived_facts_refresh() == 0


# The public lists read the stored facts -------------------------------------------------


def test_the_api_filters_by_the_stored_facts(client, partnership, auditor):
    agreement = in_force(partnership, next_review_due=LAST_WEEK, independent_auditor=auditor)
    factories.DataSharingTermFactory(agreement=agreement, **HIGH)
    flagging_run(now=NOW)

    def titles(query):
        return [
            row["title"] for row in client.get(f"/api/v1/agreements/?{query}").json()["results"]
        ]

    assert titles("risk_level=high") == [agreement.title]
    assert titles("has_independent_auditor=true") == [agreement.title]
    assert titles("flag=review_overdue") == [agreement.title]
    assert titles("flag=expired_but_active") == []

    # A stored fact is what the list reads (the rules are not run again per request).
    Agreement.objects.filter(pk=agreement.pk).update(stored_risk_level="low")
    assert titles("risk_level=high") == []
    refresh_derived()
    assert titles("risk_level=high") == [agreement.title]
    # The open flags are their own rows: a flag closed is out of the list at once.
    Flag.objects.filter(agreement=agreement, kind="review_overdue").update(resolved_at=NOW)
    assert titles("flag=review_overdue") == []
