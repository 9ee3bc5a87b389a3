"""The nightly flagging run: every kind raised on its boundary, never twice, and closed
when its condition clears; set-based and safe when two runs overlap."""

import datetime as dt
import io
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.derived import derived_facts_refresh
from agreements.models import Agreement, DataSharingTerm
from oversight.flagging import flagging_run
from oversight.models import Finding, Flag, Review
from oversight.rules import FLAG_RULES
from oversight.services import flag_resolve, review_complete
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
YESTERDAY = TODAY - dt.timedelta(days=1)
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


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


def high_risk(agreement):
    return factories.DataSharingTermFactory(
        agreement=agreement,
        data_category=DataSharingTerm.DataCategory.VICTIM_RECORDS,
        direction=DataSharingTerm.Direction.NGO_TO_POLICE,
    )


def open_kinds(agreement) -> set[str]:
    return set(agreement.flags.open().values_list("kind", flat=True))


def run():
    return flagging_run(now=timezone.now())


# review_overdue ------------------------------------------------------------------


def test_it_flags_agreement_past_review_date(partnership, auditor):
    agreement = in_force(partnership, auditor, next_review_due=YESTERDAY)

    report = run()

    flag = agreement.flags.get()
    assert flag.kind == Flag.Kind.REVIEW_OVERDUE
    assert flag.raised_at == NOW
    assert flag.resolved_at is None
    assert "21 November 2026" not in flag.detail and "20 November 2026" in flag.detail
    assert report.raised[Flag.Kind.REVIEW_OVERDUE] == 1


def test_it_does_not_flag_a_review_due_today(partnership, auditor):
    agreement = in_force(partnership, auditor, next_review_due=TODAY)

    run()

    assert open_kinds(agreement) == set()


@pytest.mark.parametrize("status", ["draft", "negotiating", "expired", "terminated", "superseded"])
def test_it_does_not_flag_overdue_review_of_agreement_not_in_force(partnership, auditor, status):
    agreement = in_force(partnership, auditor, status=status, next_review_due=YESTERDAY)

    run()

    assert Flag.Kind.REVIEW_OVERDUE not in open_kinds(agreement)


def test_it_compares_review_dates_in_the_configured_time_zone(settings, partnership, auditor):
    # 23:30 UTC on 20 November is already 21 November in Auckland.
    settings.TIME_ZONE = "Pacific/Auckland"
    agreement = in_force(partnership, auditor, next_review_due=dt.date(2026, 11, 20))

    flagging_run(now=dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC))

    assert open_kinds(agreement) == {Flag.Kind.REVIEW_OVERDUE}


def test_a_completed_review_closes_the_overdue_flag(
    partnership, auditor, oversight_body, board_member
):
    agreement = in_force(partnership, auditor, next_review_due=YESTERDAY)
    run()
    review = factories.ReviewFactory(
        agreement=agreement, reviewer=oversight_body, status="in_progress", completed_on=None
    )

    review_complete(
        review=review, actor=board_member, completed_on=TODAY, outcome=Review.Outcome.COMPLIANT
    )
    report = run()

    agreement.refresh_from_db()
    assert agreement.next_review_due == dt.date(2027, 11, 21)
    flag = agreement.flags.get()
    assert flag.resolved_at == NOW
    assert "review was completed" in flag.resolution
    assert report.closed[Flag.Kind.REVIEW_OVERDUE] == 1


# no_independent_auditor -------------------------------------------------------


def test_it_flags_agreement_without_auditor(partnership, auditor):
    agreement = in_force(partnership, auditor, independent_auditor=None)

    run()

    assert open_kinds(agreement) == {Flag.Kind.NO_INDEPENDENT_AUDITOR}
    assert agreement.flags.get().detail == "No independent auditor is assigned."


def test_an_auditor_who_is_a_party_does_not_count_as_independent(partnership, police, auditor):
    agreement = in_force(partnership, auditor, independent_auditor=police)

    run()

    flag = agreement.flags.get()
    assert flag.kind == Flag.Kind.NO_INDEPENDENT_AUDITOR
    assert police.name in flag.detail


def test_it_does_not_flag_a_draft_without_auditor(partnership, auditor):
    agreement = in_force(
        partnership, auditor, status="draft", signed_on=None, independent_auditor=None
    )

    run()

    assert open_kinds(agreement) == set()


def test_assigning_an_independent_auditor_closes_the_flag(partnership, auditor):
    agreement = in_force(partnership, auditor, independent_auditor=None)
    run()

    Agreement.objects.filter(pk=agreement.pk).update(independent_auditor=auditor)
    derived_facts_refresh()  # the nightly safety net, before the run: the update went around
    run()

    assert open_kinds(agreement) == set()
    assert agreement.flags.get().resolution.startswith("An independent auditor is assigned")


