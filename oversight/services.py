"""Every write of oversight: reviews, findings, flags resolved by hand; and the jobs —
expiring agreements, raising and closing flags, and the digests.

Each job takes ``now`` once and is set-based: a few statements whatever the number of
agreements. Each is idempotent and safe when two runs overlap: the partial unique
constraint on open flags and compare-and-swap updates keep a second run from doing
anything twice.
"""

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from agreements.models import Agreement
from core.tasks import enqueue_on_commit
from partnerships.models import Membership

from . import permissions
from .models import Finding, Flag, Review, ReviewReminder
from .rules import FLAG_RULES, FlagRule

logger = logging.getLogger(__name__)

# How far ahead the digests announce reviews that fall due.
REVIEW_DUE_NOTICE = timedelta(days=30)
BATCH_SIZE = 2000
RAISE_BATCH_SIZE = 20_000
STATISTICS_REFRESH_THRESHOLD = 10_000


@dataclass
class FlaggingReport:
    expired: int = 0
    raised: dict[str, int] = field(default_factory=dict)
    closed: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "expired": self.expired,
            "raised": self.raised,
            "closed": self.closed,
            "failed": self.failed,
        }


def agreements_expire(*, now: datetime) -> int:
    """Mark as expired the agreements in force, set to auto-expire, past their expiry date."""
    today = timezone.localdate(now)
    return Agreement.objects.filter(
        auto_expire=True, status__in=Agreement.IN_FORCE, expires_on__lt=today
    ).update(status=Agreement.Status.EXPIRED, updated_at=now)


def flags_close(*, rule: FlagRule, now: datetime) -> int:
    """Close the open flags of ``rule``'s kind whose condition no longer holds."""
    today = timezone.localdate(now)
    # NOT EXISTS, not NOT IN: PostgreSQL hashes a NOT IN subquery only while it fits in
    # work_mem, and past that re-runs it for every flag (minutes at a million rows).
    still_holds = rule.agreements(today).order_by().filter(pk=OuterRef("agreement_id"))
    return (
        Flag.objects.open()
        .filter(kind=rule.kind, raised_at__lte=now)
        .exclude(Exists(still_holds))
        .update(resolved_at=now, resolution=rule.resolution)
    )


def flags_raise(*, rule: FlagRule, now: datetime) -> int:
    """Raise a flag of ``rule``'s kind on each agreement meeting it that has none open.

    The candidates are read in one query (as plain tuples) and go in by batches of
    ``RAISE_BATCH_SIZE``. A flag raised meanwhile by an overlapping run is skipped by the
    partial unique constraint; the count is of the flags this run raised.
    """
    today = timezone.localdate(now)
    already_open = Flag.objects.open().filter(kind=rule.kind, agreement=OuterRef("pk"))
    candidates = rule.agreements(today).exclude(Exists(already_open)).order_by()
    # Not a server-side cursor: PostgreSQL plans those for their first rows (nested
    # loops), which took minutes at a million agreements.
    names = ("pk", *rule.fields)
    rows = list(candidates.values_list(*names))
    for start in range(0, len(rows), RAISE_BATCH_SIZE):
        batch = rows[start : start + RAISE_BATCH_SIZE]
        flags = [
            (row[0], _detail(rule, dict(zip(names, row, strict=True)), today)) for row in batch
        ]
        _flags_insert(rule.kind, now, flags)
    return Flag.objects.filter(kind=rule.kind, raised_at=now).count() if rows else 0


def _flags_insert(kind: str, now: datetime, flags: list[tuple[int, str]]) -> None:
    """Insert open flags (agreement id, detail), skipping any that conflicts with an open
    one. On PostgreSQL one ``INSERT … SELECT FROM unnest(…)`` per batch: a handful of
    parameters instead of one per field of every row, as ``bulk_create`` would send."""
    if connection.vendor != "postgresql":
        Flag.objects.bulk_create(
            [Flag(agreement_id=pk, kind=kind, raised_at=now, detail=text) for pk, text in flags],
            batch_size=BATCH_SIZE,
            ignore_conflicts=True,
        )
        return
    agreement_ids, details = zip(*flags, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Flag._meta.db_table} "  # noqa: S608 (the table name is ours)
            "(agreement_id, kind, raised_at, detail, resolution) "
            "SELECT agreement_id, %s, %s, detail, '' "
            "FROM unnest(%s::bigint[], %s::text[]) AS candidate (agreement_id, detail) "
            "ON CONFLICT DO NOTHING",
            [kind, now, list(agreement_ids), list(details)],
        )


def _detail(rule: FlagRule, row: dict, today) -> str:
    try:
        return rule.detail(row, today)
    except Exception:  # a bad row gets a plain flag; it never stops the run
        logger.exception("flagging: cannot describe %s on agreement %s", rule.kind, row["pk"])
        return ""


