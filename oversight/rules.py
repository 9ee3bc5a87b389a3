"""The flag rules: for each kind of flag, which agreements it applies to, what the flag
says (the values its sentence names, ``Flag.SENTENCES``), why it closes, and the facts a
flag resolved by hand stays closed on. The conditions are ``AgreementQuerySet`` methods,
and, for the conditions that involve reviews and their findings, the functions here; the
flagging job, the methodology page and the tests all read this table.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Exists, F, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject, TruncDate
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement, DataSharingTerm
from incidents.models import Incident
from incidents.querysets import NOTIFICATION_DEADLINE, REVIEW_EXPECTED_WITHIN

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


def breach_notified_late(now: datetime, agreements: QuerySet | None = None) -> QuerySet:
    """The ``agreements`` (all by default) with a published data breach notified to the
    authority more than 72 hours after its discovery, or not notified 72 hours after it,
    with no reason given for the delay (``IncidentQuerySet.notified_late``). Exactly 72
    hours is in time."""
    agreements = Agreement.objects.all() if agreements is None else agreements
    late = Incident.objects.counted_by_flags().notified_late(now).filter(agreements=OuterRef("pk"))
    return agreements.filter(Exists(late))


def incidents_without_review(today: date) -> QuerySet:
    """Published incidents after which a review of the agreement is expected (closed, or
    open ``REVIEW_EXPECTED_WITHIN`` days after the day of their discovery) with no review
    of that agreement completed on or after that day. Of each agreement through
    ``OuterRef("pk")``."""
    discovered_on = TruncDate("discovered_at", tzinfo=timezone.get_default_timezone())
    later_review = Review.objects.filter(
        agreement=OuterRef(OuterRef("pk")),
        status=Review.Status.COMPLETED,
        completed_on__gte=OuterRef("discovered_on"),
    )
    return (
        Incident.objects.counted_by_flags()
        .filter(agreements=OuterRef("pk"))
        .annotate(discovered_on=discovered_on)
        .filter(
            Q(status=Incident.Status.CLOSED) | Q(discovered_on__lte=today - REVIEW_EXPECTED_WITHIN)
        )
        .exclude(Exists(later_review))
    )


def incident_without_review(today: date, agreements: QuerySet | None = None) -> QuerySet:
    """The ``agreements`` (all by default) with an incident closed, or open for 60 days,
    and no review of the agreement completed since the day it was discovered."""
    agreements = Agreement.objects.all() if agreements is None else agreements
    return agreements.filter(Exists(incidents_without_review(today)))


def _unchanged(agreements: QuerySet, today: date) -> QuerySet:
    return agreements


@dataclass(frozen=True)
class FlagRule:
    kind: str
    # today (or, with ``at_instant``, now) -> the agreements that meet it
    condition: Callable[[date], QuerySet] | Callable[[datetime], QuerySet]
    fields: tuple[str, ...]  # what ``parameters`` reads of each agreement
    # (row of ``fields``, today) -> what the flag's sentence names (``Flag.SENTENCES``),
    # kept on the flag; a date as YYYY-MM-DD.
    parameters: Callable[[dict, date], dict]
    explanation: str  # how the condition is derived, for the methodology page
    resolution: str  # recorded when the job closes the flag
    # The inputs of the condition a flag resolved by hand stays closed on: {field or
    # annotation of ``facts_from``: what it is, in words}. When one changes, the job
    # raises the flag again.
    facts: Mapping[str, str]
    # (agreements, today) -> the agreements annotated with the facts that are not fields.
    facts_from: Callable[[QuerySet, date], QuerySet] = _unchanged
    # The condition is of an instant, not of a day (a deadline counted in hours).
    at_instant: bool = False

    def agreements(self, today: date, now: datetime | None = None) -> QuerySet:
        if self.at_instant:
            return self.condition(timezone.now() if now is None else now)
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
        *others, last = map(str, self.facts.values())
        if not others:
            return last
        return gettext("%(some)s and %(last)s") % {"some": ", ".join(others), "last": last}

    @property
    def label(self) -> str:
        return Flag.Kind(self.kind).label


def _no_independent_auditor(row, today):
    if row["independent_auditor__name"] is None:
        return {"sentence": "no_auditor"}
    return {"auditor": row["independent_auditor__name"]}


def _on(value: date) -> dict:
    return {"date": value.isoformat()}


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


def _with_breaches(agreements, today):
    return agreements.annotate(
        breaches=_ids(
            Incident.objects.counted_by_flags().filter(
                kind=Incident.Kind.DATA_BREACH, delay_reason=""
            ),
            "agreements",
        )
    )


def _with_unreviewed_incidents(agreements, today):
    return agreements.annotate(
        unreviewed_incidents=Subquery(
            incidents_without_review(today)
            .order_by()
            .values("agreements")
            .annotate(ids=ArrayAgg("pk", order_by="pk"))
            .values("ids")
        )
    )


def _hours(delta) -> int:
    return int(delta.total_seconds() // 3600)


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
        parameters=lambda row, today: _on(row["next_review_due"]),
        explanation=_(
            "A signed or active agreement whose next review was due before today. "
            "The next review is due one review interval after the last completed review, "
            "or after the date the agreement took effect if it was never reviewed."
        ),
        resolution=_(
            "The review is no longer overdue: a review was completed, the due date "
            "moved, or the agreement is no longer signed or active."
        ),
        facts={"next_review_due": _("the date the review was due")},
    ),
    FlagRule(
        kind=Flag.Kind.NO_INDEPENDENT_AUDITOR,
        condition=lambda today: Agreement.objects.lacking_independent_auditor(),
        fields=("independent_auditor__name",),
        parameters=_no_independent_auditor,
        explanation=_(
            "A signed or active agreement with no auditor, or whose auditor is "
            "itself a party to the partnership (and so not independent)."
        ),
        resolution=_(
            "An independent auditor is assigned, or the agreement is no longer signed or active."
        ),
        # Both stored on the agreement (``auditor_is_independent``: null without one).
        facts={
            "independent_auditor_id": _("the auditor"),
            "auditor_is_independent": _("whether the auditor is independent"),
        },
    ),
    FlagRule(
        kind=Flag.Kind.EXPIRED_BUT_ACTIVE,
        condition=lambda today: Agreement.objects.expired_but_active(today),
        fields=("expires_on",),
        parameters=lambda row, today: _on(row["expires_on"]),
        explanation=_("An agreement marked active whose expiry date is before today."),
        resolution=_("The agreement is no longer marked active, or its expiry date moved."),
        facts={"expires_on": _("the expiry date")},
    ),
    FlagRule(
        kind=Flag.Kind.HIGH_RISK_WITHOUT_DPIA,
        condition=high_risk_without_dpia,
        fields=(),
        parameters=lambda row, today: _on(today - DPIA_VALID_FOR),
        explanation=_(
            "A high-risk agreement being negotiated, signed or active with no "
            "data-protection impact assessment (DPIA) completed in the twelve months up to today "
            "(a draft is not flagged yet, nor an agreement that expired, was terminated or was "
            "superseded)."
        ),
        resolution=_(
            "A DPIA was completed, the agreement is no longer high-risk, or it is no "
            "longer negotiated or in force."
        ),
        facts={
            "derived_risk_level": _("the risk level"),
            "high_risk_terms": _("the high-risk data-sharing terms"),
            "last_dpia_completed_on": _("the date of the last completed DPIA"),
        },
        facts_from=_with_risk_and_last_dpia,
    ),
    FlagRule(
        kind=Flag.Kind.CORRECTIVE_ACTION_OVERDUE,
        condition=_with_earliest_overdue_action,
        fields=("earliest_overdue_action",),
        parameters=lambda row, today: _on(row["earliest_overdue_action"]),
        explanation=_(
            "A finding of a review is still open after the due date of its corrective action."
        ),
        resolution=_("No open finding of the agreement is past its due date any more."),
        facts={"overdue_findings": _("the open findings past their due date")},
        facts_from=_with_overdue_findings,
    ),
    FlagRule(
        kind=Flag.Kind.BREACH_NOTIFIED_LATE,
        condition=breach_notified_late,
        at_instant=True,
        fields=(),
        parameters=lambda row, today: {"hours": _hours(NOTIFICATION_DEADLINE)},
        explanation=format_lazy(
            _(
                "A published data breach on the agreement was notified to the "
                "supervisory authority more than {hours} hours after it was "
                "discovered, or has not been notified {hours} hours after "
                "it was discovered, and no reason for the delay is recorded (GDPR Art. 33(1), Law "
                "Enforcement Directive Art. 30(1)). Exactly {hours} hours is "
                "in time; the hours are counted between the two instants, whatever the time zones."
            ),
            hours=_hours(NOTIFICATION_DEADLINE),
        ),
        resolution=_(
            "No data breach of the agreement is notified late without a reason any "
            "more: a reason for the delay or the notification was recorded."
        ),
        facts={"breaches": _("the data breaches without a reason for a delay")},
        facts_from=_with_breaches,
    ),
    FlagRule(
        kind=Flag.Kind.INCIDENT_WITHOUT_REVIEW,
        condition=incident_without_review,
        fields=(),
        parameters=lambda row, today: {"days": REVIEW_EXPECTED_WITHIN.days},
        explanation=format_lazy(
            _(
                "A published incident on the agreement is closed, or has been open for "
                "{days} days since the day it was discovered, and no review "
                "or audit of the agreement was completed on or after that day."
            ),
            days=REVIEW_EXPECTED_WITHIN.days,
        ),
        resolution=_(
            "A review of the agreement was completed after each of its incidents was discovered."
        ),
        facts={"unreviewed_incidents": _("the incidents not followed by a review")},
        facts_from=_with_unreviewed_incidents,
    ),
]


def rule_of(kind: str) -> FlagRule:
    """The rule of a kind of flag."""
    return next(rule for rule in FLAG_RULES if rule.kind == kind)