# expired_but_active ------------------------------------------------------------


def test_it_flags_active_agreement_expired_yesterday(partnership, auditor):
    agreement = in_force(partnership, auditor, expires_on=YESTERDAY)

    run()

    assert open_kinds(agreement) == {Flag.Kind.EXPIRED_BUT_ACTIVE}


def test_it_does_not_flag_agreement_expiring_today(partnership, auditor):
    agreement = in_force(partnership, auditor, expires_on=TODAY)

    run()

    assert open_kinds(agreement) == set()


def test_changing_the_status_closes_the_expired_but_active_flag(partnership, auditor):
    agreement = in_force(partnership, auditor, expires_on=YESTERDAY)
    run()

    Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.TERMINATED)
    run()

    assert agreement.flags.get().resolved_at == NOW


def test_it_expires_auto_expiring_agreements_instead_of_flagging_them(partnership, auditor):
    auto = in_force(partnership, auditor, expires_on=YESTERDAY, auto_expire=True)
    manual = in_force(partnership, auditor, expires_on=YESTERDAY, auto_expire=False)
    not_yet = in_force(partnership, auditor, expires_on=TODAY, auto_expire=True)

    report = run()

    for agreement in (auto, manual, not_yet):
        agreement.refresh_from_db()
    assert report.expired == 1
    assert auto.status == Agreement.Status.EXPIRED
    assert open_kinds(auto) == set()
    assert manual.status == Agreement.Status.ACTIVE
    assert open_kinds(manual) == {Flag.Kind.EXPIRED_BUT_ACTIVE}
    assert not_yet.status == Agreement.Status.ACTIVE


# high_risk_without_dpia ---------------------------------------------------------


def test_it_flags_high_risk_agreement_without_dpia(partnership, auditor):
    agreement = in_force(partnership, auditor)
    high_risk(agreement)

    run()

    assert open_kinds(agreement) == {Flag.Kind.HIGH_RISK_WITHOUT_DPIA}


@pytest.mark.parametrize(
    ("completed_on", "flagged"),
    [
        (dt.date(2025, 11, 21), False),  # exactly twelve months ago: still counts
        (dt.date(2025, 11, 20), True),  # a day older: no longer
    ],
    ids=["dpia-12-months-ago", "dpia-12-months-and-a-day-ago"],
)
def test_a_dpia_counts_for_twelve_months(
    partnership, auditor, oversight_body, completed_on, flagged
):
    agreement = in_force(partnership, auditor)
    high_risk(agreement)
    factories.ReviewFactory(
        agreement=agreement,
        reviewer=oversight_body,
        kind=Review.Kind.DPIA,
        started_on=completed_on,
        completed_on=completed_on,
    )

    run()

    assert (Flag.Kind.HIGH_RISK_WITHOUT_DPIA in open_kinds(agreement)) is flagged


def test_it_does_not_flag_a_low_risk_agreement_for_lacking_a_dpia(partnership, auditor):
    agreement = in_force(partnership, auditor)
    factories.DataSharingTermFactory(agreement=agreement)  # aggregate statistics

    run()

    assert open_kinds(agreement) == set()


def test_a_completed_dpia_closes_the_flag(partnership, auditor, oversight_body, board_member):
    agreement = in_force(partnership, auditor)
    high_risk(agreement)
    run()
    dpia = factories.ReviewFactory(
        agreement=agreement,
        reviewer=oversight_body,
        kind=Review.Kind.DPIA,
        status="in_progress",
        completed_on=None,
    )

    review_complete(
        review=dpia, actor=board_member, completed_on=TODAY, outcome=Review.Outcome.CONCERNS
    )
    run()

    assert open_kinds(agreement) == set()


# corrective_action_overdue ------------------------------------------------------


def overdue_finding(agreement, oversight_body, due_on):
    review = factories.ReviewFactory(agreement=agreement, reviewer=oversight_body)
    return factories.FindingFactory(review=review, due_on=due_on)


def test_it_flags_corrective_action_due_yesterday(partnership, auditor, oversight_body):
    agreement = in_force(partnership, auditor)
    overdue_finding(agreement, oversight_body, YESTERDAY)

    run()

    assert open_kinds(agreement) == {Flag.Kind.CORRECTIVE_ACTION_OVERDUE}
    assert "20 November 2026" in agreement.flags.get().detail


def test_it_does_not_flag_corrective_action_due_today(partnership, auditor, oversight_body):
    agreement = in_force(partnership, auditor)
    overdue_finding(agreement, oversight_body, TODAY)

    run()

    assert open_kinds(agreement) == set()