def flagging_run(*, now: datetime) -> FlaggingReport:
    """The nightly oversight run.

    1. Expire the agreements set to auto-expire that are past their expiry date.
    2. For each kind of flag: close the open flags whose condition cleared, then raise
       flags on the agreements that meet the condition and have none open.

    A kind that fails on bad data is logged and skipped; the other kinds still run.
    Connection errors propagate, so that the task retries.
    """
    report = FlaggingReport(expired=agreements_expire(now=now))
    for rule in FLAG_RULES:
        try:
            with transaction.atomic():
                report.closed[str(rule.kind)] = flags_close(rule=rule, now=now)
                report.raised[str(rule.kind)] = flags_raise(rule=rule, now=now)
        except (IntegrityError, DataError):
            logger.exception("flagging: %s failed; the other kinds go on", rule.kind)
            report.failed.append(str(rule.kind))
    if sum(report.raised.values()) >= STATISTICS_REFRESH_THRESHOLD:
        _refresh_flag_statistics()
    logger.info("flagging run at %s: %s", now.isoformat(), report.as_dict())
    return report


def review_complete(*, review: Review, actor, completed_on: date, outcome: str) -> Review:
    """Complete a review, and move its agreement's next review forward by the interval."""
    _require(permissions.can_change_review(actor, review))
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
    its findings. A completed review moves the agreement's next review forward."""
    _require(permissions.can_record_review(actor, agreement))
    reviewer = data.get("reviewer")
    reviewers = permissions.reviewer_organizations(actor)
    if reviewer is None or not reviewers.filter(pk=reviewer.pk).exists():
        raise ValidationError(
            {"reviewer": "You can record reviews for your own organization only."}
        )
    with transaction.atomic():
        review = Review(agreement=agreement)
        _apply(review, Review.EDITABLE_FIELDS, data)
        review.full_clean()
        review.save()
        for finding_data in findings:
            _finding_save(Finding(review=review), finding_data)
        if review.status == Review.Status.COMPLETED:
            _review_due_move(agreement.pk)
        elif findings:
            enqueue_on_commit("oversight.tasks.run_flagging")
    return review


def finding_add(*, review: Review, actor, data: Mapping[str, Any]) -> Finding:
    _require(permissions.can_change_review(actor, review))
    with transaction.atomic():
        finding = _finding_save(Finding(review=review), data)
        enqueue_on_commit("oversight.tasks.run_flagging")
    return finding


def finding_resolve(*, finding: Finding, actor, resolved_on: date) -> bool:
    """Mark an open finding resolved (compare-and-swap: False if it already was). Its
    corrective-action flag, if any, closes on the flagging run enqueued after commit."""
    _require(permissions.can_change_review(actor, finding.review))
    if finding.review.started_on and resolved_on < finding.review.started_on:
        raise ValidationError(
            {"resolved_on": "A finding cannot be resolved before its review started."}
        )
    with transaction.atomic():
        resolved = Finding.objects.filter(pk=finding.pk, status=Finding.Status.OPEN).update(
            status=Finding.Status.RESOLVED, resolved_on=resolved_on, updated_at=timezone.now()
        )
        if resolved:
            enqueue_on_commit("oversight.tasks.run_flagging")
    finding.refresh_from_db()
    return resolved == 1


def _finding_save(finding: Finding, data: Mapping[str, Any]) -> Finding:
    _apply(finding, Finding.EDITABLE_FIELDS, data)
    finding.full_clean()
    finding.save()
    return finding


def _review_due_move(agreement_id: int) -> None:
    agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
    agreement.next_review_due = agreement.compute_next_review_due()
    agreement.save(update_fields=["next_review_due", "updated_at"])
    # Close the flags the review cleared now rather than tonight.
    enqueue_on_commit("oversight.tasks.run_flagging")


def _apply(instance, fields: Sequence[str], data: Mapping[str, Any]) -> None:
    for name in fields:
        if name in data:
            setattr(instance, name, data[name])


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("You may not do this.")


