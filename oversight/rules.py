"""The flag rules: for each kind of flag, which agreements it applies to, what the flag
says, and why it closes. The conditions are ``AgreementQuerySet`` methods, and, for the
conditions that involve reviews and their findings, the functions here; the flagging
job, the methodology page and the tests all read this table.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, Min, OuterRef, QuerySet, Subquery

from agreements.models import Agreement

from .models import DPIA_VALID_FOR, Finding, Flag, Review


def high_risk_without_dpia(today: date, agreements: QuerySet | None = None) -> QuerySet:
    """The high-risk ``agreements`` (all by default) being negotiated or in force
    (``Agreement.DPIA_DUE``) with no DPIA completed in the twelve months up to today.

    A DPIA completed on 21 November 2025 still counts on 21 November 2026, not the day after.
    """
    agreements = Agreement.objects.all() if agreements is None else agreements
    valid_dpia = Review.objects.valid_dpias(today).filter(agreement=OuterRef("pk"))
    due = agreements.filter(status__in=Agreement.DPIA_DUE)
    return due.high_risk().exclude(Exists(valid_dpia))


def corrective_action_overdue(today: date, agreements: QuerySet | None = None) -> QuerySet:
    """The ``agreements`` (all by default) with an open finding of one of their reviews past
    its due date."""
    agreements = Agreement.objects.all() if agreements is None else agreements
    overdue = Finding.objects.action_overdue(today).filter(review__agreement=OuterRef("pk"))
    return agreements.filter(Exists(overdue))


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True)
class FlagRule:
    kind: str
    condition: Callable[[date], QuerySet]  # today -> the agreements that meet it
    fields: tuple[str, ...]  # what ``detail`` reads of each agreement
    detail: Callable[[dict, date], str]  # the flag's text for one agreement
    explanation: str  # how the condition is derived, for the methodology page
    resolution: str  # recorded when the job closes the flag

    def agreements(self, today: date) -> QuerySet:
        return self.condition(today)

    @property
    def label(self) -> str:
        return Flag.Kind(self.kind).label


def _no_independent_auditor(row, today):
    if row["independent_auditor__name"] is None:
        return "No independent auditor is assigned."
    return (
        f"The auditor, {row['independent_auditor__name']}, is a party to the partnership: "
        "not independent."
    )


def _with_earliest_overdue_action(today):
    earliest_due = (
        Finding.objects.action_overdue(today)
        .filter(review__agreement=OuterRef("pk"))
        .values("review__agreement")
        .annotate(earliest=Min("due_on"))
        .values("earliest")
    )
    return corrective_action_overdue(today).annotate(earliest_overdue_action=Subquery(earliest_due))


FLAG_RULES = [
    FlagRule(
        kind=Flag.Kind.REVIEW_OVERDUE,
        condition=lambda today: Agreement.objects.review_overdue(today),
        fields=("next_review_due",),
        detail=lambda row, today: f"The review was due on {_day(row['next_review_due'])}.",
        explanation="A signed or active agreement whose next review was due before today. "
        "The next review is due one review interval after the last completed review, "
        "or after the date the agreement took effect if it was never reviewed.",
        resolution="The review is no longer overdue: a review was completed, the due date "
        "moved, or the agreement is no longer signed or active.",
    ),
    FlagRule(
        kind=Flag.Kind.NO_INDEPENDENT_AUDITOR,
        condition=lambda today: Agreement.objects.lacking_independent_auditor(),
        fields=("independent_auditor__name",),
        detail=_no_independent_auditor,
        explanation="A signed or active agreement with no auditor, or whose auditor is "
        "itself a party to the partnership (and so not independent).",
        resolution="An independent auditor is assigned, or the agreement is no longer "
        "signed or active.",
    ),
    FlagRule(
        kind=Flag.Kind.EXPIRED_BUT_ACTIVE,
        condition=lambda today: Agreement.objects.expired_but_active(today),
        fields=("expires_on",),
        detail=lambda row, today: f"Expired on {_day(row['expires_on'])} but still marked active.",
        explanation="An agreement marked active whose expiry date is before today.",
        resolution="The agreement is no longer marked active, or its expiry date moved.",
    ),
    FlagRule(
        kind=Flag.Kind.HIGH_RISK_WITHOUT_DPIA,
        condition=high_risk_without_dpia,
        fields=(),
        detail=lambda row, today: (
            f"High-risk data sharing, and no DPIA completed since {_day(today - DPIA_VALID_FOR)}."
        ),
        explanation="A high-risk agreement being negotiated, signed or active with no "
        "data-protection impact assessment (DPIA) completed in the twelve months up to today "
        "(a draft is not flagged yet, nor an agreement that expired, was terminated or was "
        "superseded).",
        resolution="A DPIA was completed, the agreement is no longer high-risk, or it is no "
        "longer negotiated or in force.",
    ),
    FlagRule(
        kind=Flag.Kind.CORRECTIVE_ACTION_OVERDUE,
        condition=_with_earliest_overdue_action,
        fields=("earliest_overdue_action",),
        detail=lambda row, today: (
            f"A corrective action was due on {_day(row['earliest_overdue_action'])} "
            "and is still open."
        ),
        explanation="A finding of a review is still open after the due date of its "
        "corrective action.",
        resolution="No open finding of the agreement is past its due date any more.",
    ),
]
