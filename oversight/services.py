"""Every write of oversight by its users: reviews, findings, and flags resolved by hand.

A write that can change an agreement's flags asks, once it commits, for a flagging run
over that agreement only; the nightly run covers the whole registry.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Agreement
from core.services import apply_fields, require
from core.tasks import enqueue_on_commit

from . import permissions
from .models import Finding, Flag, Review
from .rules import rule_of

# Asked by name, as the layers below ask for it: one way to the job, through the broker.
FLAGGING_TASK = "oversight.tasks.run_flagging"


def review_complete(*, review: Review, actor, completed_on: date, outcome: str) -> Review:
    """Complete a review, and move its agreement's next review forward by the interval."""
    require(permissions.can_change_review(actor, review))
    with transaction.atomic():
        review.status = Review.Status.COMPLETED
        review.completed_on = completed_on
        review.outcome = outcome
        review.full_clean()
        review.save()
        _review_due_move(review.agreement_id)
    return review


def review_record(
    *, agreement: Agreement, actor, data: Mapping[str, Any], findings: Sequence[Mapping] = ()
) -> Review:
    """Record a review of ``agreement`` by one of the actor's oversight organizations, with
    its findings and the reviewer's conflict-of-interest declaration (no ties, or the ties
    it declares). A completed review moves the agreement's next review forward."""
    require(permissions.can_record_review(actor, agreement))
    reviewer = data.get("reviewer")
    reviewers = permissions.reviewer_organizations(actor)
    if reviewer is None or not reviewers.filter(pk=reviewer.pk).exists():
        raise ValidationError(
            {"reviewer": _("You can record reviews for your own organization only.")}
        )
    if data.get("conflict_of_interest") not in Review.ANSWERS:
        raise ValidationError(
            {
                "conflict_of_interest": _(
                    "Say whether the reviewing organization has ties to a party."
                )
            }
        )
    with transaction.atomic():
        review = Review(agreement=agreement)
        apply_fields(review, Review.EDITABLE_FIELDS, data)
        review.full_clean()
        review.save()
        for finding_data in findings:
            _finding_save(Finding(review=review), finding_data)
        if review.status == Review.Status.COMPLETED:
            _review_due_move(agreement.pk)
        elif findings:
            _flags_refresh(agreement.pk)
    return review


def finding_add(*, review: Review, actor, data: Mapping[str, Any]) -> Finding:
    require(permissions.can_change_review(actor, review))
    with transaction.atomic():
        finding = _finding_save(Finding(review=review), data)
        _flags_refresh(review.agreement_id)
    return finding


def finding_resolve(*, finding: Finding, actor, resolved_on: date) -> bool:
    """Mark an open finding resolved (compare-and-swap: False if it already was). Its
    corrective-action flag, if any, closes on the flagging run enqueued after commit."""
    require(permissions.can_change_review(actor, finding.review))
    if finding.review.started_on and resolved_on < finding.review.started_on:
        raise ValidationError(
            {"resolved_on": _("A finding cannot be resolved before its review started.")}
        )
    with transaction.atomic():
        resolved = Finding.objects.filter(pk=finding.pk, status=Finding.Status.OPEN).update(
            status=Finding.Status.RESOLVED, resolved_on=resolved_on, updated_at=timezone.now()
        )
        if resolved:
            _flags_refresh(finding.review.agreement_id)
    finding.refresh_from_db()
    return resolved == 1


def _finding_save(finding: Finding, data: Mapping[str, Any]) -> Finding:
    apply_fields(finding, Finding.EDITABLE_FIELDS, data)
    finding.full_clean()
    finding.save()
    return finding


def _review_due_move(agreement_id: int) -> None:
    agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
    agreement.next_review_due = agreement.compute_next_review_due()
    agreement.save(update_fields=["next_review_due", "updated_at"])
    _flags_refresh(agreement_id)


def _flags_refresh(agreement_id: int) -> None:
    """Raise and close the agreement's flags now rather than tonight: a flagging run over
    that agreement alone, enqueued once the write commits (if the broker is down, the
    nightly run catches up)."""
    enqueue_on_commit(FLAGGING_TASK, agreement_ids=[agreement_id])


def flag_resolve(
    *,
    flag: Flag,
    actor,
    reason: str,
    closed_until: date | None = None,
    now: datetime | None = None,
) -> bool:
    """Close an open flag by hand, with the reason and the organization that closed it.
    False if it was already closed (compare-and-swap: two board members at once close it
    once).

    The flag records the facts of its condition as they are now (``FlagRule.facts``): the
    flagging job raises no new flag of the kind on the agreement while the condition holds
    on those facts, nor, with ``closed_until``, before that date (``oversight.flagging``).
    """
    require(permissions.can_resolve_flag(actor, flag))
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why the flag is resolved: it stays on the record.")}
        )
    now = now or timezone.now()
    today = timezone.localdate(now)
    if closed_until is not None and closed_until <= today:
        raise ValidationError(
            {"closed_until": _("Give a date after today: the flag stays closed until then.")}
        )
    rule = rule_of(flag.kind)
    organization = permissions.resolving_organization(actor)
    by = organization.name if organization else "the site administrators"
    reason = f"Resolved by hand by {by}: {reason}"
    closed = Flag.objects.filter(pk=flag.pk, resolved_at__isnull=True).update(
        resolved_at=now,
        resolution=reason,
        resolved_facts=rule.facts_of(flag.agreement_id, today),
        closed_until=closed_until,
    )
    flag.refresh_from_db()
    return closed == 1