def _refresh_flag_statistics() -> None:
    """After raising many flags, tell PostgreSQL's planner about them now rather than at
    autovacuum's next pass: with the old statistics it expects a handful of open flags
    and plans the next run's anti-joins as nested loops (seconds become minutes)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Flag._meta.db_table}")


def flag_resolve(*, flag: Flag, actor, reason: str, now: datetime | None = None) -> bool:
    """Close an open flag by hand, with the reason and the organization that closed it.
    False if it was already closed (compare-and-swap: two board members at once close it
    once)."""
    _require(permissions.can_resolve_flag(actor, flag))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the flag is resolved: it stays on the record."})
    now = now or timezone.now()
    organization = permissions.resolving_organization(actor)
    by = organization.name if organization else "the site administrators"
    reason = f"Resolved by hand by {by}: {reason}"
    closed = Flag.objects.filter(pk=flag.pk, resolved_at__isnull=True).update(
        resolved_at=now, resolution=reason
    )
    flag.refresh_from_db()
    return closed == 1


# Digests ----------------------------------------------------------------------


@dataclass
class DigestReport:
    emails: int = 0
    flags: int = 0
    reviews_due: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return {
            "emails": self.emails,
            "flags": self.flags,
            "reviews_due": self.reviews_due,
            "failed": self.failed,
        }


def digests_send(*, now: datetime) -> DigestReport:
    """One e-mail per person about what is new since the last digest.

    1. Note the reviews of agreements in force falling due within 30 days (an outbox
       row per agreement and due date).
    2. Claim the open flags and the review reminders not yet announced: lock them
       (skipping rows an overlapping run holds) and set their ``notified_at``.
    3. Find who hears of each agreement: the editors of its partnership's parties and
       the members of the organizations reviewing or auditing it.
    4. Send each person one e-mail (text and HTML) listing their flags and reviews due.

    An announcement is claimed before it is sent: a failed send is logged, not retried.
    """
    today = timezone.localdate(now)
    with transaction.atomic():  # claimed together, or not at all
        flags, reminders = _claim_announcements(now, today)
        agreement_ids = {flag.agreement_id for flag in flags}
        agreement_ids |= {reminder.agreement_id for reminder in reminders}
        recipients = _recipients(agreement_ids) if agreement_ids else {}
    report = DigestReport(flags=len(flags), reviews_due=len(reminders))

    for email, agreements in recipients.items():
        context = {
            "flags": [flag for flag in flags if flag.agreement_id in agreements],
            "reminders": [r for r in reminders if r.agreement_id in agreements],
            "site_url": settings.SITE_URL.rstrip("/"),
            "today": today,
        }
        message = EmailMultiAlternatives(
            subject=_digest_subject(context),
            body=render_to_string("oversight/email/digest.txt", context),
            to=[email],
        )
        message.attach_alternative(
            render_to_string("oversight/email/digest.html", context), "text/html"
        )
        try:
            message.send()
        except Exception:  # one recipient's failure never stops the others' digests
            logger.exception("digest: sending to user failed")
            report.failed += 1
        else:
            report.emails += 1
    logger.info("digests at %s: %s", now.isoformat(), report.as_dict())
    return report


def _claim_announcements(now, today) -> tuple[list[Flag], list[ReviewReminder]]:
    due_soon = Agreement.objects.in_force().filter(
        next_review_due__gte=today, next_review_due__lte=today + REVIEW_DUE_NOTICE
    )
    ReviewReminder.objects.bulk_create(
        [
            ReviewReminder(agreement_id=pk, due_on=due_on, created_at=now)
            for pk, due_on in due_soon.values_list("pk", "next_review_due")
        ],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )
    flag_ids = _claim(Flag.objects.open(), now)
    reminder_ids = _claim(ReviewReminder.objects.all(), now)
    flags = list(
        Flag.objects.filter(pk__in=flag_ids)
        .select_related("agreement__partnership")
        .order_by("agreement__title", "kind")
    )
    reminders = [
        reminder
        for reminder in ReviewReminder.objects.filter(pk__in=reminder_ids).select_related(
            "agreement__partnership"
        )
        # A reminder whose review was since completed or rescheduled is stale.
        if reminder.agreement.next_review_due == reminder.due_on
    ]
    return flags, reminders


def _claim(outbox, now) -> list[int]:
    """Claim the rows not yet announced: locked rows belong to an overlapping run."""
    ids = list(
        outbox.filter(notified_at__isnull=True)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), BATCH_SIZE):
        outbox.filter(pk__in=ids[start : start + BATCH_SIZE]).update(notified_at=now)
    return ids


def _recipients(agreement_ids: set[int]) -> dict[str, set[int]]:
    """E-mail address -> the agreements that person hears of."""
    active = Membership.objects.filter(user__is_active=True).exclude(user__email="")
    routes = [
        active.filter(
            role=Membership.Role.EDITOR,
            organization__party_roles__partnership__agreements__in=agreement_ids,
        ).values_list("user__email", "organization__party_roles__partnership__agreements"),
        active.filter(organization__reviews__agreement__in=agreement_ids).values_list(
            "user__email", "organization__reviews__agreement"
        ),
        active.filter(organization__audited_agreements__in=agreement_ids).values_list(
            "user__email", "organization__audited_agreements"
        ),
    ]
    recipients: dict[str, set[int]] = defaultdict(set)
    for route in routes:
        for email, agreement_id in route:
            if agreement_id in agreement_ids:
                recipients[email.lower()].add(agreement_id)
    return recipients


def _digest_subject(context: dict) -> str:
    parts = []
    if context["flags"]:
        parts.append(f"{len(context['flags'])} new flag{'s' if len(context['flags']) > 1 else ''}")
    if context["reminders"]:
        n = len(context["reminders"])
        parts.append(f"{n} review{'s' if n > 1 else ''} due soon")
    return f"Partnership Registry: {', '.join(parts)}"
