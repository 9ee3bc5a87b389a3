"""A flag resolved by hand stays closed while the facts it was resolved on hold (and, if
given, until a date): the nightly run does not raise it again, nor does the digest
announce it again; it is raised again once a fact changes, the date comes, or the
condition clears and comes back. A flag the job closed holds nothing back."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.derived import derived_facts_refresh
from agreements.models import Agreement, DataSharingTerm
from oversight.digests import digests_send
from oversight.flagging import flagging_run
from oversight.models import Finding, Flag, Review
from oversight.rules import rule_of
from oversight.services import flag_resolve
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
YESTERDAY = TODAY - dt.timedelta(days=1)
TOMORROW = TODAY + dt.timedelta(days=1)
LAST_WEEK = TODAY - dt.timedelta(days=7)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def auditor():
    return factories.OrganizationFactory(kind="auditor", name="Outside Auditors", ngo_type="")


def in_force(partnership, auditor, **overrides):
    """An agreement that meets no flag condition, unless ``overrides`` make it."""
    fields = {
        "partnership": partnership,
        "status": Agreement.Status.ACTIVE,
        "signed_on": dt.date(2024, 1, 1),
        "effective_from": dt.date(2024, 1, 1),
        "next_review_due": TOMORROW,
        "independent_auditor": auditor,
    } | overrides
    return factories.AgreementFactory(**fields)


def high_risk_term(agreement, category=DataSharingTerm.DataCategory.VICTIM_RECORDS):
    return factories.DataSharingTermFactory(
        agreement=agreement,
        data_category=category,
        direction=DataSharingTerm.Direction.NGO_TO_POLICE,
    )


def overdue_finding(agreement, reviewer, due_on=YESTERDAY):
    review = factories.ReviewFactory(agreement=agreement, reviewer=reviewer)
    return factories.FindingFactory(review=review, due_on=due_on)


def run():
    return flagging_run(now=timezone.now())


def flags_of(agreement, kind) -> list[Flag]:
    return list(Flag.objects.filter(agreement=agreement, kind=kind).order_by("raised_at", "pk"))


def resolve(flag, actor, **kwargs) -> Flag:
    kwargs.setdefault("reason", "Seen to outside the registry; see the minutes.")
    assert flag_resolve(flag=flag, actor=actor, **kwargs) is True
    flag.refresh_from_db()
    return flag


def raised_and_resolved(agreement, kind, actor, **kwargs) -> Flag:
    run()
    [flag] = flags_of(agreement, kind)
    assert flag.is_open is True
    return resolve(flag, actor, **kwargs)


# Each kind: one agreement meeting it, and a change of one of its facts that keeps it met.


def review_overdue(partnership, auditor, oversight_body):
    agreement = in_force(partnership, auditor, next_review_due=LAST_WEEK)

    def change():
        Agreement.objects.filter(pk=agreement.pk).update(next_review_due=YESTERDAY)

    return agreement, change


def no_independent_auditor(partnership, auditor, oversight_body):
    agreement = in_force(partnership, auditor, independent_auditor=None)

    def change():  # an auditor now, but a party to the partnership: still not independent
        police = partnership.parties.get(role="police_agency").organization
        Agreement.objects.filter(pk=agreement.pk).update(independent_auditor=police)

    return agreement, change


def expired_but_active(partnership, auditor, oversight_body):
    agreement = in_force(partnership, auditor, expires_on=LAST_WEEK)

    def change():
        Agreement.objects.filter(pk=agreement.pk).update(expires_on=YESTERDAY)

    return agreement, change


def high_risk_without_dpia(partnership, auditor, oversight_body):
    agreement = in_force(partnership, auditor)
    high_risk_term(agreement)

    def change():  # a second high-risk term: biometric data to the police
        high_risk_term(agreement, DataSharingTerm.DataCategory.BIOMETRIC_DATA)

    return agreement, change


def corrective_action_overdue(partnership, auditor, oversight_body):
    agreement = in_force(partnership, auditor)
    overdue_finding(agreement, oversight_body, LAST_WEEK)

    def change():  # another corrective action falls overdue
        overdue_finding(agreement, oversight_body, YESTERDAY)

    return agreement, change


def breach_notified_late(partnership, auditor, oversight_body):
    agreement = in_force(partnership, auditor)
    factories.IncidentFactory(
        agreements=[agreement],
        discovered_at=NOW - dt.timedelta(days=5),
        reported_to_authority_at=None,
    )

    def change():  # a second breach, not notified either
        factories.IncidentFactory(
            agreements=[agreement],
            discovered_at=NOW - dt.timedelta(days=4),
            reported_to_authority_at=None,
        )

    return agreement, change


def incident_without_review(partnership, auditor, oversight_body):
    agreement = in_force(partnership, auditor)

    def closed_incident():
        factories.IncidentFactory(
            agreements=[agreement],
            kind="security_incident",
            discovered_at=NOW - dt.timedelta(days=3),
            status="closed",
            closed_on=TODAY,
        )

    closed_incident()
    return agreement, closed_incident  # another incident closed without a review


KINDS = {
    Flag.Kind.REVIEW_OVERDUE: review_overdue,
    Flag.Kind.NO_INDEPENDENT_AUDITOR: no_independent_auditor,
    Flag.Kind.EXPIRED_BUT_ACTIVE: expired_but_active,
    Flag.Kind.HIGH_RISK_WITHOUT_DPIA: high_risk_without_dpia,
    Flag.Kind.CORRECTIVE_ACTION_OVERDUE: corrective_action_overdue,
    Flag.Kind.BREACH_NOTIFIED_LATE: breach_notified_late,
    Flag.Kind.INCIDENT_WITHOUT_REVIEW: incident_without_review,
}


def test_every_kind_of_flag_is_covered_here():
    assert set(KINDS) == set(Flag.Kind.values)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_flag_resolved_by_hand_is_not_raised_again_while_its_facts_hold(
    partnership, auditor, oversight_body, board_member, kind
):
    agreement, _change = KINDS[kind](partnership, auditor, oversight_body)
    flag = raised_and_resolved(agreement, kind, board_member)

    report = run()
    with time_machine.travel(NOW + dt.timedelta(days=30), tick=False):
        later = run()

    assert report.raised[kind] == 0
    assert later.raised[kind] == 0
    assert flags_of(agreement, kind) == [flag]
    flag.refresh_from_db()
    assert flag.is_open is False
    assert flag.resolution.startswith("Resolved by hand by Civilian Oversight Board")
    assert flag.hold_ended_at is None


@pytest.mark.parametrize("kind", list(KINDS))
def test_it_is_raised_again_when_a_fact_it_was_resolved_on_changes(
    partnership, auditor, oversight_body, board_member, kind
):
    agreement, change = KINDS[kind](partnership, auditor, oversight_body)
    resolved = raised_and_resolved(agreement, kind, board_member)

    change()
    report = run()

    assert report.raised[kind] == 1
    first, second = flags_of(agreement, kind)
    assert first == resolved and first.is_open is False
    assert second.is_open is True
    assert second.raised_at == NOW


def test_it_records_the_facts_it_was_resolved_on(
    partnership, auditor, oversight_body, board_member
):
    police = partnership.parties.get(role="police_agency").organization
    agreement = in_force(
        partnership, auditor, next_review_due=LAST_WEEK, independent_auditor=police
    )
    high_risk_term(agreement)
    run()

    overdue = resolve(agreement.flags.get(kind=Flag.Kind.REVIEW_OVERDUE), board_member)
    no_auditor = resolve(agreement.flags.get(kind=Flag.Kind.NO_INDEPENDENT_AUDITOR), board_member)
    no_dpia = resolve(agreement.flags.get(kind=Flag.Kind.HIGH_RISK_WITHOUT_DPIA), board_member)

    assert overdue.resolved_facts == {"next_review_due": LAST_WEEK.isoformat()}
    assert no_auditor.resolved_facts == {
        "independent_auditor_id": police.pk,
        "auditor_is_independent": False,
    }
    term = agreement.data_sharing_terms.get()
    assert no_dpia.resolved_facts == {
        "derived_risk_level": "high",
        "high_risk_terms": [term.pk],
        "last_dpia_completed_on": None,
    }
    assert overdue.closed_until is None


def test_an_older_dpia_completed_is_a_changed_fact(
    partnership, auditor, oversight_body, board_member
):
    """A DPIA recorded after the resolution, though too old to count, is news."""
    agreement, _change = high_risk_without_dpia(partnership, auditor, oversight_body)
    raised_and_resolved(agreement, Flag.Kind.HIGH_RISK_WITHOUT_DPIA, board_member)
    factories.ReviewFactory(
        agreement=agreement,
        reviewer=oversight_body,
        kind=Review.Kind.DPIA,
        started_on=dt.date(2024, 3, 1),
        completed_on=dt.date(2024, 3, 1),
    )

    run()

    assert len(flags_of(agreement, Flag.Kind.HIGH_RISK_WITHOUT_DPIA)) == 2


def test_a_corrective_action_resolved_meanwhile_raises_it_again_if_others_are_overdue(
    partnership, auditor, oversight_body, board_member
):
    """The set of overdue findings is the fact: any change of it is looked at again."""
    agreement = in_force(partnership, auditor)
    first = overdue_finding(agreement, oversight_body, LAST_WEEK)
    overdue_finding(agreement, oversight_body, YESTERDAY)
    raised_and_resolved(agreement, Flag.Kind.CORRECTIVE_ACTION_OVERDUE, board_member)

    Finding.objects.filter(pk=first.pk).update(status="resolved", resolved_on=TODAY)
    run()

    assert [f.is_open for f in flags_of(agreement, Flag.Kind.CORRECTIVE_ACTION_OVERDUE)] == [
        False,
        True,
    ]


# Until a date -------------------------------------------------------------------------


def test_resolved_until_a_date_it_is_raised_again_from_that_date_on(
    partnership, auditor, oversight_body, board_member
):
    until = TODAY + dt.timedelta(days=10)
    agreement, _change = review_overdue(partnership, auditor, oversight_body)
    flag = raised_and_resolved(
        agreement, Flag.Kind.REVIEW_OVERDUE, board_member, closed_until=until
    )
    assert flag.closed_until == until

    with time_machine.travel(NOW + dt.timedelta(days=9), tick=False):
        the_day_before = run()
    with time_machine.travel(NOW + dt.timedelta(days=10), tick=False):
        on_the_day = run()

    assert the_day_before.raised[Flag.Kind.REVIEW_OVERDUE] == 0
    assert on_the_day.raised[Flag.Kind.REVIEW_OVERDUE] == 1
    assert [f.is_open for f in flags_of(agreement, Flag.Kind.REVIEW_OVERDUE)] == [False, True]


def test_resolved_until_a_date_it_is_raised_again_sooner_if_a_fact_changes(
    partnership, auditor, oversight_body, board_member
):
    agreement, change = expired_but_active(partnership, auditor, oversight_body)
    raised_and_resolved(
        agreement,
        Flag.Kind.EXPIRED_BUT_ACTIVE,
        board_member,
        closed_until=TODAY + dt.timedelta(days=60),
    )

    change()
    run()

    assert [f.is_open for f in flags_of(agreement, Flag.Kind.EXPIRED_BUT_ACTIVE)] == [False, True]


@pytest.mark.parametrize("closed_until", [TODAY, YESTERDAY], ids=["today", "yesterday"])
def test_the_date_must_be_after_today(
    partnership, auditor, oversight_body, board_member, closed_until
):
    from django.core.exceptions import ValidationError

    agreement, _change = review_overdue(partnership, auditor, oversight_body)
    run()
    flag = agreement.flags.get()

    with pytest.raises(ValidationError) as error:
        flag_resolve(flag=flag, actor=board_member, reason="Fine", closed_until=closed_until)

    assert "closed_until" in error.value.message_dict
    flag.refresh_from_db()
    assert flag.is_open is True


# The condition clears --------------------------------------------------------------------


def test_when_the_condition_clears_the_hand_resolution_stops_holding(
    partnership, auditor, oversight_body, board_member
):
    """No auditor, resolved by hand; an auditor is assigned, then removed again: the same
    facts as before, but a new situation, and the flag is raised again."""
    agreement, _change = no_independent_auditor(partnership, auditor, oversight_body)
    flag = raised_and_resolved(agreement, Flag.Kind.NO_INDEPENDENT_AUDITOR, board_member)

    # Updates around the services, caught up by the nightly safety net before the run.
    Agreement.objects.filter(pk=agreement.pk).update(independent_auditor=auditor)
    derived_facts_refresh()
    run()
    flag.refresh_from_db()
    assert flag.hold_ended_at == NOW
    Agreement.objects.filter(pk=agreement.pk).update(independent_auditor=None)
    derived_facts_refresh()
    report = run()

    assert report.raised[Flag.Kind.NO_INDEPENDENT_AUDITOR] == 1
    assert [f.is_open for f in flags_of(agreement, Flag.Kind.NO_INDEPENDENT_AUDITOR)] == [
        False,
        True,
    ]


def test_a_flag_the_job_closed_holds_nothing_back(partnership, auditor, oversight_body):
    agreement, _change = review_overdue(partnership, auditor, oversight_body)
    run()
    Agreement.objects.filter(pk=agreement.pk).update(next_review_due=TOMORROW)
    run()
    Agreement.objects.filter(pk=agreement.pk).update(next_review_due=LAST_WEEK)

    run()

    closed, reopened = flags_of(agreement, Flag.Kind.REVIEW_OVERDUE)
    assert closed.resolved_facts is None and closed.is_open is False
    assert reopened.is_open is True


def test_only_the_latest_hand_resolution_holds(partnership, auditor, oversight_body, board_member):
    """Resolved on facts A, raised again on B and resolved on B: back to A is a change."""
    agreement, change = review_overdue(partnership, auditor, oversight_body)
    raised_and_resolved(agreement, Flag.Kind.REVIEW_OVERDUE, board_member)  # on LAST_WEEK
    change()  # due YESTERDAY
    run()
    resolve(agreement.flags.open().get(), board_member)  # on YESTERDAY

    Agreement.objects.filter(pk=agreement.pk).update(next_review_due=LAST_WEEK)
    run()

    assert [f.is_open for f in flags_of(agreement, Flag.Kind.REVIEW_OVERDUE)] == [
        False,
        False,
        True,
    ]


def test_a_scoped_run_after_a_staff_write_keeps_the_hold_too(
    partnership, auditor, oversight_body, board_member
):
    agreement, change = review_overdue(partnership, auditor, oversight_body)
    raised_and_resolved(agreement, Flag.Kind.REVIEW_OVERDUE, board_member)

    unchanged = flagging_run(now=timezone.now(), agreement_ids=[agreement.pk])
    change()
    changed = flagging_run(now=timezone.now(), agreement_ids=[agreement.pk])

    assert unchanged.raised[Flag.Kind.REVIEW_OVERDUE] == 0
    assert changed.raised[Flag.Kind.REVIEW_OVERDUE] == 1


# The digest --------------------------------------------------------------------------


def test_the_digest_does_not_announce_a_flag_resolved_by_hand_again(
    partnership, auditor, oversight_body, board_member, ngo_editor
):
    agreement, change = review_overdue(partnership, auditor, oversight_body)
    run()
    digests_send(now=timezone.now())
    assert len([m for m in mail.outbox if m.to == [ngo_editor.email]]) == 1
    resolve(agreement.flags.get(), board_member)

    run()
    quiet = digests_send(now=timezone.now())
    change()
    run()
    announced = digests_send(now=timezone.now())

    assert quiet.flags == 0
    assert announced.flags == 1
    assert len([m for m in mail.outbox if m.to == [ngo_editor.email]]) == 2


# Set-based -------------------------------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_flags_resolved_by_hand(
    partnership, police, oversight_body, board_member
):
    def queries_for(count):
        Flag.objects.all().delete()
        Agreement.objects.all().delete()
        for _ in range(count):
            agreement = factories.AgreementFactory(
                partnership=partnership,
                next_review_due=LAST_WEEK,
                independent_auditor=police,
                expires_on=LAST_WEEK,
            )
            high_risk_term(agreement)
            overdue_finding(agreement, oversight_body)
        run()
        for flag in Flag.objects.all():
            resolve(flag, board_member)
        with CaptureQueriesContext(connection) as captured:
            report = run()
        assert sum(report.raised.values()) == 0
        return len(captured)

    assert queries_for(3) == queries_for(60)


def test_every_rule_names_the_facts_a_hand_resolution_rests_on():
    for kind in Flag.Kind.values:
        rule = rule_of(kind)
        assert rule.facts, kind
        assert rule.facts_in_words


def test_a_hold_recorded_before_the_auditor_fact_was_stored_still_holds(
    partnership, auditor, board_member
):
    """Before the agreement stored ``auditor_is_independent`` (null with no auditor), a
    hold on "no independent auditor" recorded false for an agreement without one: the
    data migration says null there, so that the next run does not raise it again."""
    import importlib

    migration = importlib.import_module("oversight.migrations.0011_resolved_facts_without_auditor")
    agreement = in_force(partnership, auditor, independent_auditor=None)
    run()
    flag = resolve(agreement.flags.get(kind=Flag.Kind.NO_INDEPENDENT_AUDITOR), board_member)
    assert flag.resolved_facts == {"independent_auditor_id": None, "auditor_is_independent": None}
    # As such a hold was recorded before.
    Flag.objects.filter(pk=flag.pk).update(
        resolved_facts={"independent_auditor_id": None, "auditor_is_independent": False}
    )

    with connection.cursor() as cursor:
        cursor.execute(migration.FORWARD)
    run()

    assert len(flags_of(agreement, Flag.Kind.NO_INDEPENDENT_AUDITOR)) == 1
    flag.refresh_from_db()
    assert flag.resolved_facts == {"independent_auditor_id": None, "auditor_is_independent": None}