def test_resolving_the_finding_closes_the_flag(partnership, auditor, oversight_body):
    agreement = in_force(partnership, auditor)
    finding = overdue_finding(agreement, oversight_body, YESTERDAY)
    run()

    Finding.objects.filter(pk=finding.pk).update(status="resolved", resolved_on=TODAY)
    run()

    assert open_kinds(agreement) == set()
    assert agreement.flags.get().resolved_at == NOW


# Every kind -------------------------------------------------------------------


def flag_everything(partnership, police, oversight_body):
    agreement = factories.AgreementFactory(
        partnership=partnership,
        next_review_due=YESTERDAY,
        independent_auditor=police,
        expires_on=YESTERDAY,
    )
    high_risk(agreement)
    overdue_finding(agreement, oversight_body, YESTERDAY)
    # A data breach closed without a review, never notified to the authority.
    factories.IncidentFactory(
        agreements=[agreement],
        discovered_at=NOW - dt.timedelta(days=5),
        reported_to_authority_at=None,
        status="closed",
        closed_on=TODAY,
    )
    return agreement


def test_a_second_run_raises_nothing_new(partnership, police, oversight_body):
    agreement = flag_everything(partnership, police, oversight_body)
    first = run()

    second = run()

    assert open_kinds(agreement) == set(Flag.Kind.values)
    assert sum(first.raised.values()) == len(Flag.Kind)
    assert sum(second.raised.values()) == 0
    assert sum(second.closed.values()) == 0
    assert Flag.objects.count() == len(Flag.Kind)


def test_closed_flags_stay_on_the_record_and_a_new_one_can_be_raised(partnership, auditor):
    agreement = in_force(partnership, auditor, next_review_due=YESTERDAY)
    run()
    Agreement.objects.filter(pk=agreement.pk).update(next_review_due=TOMORROW)
    run()
    Agreement.objects.filter(pk=agreement.pk).update(next_review_due=YESTERDAY)

    run()

    flags = agreement.flags.order_by("pk")
    assert [flag.is_open for flag in flags] == [False, True]


def test_every_kind_of_flag_has_a_rule():
    assert {rule.kind for rule in FLAG_RULES} == set(Flag.Kind.values)


def test_the_number_of_queries_does_not_grow_with_the_agreements(
    partnership, police, oversight_body
):
    def queries_for(count):
        Flag.objects.all().delete()
        Agreement.objects.all().delete()
        for _ in range(count):
            flag_everything(partnership, police, oversight_body)
        with CaptureQueriesContext(connection) as first:
            run()
        with CaptureQueriesContext(connection) as second:
            run()
        assert Flag.objects.open().count() == len(Flag.Kind) * count
        return len(first), len(second)

    assert queries_for(10) == queries_for(500)


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_raise_no_duplicate_and_no_error(partnership, police, oversight_body):
    for _ in range(50):
        flag_everything(partnership, police, oversight_body)
    errors, reports = [], []
    barrier = threading.Barrier(2)

    def one_run(second):
        try:
            barrier.wait()
            reports.append(flagging_run(now=NOW + dt.timedelta(microseconds=second)))
        except Exception as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_run, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Flag.objects.count() == 50 * len(Flag.Kind)
    assert Flag.objects.open().count() == 50 * len(Flag.Kind)
    assert sum(sum(report.raised.values()) for report in reports) == 50 * len(Flag.Kind)


# By hand, and from the command line --------------------------------------------


def test_a_flag_resolved_by_hand_keeps_its_reason(partnership, auditor, board_member):
    agreement = in_force(partnership, auditor, next_review_due=YESTERDAY)
    run()
    flag = agreement.flags.get()

    assert (
        flag_resolve(flag=flag, actor=board_member, reason="Review held; minutes to follow.")
        is True
    )
    assert flag_resolve(flag=flag, actor=board_member, reason="Again") is False

    flag.refresh_from_db()
    assert flag.resolution == (
        f"Resolved by hand by {board_member.memberships.get().organization.name}: "
        "Review held; minutes to follow."
    )
    assert flag.resolved_at == NOW


def test_run_flagging_command_prints_counts_per_kind(partnership, police, oversight_body):
    flag_everything(partnership, police, oversight_body)
    out = io.StringIO()

    call_command("run_flagging", stdout=out)

    output = out.getvalue()
    for kind in Flag.Kind:
        assert f"{kind.label}: raised 1, closed 0" in output


def test_terminating_a_high_risk_agreement_closes_its_dpia_flag(partnership, auditor):
    agreement = in_force(partnership, auditor)
    high_risk(agreement)
    run()
    assert open_kinds(agreement) == {Flag.Kind.HIGH_RISK_WITHOUT_DPIA}

    Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.TERMINATED)
    run()

    assert open_kinds(agreement) == set()
    closed = Flag.objects.get(agreement=agreement, kind=Flag.Kind.HIGH_RISK_WITHOUT_DPIA)
    assert "no longer negotiated or in force" in closed.resolution
