"""Oversight: review and finding invariants, one open flag per kind, independence of
reviews, and the conditions on which the flagging job raises each kind of flag."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from agreements.derived import derived_facts_refresh
from agreements.models import Agreement
from oversight.models import Finding, Flag, Review
from oversight.rules import corrective_action_overdue, high_risk_without_dpia
from partnerships.models import Organization
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 21)
YESTERDAY = TODAY - dt.timedelta(days=1)
TOMORROW = TODAY + dt.timedelta(days=1)
RAISED_AT = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)
RESOLVED_AT = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)

Status = Agreement.Status


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral protocol")


def titles(queryset) -> list[str]:
    """Sorted, and with duplicates kept, so that a duplicated row fails the comparison."""
    return sorted(queryset.values_list("title", flat=True))


# Reviews ---------------------------------------------------------------------------------

STARTED = dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    ("status", "started_on", "completed_on"),
    [
        pytest.param("completed", STARTED, STARTED, id="completed-the-day-it-started"),
        pytest.param("completed", STARTED, dt.date(2026, 5, 1), id="completed-later"),
        pytest.param("completed", None, dt.date(2026, 5, 1), id="completed-start-unknown"),
        pytest.param("in_progress", STARTED, None, id="in-progress"),
        pytest.param("scheduled", None, None, id="scheduled"),
    ],
)
def test_it_stores_review_with_consistent_dates(
    agreement, oversight_body, status, started_on, completed_on
):
    factories.ReviewFactory(
        agreement=agreement,
        reviewer=oversight_body,
        status=status,
        started_on=started_on,
        completed_on=completed_on,
    )

    stored = Review.objects.get(agreement=agreement)
    assert (stored.status, stored.started_on, stored.completed_on) == (
        status,
        started_on,
        completed_on,
    )


@pytest.mark.parametrize(
    "completed_on",
    [
        pytest.param(STARTED - dt.timedelta(days=1), id="the-day-before"),
        pytest.param(dt.date(2025, 12, 31), id="months-before"),
    ],
)
def test_it_rejects_review_completed_before_it_started(agreement, oversight_body, completed_on):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ReviewFactory(
            agreement=agreement,
            reviewer=oversight_body,
            started_on=STARTED,
            completed_on=completed_on,
        )

    assert Review.objects.filter(agreement=agreement).exists() is False


def test_it_rejects_completed_review_without_completion_date(agreement, oversight_body):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ReviewFactory(
            agreement=agreement, reviewer=oversight_body, status="completed", completed_on=None
        )

    assert Review.objects.filter(agreement=agreement).exists() is False


# Findings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "resolved_on", "stored"),
    [
        pytest.param("open", None, True, id="open-without-date"),
        pytest.param("resolved", dt.date(2026, 6, 1), True, id="resolved-with-date"),
        pytest.param("resolved", None, False, id="resolved-without-date-rejected"),
        pytest.param("open", dt.date(2026, 6, 1), False, id="open-with-date-rejected"),
    ],
)
def test_a_finding_has_a_resolution_date_exactly_when_it_is_resolved(
    agreement, oversight_body, status, resolved_on, stored
):
    review = factories.ReviewFactory(agreement=agreement, reviewer=oversight_body)

    def create():
        factories.FindingFactory(review=review, status=status, resolved_on=resolved_on)

    if stored:
        create()
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            create()

    assert Finding.objects.filter(review=review).count() == (1 if stored else 0)


# Flags: at most one open flag per (agreement, kind) ----------------------------------------

Kind = Flag.Kind


def test_it_rejects_a_second_open_flag_of_the_same_kind(agreement):
    factories.FlagFactory(agreement=agreement, kind=Kind.REVIEW_OVERDUE)

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.FlagFactory(agreement=agreement, kind=Kind.REVIEW_OVERDUE)

    assert Flag.objects.filter(agreement=agreement).count() == 1


def test_it_raises_a_flag_again_once_the_earlier_one_is_resolved(agreement):
    first = factories.FlagFactory(
        agreement=agreement, kind=Kind.REVIEW_OVERDUE, raised_at=RAISED_AT
    )
    Flag.objects.filter(pk=first.pk).update(resolved_at=RESOLVED_AT, resolution="Reviewed.")

    factories.FlagFactory(agreement=agreement, kind=Kind.REVIEW_OVERDUE, raised_at=RESOLVED_AT)
    factories.FlagFactory(
        agreement=agreement, kind=Kind.REVIEW_OVERDUE, raised_at=RAISED_AT, resolved_at=RESOLVED_AT
    )

    flags = Flag.objects.filter(agreement=agreement, kind=Kind.REVIEW_OVERDUE)
    assert flags.count() == 3
    assert flags.open().count() == 1


def test_it_keeps_open_flags_of_different_kinds_and_agreements_apart(partnership, agreement):
    other_agreement = factories.AgreementFactory(partnership=partnership)

    factories.FlagFactory(agreement=agreement, kind=Kind.REVIEW_OVERDUE)
    factories.FlagFactory(agreement=agreement, kind=Kind.EXPIRED_BUT_ACTIVE)
    factories.FlagFactory(agreement=other_agreement, kind=Kind.REVIEW_OVERDUE)

    assert Flag.objects.open().count() == 3


def test_it_rejects_reopening_a_flag_while_another_of_its_kind_is_open(agreement):
    closed = factories.FlagFactory(
        agreement=agreement, kind=Kind.REVIEW_OVERDUE, raised_at=RAISED_AT, resolved_at=RESOLVED_AT
    )
    factories.FlagFactory(agreement=agreement, kind=Kind.REVIEW_OVERDUE)

    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.filter(pk=closed.pk).update(resolved_at=None)

    closed.refresh_from_db()
    assert closed.resolved_at is not None
    assert Flag.objects.open().count() == 1


def test_it_rejects_a_flag_resolved_before_it_was_raised(agreement):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.FlagFactory(
            agreement=agreement,
            raised_at=RAISED_AT,
            resolved_at=RAISED_AT - dt.timedelta(seconds=1),
        )

    assert Flag.objects.filter(agreement=agreement).exists() is False


# Independent reviews ---------------------------------------------------------------------


@pytest.fixture
def outside_auditor():
    return factories.OrganizationFactory(
        name="Ledger & Co Auditors", slug="ledger-auditors", kind=Organization.Kind.AUDITOR
    )


@pytest.mark.parametrize(
    ("reviewer", "independent"),
    [
        pytest.param("oversight_body", True, id="oversight-board"),
        pytest.param("outside_auditor", True, id="outside-auditor"),
        pytest.param("other_ngo", True, id="an-ngo-that-is-not-a-party"),
        pytest.param("ngo", False, id="the-ngo-party-reviews-itself"),
        pytest.param("police", False, id="the-police-party-reviews-itself"),
    ],
)
def test_a_review_is_independent_only_when_its_reviewer_is_not_a_party(
    request, agreement, reviewer, independent
):
    review = factories.ReviewFactory(
        agreement=agreement, reviewer=request.getfixturevalue(reviewer)
    )

    review = Review.objects.get(pk=review.pk)
    assert review.is_independent() is independent
    assert Review.objects.independent().filter(pk=review.pk).exists() is independent
    assert Review.objects.not_independent().filter(pk=review.pk).exists() is (not independent)


def test_a_reviewer_is_judged_against_the_partnership_of_the_reviewed_agreement(
    agreement, other_ngo
):
    """The other NGO is a party to its own partnership only."""
    its_own = factories.partnership_with_parties(ngo=other_ngo)
    own_agreement = factories.AgreementFactory(partnership=its_own)
    independent = factories.ReviewFactory(agreement=agreement, reviewer=other_ngo)
    self_review = factories.ReviewFactory(agreement=own_agreement, reviewer=other_ngo)

    assert list(Review.objects.independent()) == [independent]
    assert list(Review.objects.not_independent()) == [self_review]


# Flag conditions -------------------------------------------------------------------------

ALL_STATUSES = list(Status.values)
IN_FORCE = {Status.SIGNED, Status.ACTIVE}


@pytest.mark.parametrize(
    ("status", "next_review_due", "overdue"),
    [
        pytest.param(Status.ACTIVE, YESTERDAY, True, id="active-due-yesterday"),
        pytest.param(Status.SIGNED, YESTERDAY, True, id="signed-due-yesterday"),
        pytest.param(Status.ACTIVE, dt.date(2024, 1, 1), True, id="active-due-years-ago"),
        pytest.param(Status.ACTIVE, TODAY, False, id="active-due-today"),
        pytest.param(Status.SIGNED, TODAY, False, id="signed-due-today"),
        pytest.param(Status.ACTIVE, TOMORROW, False, id="active-due-tomorrow"),
        pytest.param(Status.ACTIVE, None, False, id="active-no-review-date"),
        *(
            pytest.param(status, YESTERDAY, False, id=f"{status}-due-yesterday")
            for status in ALL_STATUSES
            if status not in IN_FORCE
        ),
    ],
)
def test_review_overdue_selects_agreements_in_force_whose_review_was_due_before_today(
    agreement, status, next_review_due, overdue
):
    Agreement.objects.filter(pk=agreement.pk).update(status=status, next_review_due=next_review_due)

    assert titles(Agreement.objects.review_overdue(TODAY)) == (
        ["Referral protocol"] if overdue else []
    )


@pytest.mark.parametrize(
    ("status", "expires_on", "selected"),
    [
        pytest.param(Status.ACTIVE, YESTERDAY, True, id="active-expired-yesterday"),
        pytest.param(Status.ACTIVE, dt.date(2025, 1, 1), True, id="active-expired-long-ago"),
        pytest.param(Status.ACTIVE, TODAY, False, id="active-expires-today"),
        pytest.param(Status.ACTIVE, TOMORROW, False, id="active-expires-tomorrow"),
        pytest.param(Status.ACTIVE, None, False, id="active-no-expiry-date"),
        *(
            pytest.param(status, YESTERDAY, False, id=f"{status}-expired-yesterday")
            for status in ALL_STATUSES
            if status != Status.ACTIVE
        ),
    ],
)
def test_expired_but_active_selects_active_agreements_past_their_expiry_date(
    agreement, status, expires_on, selected
):
    Agreement.objects.filter(pk=agreement.pk).update(status=status, expires_on=expires_on)

    assert titles(Agreement.objects.expired_but_active(TODAY)) == (
        ["Referral protocol"] if selected else []
    )


HIGH = {"data_category": "victim_records", "direction": "ngo_to_police"}
MEDIUM = {"data_category": "case_records", "direction": "ngo_to_police"}
LOW = {"data_category": "aggregate_statistics", "direction": "police_to_ngo"}
A_YEAR_AGO = dt.date(2025, 11, 21)
DPIA, AUDIT = Review.Kind.DPIA, Review.Kind.AUDIT


@pytest.mark.parametrize(
    ("term", "reviews", "selected"),
    [
        pytest.param(HIGH, [], True, id="high-risk-never-assessed"),
        pytest.param(HIGH, [(DPIA, "completed", YESTERDAY)], False, id="dpia-yesterday"),
        pytest.param(HIGH, [(DPIA, "completed", TODAY)], False, id="dpia-today"),
        pytest.param(
            HIGH, [(DPIA, "completed", A_YEAR_AGO)], False, id="dpia-exactly-12-months-ago"
        ),
        pytest.param(
            HIGH,
            [(DPIA, "completed", A_YEAR_AGO - dt.timedelta(days=1))],
            True,
            id="dpia-12-months-and-a-day-ago",
        ),
        pytest.param(
            HIGH,
            [(DPIA, "completed", dt.date(2023, 5, 1)), (DPIA, "completed", dt.date(2026, 5, 1))],
            False,
            id="old-and-recent-dpia",
        ),
        pytest.param(HIGH, [(AUDIT, "completed", YESTERDAY)], True, id="audit-is-not-a-dpia"),
        pytest.param(
            HIGH,
            [(Review.Kind.SCHEDULED_REVIEW, "completed", YESTERDAY)],
            True,
            id="scheduled-review-is-not-a-dpia",
        ),
        pytest.param(HIGH, [(DPIA, "scheduled", None)], True, id="dpia-only-scheduled"),
        pytest.param(HIGH, [(DPIA, "in_progress", None)], True, id="dpia-in-progress"),
        pytest.param(
            HIGH, [(DPIA, "in_progress", YESTERDAY)], True, id="dpia-in-progress-with-a-date"
        ),
        pytest.param(HIGH, [(DPIA, "completed", TOMORROW)], True, id="dpia-dated-after-today"),
        pytest.param(MEDIUM, [], False, id="medium-risk-never-assessed"),
        pytest.param(LOW, [], False, id="low-risk-never-assessed"),
        pytest.param(None, [], False, id="no-terms-never-assessed"),
    ],
)
def test_high_risk_without_dpia_selects_high_risk_agreements_lacking_a_dpia_in_12_months(
    agreement, oversight_body, term, reviews, selected
):
    if term is not None:
        factories.DataSharingTermFactory(agreement=agreement, **term)
    for kind, status, completed_on in reviews:
        factories.ReviewFactory(
            agreement=agreement,
            reviewer=oversight_body,
            kind=kind,
            status=status,
            started_on=None,
            completed_on=completed_on,
        )

    assert titles(high_risk_without_dpia(TODAY)) == (["Referral protocol"] if selected else [])


def test_a_dpia_of_another_agreement_does_not_count(partnership, agreement, oversight_body):
    factories.DataSharingTermFactory(agreement=agreement, **HIGH)
    assessed = factories.AgreementFactory(partnership=partnership, title="Assessed")
    factories.DataSharingTermFactory(agreement=assessed, **HIGH)
    factories.ReviewFactory(
        agreement=assessed, reviewer=oversight_body, kind=DPIA, completed_on=YESTERDAY
    )

    assert titles(high_risk_without_dpia(TODAY)) == ["Referral protocol"]


@pytest.mark.parametrize(
    ("findings", "selected"),
    [
        pytest.param([("open", YESTERDAY)], True, id="open-due-yesterday"),
        pytest.param([("open", dt.date(2025, 6, 1))], True, id="open-due-long-ago"),
        pytest.param([("open", TODAY)], False, id="open-due-today"),
        pytest.param([("open", TOMORROW)], False, id="open-due-tomorrow"),
        pytest.param([("open", None)], False, id="open-without-due-date"),
        pytest.param([("resolved", YESTERDAY)], False, id="resolved-was-due-yesterday"),
        pytest.param(
            [("resolved", YESTERDAY), ("open", TOMORROW)],
            False,
            id="resolved-late-and-open-not-due",
        ),
        pytest.param(
            [("resolved", YESTERDAY), ("open", YESTERDAY)], True, id="resolved-and-open-overdue"
        ),
        pytest.param(
            [("open", YESTERDAY), ("open", dt.date(2026, 1, 1))], True, id="two-open-overdue"
        ),
        pytest.param([], False, id="no-findings"),
    ],
)
def test_corrective_action_overdue_selects_agreements_with_an_open_finding_past_due(
    agreement, oversight_body, findings, selected
):
    review = factories.ReviewFactory(agreement=agreement, reviewer=oversight_body)
    for status, due_on in findings:
        factories.FindingFactory(
            review=review,
            status=status,
            due_on=due_on,
            resolved_on=YESTERDAY if status == "resolved" else None,
        )

    assert titles(corrective_action_overdue(TODAY)) == (["Referral protocol"] if selected else [])


def test_an_overdue_finding_flags_only_the_agreement_it_was_found_on(
    partnership, agreement, oversight_body
):
    other = factories.AgreementFactory(partnership=partnership, title="Other")
    factories.ReviewFactory(agreement=other, reviewer=oversight_body)
    review = factories.ReviewFactory(agreement=agreement, reviewer=oversight_body)
    factories.FindingFactory(review=review, due_on=YESTERDAY)

    assert titles(corrective_action_overdue(TODAY)) == ["Referral protocol"]


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize(
    ("auditor", "independent"),
    [
        pytest.param(None, False, id="no-auditor"),
        pytest.param("ngo", False, id="party-auditor"),
        pytest.param("outside_auditor", True, id="outside-auditor"),
    ],
)
def test_lacking_independent_auditor_selects_agreements_in_force_without_an_outside_auditor(
    request, agreement, status, auditor, independent
):
    Agreement.objects.filter(pk=agreement.pk).update(
        status=status,
        independent_auditor=request.getfixturevalue(auditor) if auditor else None,
    )
    # What every write of an auditor does in its transaction: the stored independence.
    derived_facts_refresh(agreement_ids=[agreement.pk])
    stored = Agreement.objects.with_auditor_independence_by_rule().get(pk=agreement.pk)
    assert stored.auditor_is_independent is stored.auditor_independence
    assert (stored.auditor_is_independent is True) is independent
    selected = status in IN_FORCE and not independent

    assert titles(Agreement.objects.lacking_independent_auditor()) == (
        ["Referral protocol"] if selected else []
    )


@pytest.mark.parametrize(
    ("status", "selected"),
    [
        ("draft", False),  # nothing is agreed yet
        ("negotiating", True),  # the assessment is due before the data flows
        ("signed", True),
        ("active", True),
        ("expired", False),
        ("terminated", False),
        ("superseded", False),
    ],
)
def test_high_risk_without_dpia_only_while_negotiated_or_in_force(agreement, status, selected):
    Agreement.objects.filter(pk=agreement.pk).update(status=status)
    factories.DataSharingTermFactory(agreement=agreement, **HIGH)

    assert titles(high_risk_without_dpia(TODAY)) == (["Referral protocol"] if selected else [])
