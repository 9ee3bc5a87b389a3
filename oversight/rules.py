"""The flag rules: for each kind of flag, which agreements it applies to, what the flag
says, why it closes, and the facts a flag resolved by hand stays closed on. The
conditions are ``AgreementQuerySet`` methods, and, for the conditions that involve
reviews and their findings, the functions here; the flagging job, the methodology page
and the tests all read this table.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Exists, F, Min, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject

from agreements.models import Agreement, DataSharingTerm

from .models import DPIA_VALID_FOR, Finding, Flag, Review

# The alias under which ``FlagRule.with_facts`` puts an agreement's facts.
FACTS = "flag_facts"


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


def _unchanged(agreements: QuerySet, today: date) -> QuerySet:
    return agreements


@dataclass(frozen=True)
class FlagRule:
    kind: str
    condition: Callable[[date], QuerySet]  # today -> the agreements that meet it
    fields: tuple[str, ...]  # what ``detail`` reads of each agreement
    detail: Callable[[dict, date], str]  # the flag's text for one agreement
    explanation: str  # how the condition is derived, for the methodology page
    resolution: str  # recorded when the job closes the flag
    # The inputs of the condition a flag resolved by hand stays closed on: {field or
    # annotation of ``facts_from``: what it is, in words}. When one changes, the job
    # raises the flag again.
    facts: Mapping[str, str]
    # (agreements, today) -> the agreements annotated with the facts that are not fields.
    facts_from: Callable[[QuerySet, date], QuerySet] = _unchanged

    def agreements(self, today: date) -> QuerySet:
        return self.condition(today)

    def with_facts(self, agreements: QuerySet, today: date) -> QuerySet:
        """``agreements`` with their facts as one JSON object, aliased ``FACTS``: in SQL,
        so that the job compares them with a hand resolution's without reading them."""
        annotated = self.facts_from(agreements, today)
        return annotated.alias(**{FACTS: JSONObject(**{name: F(name) for name in self.facts})})

    def facts_of(self, agreement_id: int, today: date) -> dict:
        """The facts of one agreement today, as ``with_facts`` computes them."""
        agreements = self.with_facts(Agreement.objects.filter(pk=agreement_id), today)
        return agreements.annotate(facts=F(FACTS)).values_list("facts", flat=True).get()

    @property
    def facts_in_words(self) -> str:
        """The facts, for the methodology page and the flag's page: "a, b and c"."""
        *others, last = self.facts.values()
        return f"{', '.join(others)} and {last}" if others else last

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


def _with_auditor(agreements, today):
    return agreements.with_auditor_independence()


def _with_risk_and_last_dpia(agreements, today):
    last_dpia = (
        Review.objects.filter(
            agreement=OuterRef("pk"), kind=Review.Kind.DPIA, status=Review.Status.COMPLETED
        )
        .order_by("-completed_on")
        .values("completed_on")[:1]
    )
    return agreements.with_risk_level().annotate(
        high_risk_terms=_ids(DataSharingTerm.objects.high_risk()),
        last_dpia_completed_on=Subquery(last_dpia),
    )


def _with_overdue_findings(agreements, today):
    return agreements.annotate(
        overdue_findings=_ids(Finding.objects.action_overdue(today), "review__agreement")
    )


def _ids(rows: QuerySet, agreement: str = "agreement") -> Subquery:
    """The ids of ``rows`` of each agreement (``agreement``: the path to it), in order."""
    return Subquery(
        rows.filter(**{agreement: OuterRef("pk")})
        .order_by()
        .values(agreement)
        .annotate(ids=ArrayAgg("pk", order_by="pk"))
        .values("ids")
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
        facts={"next_review_due": "the date the review was due"},
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
        facts={
            "independent_auditor_id": "the auditor",
            "auditor_is_independent": "whether the auditor is independent",
        },
        facts_from=_with_auditor,
    ),
    FlagRule(
        kind=Flag.Kind.EXPIRED_BUT_ACTIVE,
        condition=lambda today: Agreement.objects.expired_but_active(today),
        fields=("expires_on",),
        detail=lambda row, today: f"Expired on {_day(row['expires_on'])} but still marked active.",
        explanation="An agreement marked active whose expiry date is before today.",
        resolution="The agreement is no longer marked active, or its expiry date moved.",
        facts={"expires_on": "the expiry date"},
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
        facts={
            "derived_risk_level": "the risk level",
            "high_risk_terms": "the high-risk data-sharing terms",
            "last_dpia_completed_on": "the date of the last completed DPIA",
        },
        facts_from=_with_risk_and_last_dpia,
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
        facts={"overdue_findings": "the open findings past their due date"},
        facts_from=_with_overdue_findings,
    ),
]


def rule_of(kind: str) -> FlagRule:
    """The rule of a kind of flag."""
    return next(rule for rule in FLAG_RULES if rule.kind == kind)
