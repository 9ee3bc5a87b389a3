"""The flagging job: expiring agreements, raising and closing flags.

It runs over the whole registry every night, and over the agreements a staff write
touched right after that write commits. Each step takes ``now`` once and is set-based:
a few statements whatever the number of agreements. Each is idempotent and safe when two
runs overlap (a nightly and a scoped one, or two scoped ones): the partial unique
constraint on open flags and compare-and-swap updates keep a second run from doing
anything twice.

A flag resolved by hand holds its kind closed on its agreement (``FlagQuerySet.holding``):
no new flag is raised while the condition holds on the facts it was resolved on
(``FlagRule.facts``, compared in SQL) and before the date it was resolved until, if any.
The hold ends for good once the condition clears.
"""

import json
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone, translation

from agreements.derived import derived_facts_refresh
from agreements.models import Agreement

from .models import Flag, flag_text
from .rules import FACTS, FLAG_RULES, FlagRule

logger = logging.getLogger(__name__)

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


def _within(queryset: QuerySet, agreement_ids: Collection[int] | None, lookup: str) -> QuerySet:
    """``queryset`` limited to ``agreement_ids`` through ``lookup``; all of it for ``None``."""
    if agreement_ids is None:
        return queryset
    return queryset.filter(**{f"{lookup}__in": agreement_ids})


def agreements_expire(*, now: datetime, agreement_ids: Collection[int] | None = None) -> int:
    """Mark as expired the agreements in force, set to auto-expire, past their expiry date
    (of ``agreement_ids`` only, if given)."""
    today = timezone.localdate(now)
    due = Agreement.objects.filter(
        auto_expire=True, status__in=Agreement.IN_FORCE, expires_on__lt=today
    )
    return _within(due, agreement_ids, "pk").update(status=Agreement.Status.EXPIRED, updated_at=now)


def flags_close(
    *, rule: FlagRule, now: datetime, agreement_ids: Collection[int] | None = None
) -> int:
    """Close the open flags of ``rule``'s kind whose condition no longer holds (on
    ``agreement_ids`` only, if given)."""
    today = timezone.localdate(now)
    # NOT EXISTS, not NOT IN: PostgreSQL hashes a NOT IN subquery only while it fits in
    # work_mem, and past that re-runs it for every flag (minutes at a million rows).
    still_holds = rule.agreements(today, now).order_by().filter(pk=OuterRef("agreement_id"))
    open_flags = Flag.objects.open().filter(kind=rule.kind, raised_at__lte=now)
    return (
        _within(open_flags, agreement_ids, "agreement_id")
        .exclude(Exists(still_holds))
        .update(resolved_at=now, resolution=rule.resolution)
    )


def holds_end(
    *, rule: FlagRule, now: datetime, agreement_ids: Collection[int] | None = None
) -> int:
    """End the holds of the flags of ``rule``'s kind resolved by hand whose condition no
    longer holds (on ``agreement_ids`` only, if given): should it hold again later, that is
    news, and the flag is raised again whatever the facts."""
    today = timezone.localdate(now)
    still_holds = rule.agreements(today, now).order_by().filter(pk=OuterRef("agreement_id"))
    held = Flag.objects.filter(
        kind=rule.kind, resolved_facts__isnull=False, hold_ended_at__isnull=True
    )
    return (
        _within(held, agreement_ids, "agreement_id")
        .exclude(Exists(still_holds))
        .update(hold_ended_at=now)
    )


def flags_raise(
    *, rule: FlagRule, now: datetime, agreement_ids: Collection[int] | None = None
) -> int:
    """Raise a flag of ``rule``'s kind on each agreement meeting it that has none open and
    none resolved by hand on the facts it has today (of ``agreement_ids`` only, if given).

    The candidates are read in one query (as plain tuples) and go in by batches of
    ``RAISE_BATCH_SIZE``. A flag raised meanwhile by an overlapping run is skipped by the
    partial unique constraint; the count is of the flags this run raised.
    """
    today = timezone.localdate(now)
    already_open = Flag.objects.open().filter(kind=rule.kind, agreement=OuterRef("pk"))
    candidates = _within(rule.agreements(today, now), agreement_ids, "pk")
    candidates = candidates.exclude(Exists(already_open)).exclude(
        Exists(_held_on_todays_facts(rule, today).filter(pk=OuterRef("pk")))
    )
    candidates = candidates.order_by()
    # Not a server-side cursor: PostgreSQL plans those for their first rows (nested
    # loops), which took minutes at a million agreements.
    names = ("pk", *rule.fields)
    rows = list(candidates.values_list(*names))
    # Every run inserts in agreement order, so that two overlapping runs wait on each
    # other's new flags in one order and never deadlock (the scan order is the plan's).
    rows.sort(key=itemgetter(0))
    raised = 0
    # What a flag says depends on its row's values of ``rule.fields`` alone: described
    # once per distinct set of them (a date, an auditor's name), not once per flag.
    described: dict[tuple, tuple[str, str | None]] = {}
    # ``detail`` is written in English, whoever's request the run follows.
    with translation.override(settings.LANGUAGE_CODE):
        for start in range(0, len(rows), RAISE_BATCH_SIZE):
            flags = []
            for row in rows[start : start + RAISE_BATCH_SIZE]:
                values = row[1:]
                if values not in described:
                    described[values] = _described(rule, dict(zip(names, row, strict=True)), today)
                flags.append((row[0], *described[values]))
            raised += _flags_insert(rule.kind, now, flags)
    return raised


def _held_on_todays_facts(rule: FlagRule, today) -> QuerySet:
    """The agreements a hand resolution of ``rule``'s kind holds closed: its facts are the
    agreement's today. The facts are computed for the agreements with a hand resolution
    in force only (a few), never for every agreement that meets the condition."""
    holding = Flag.objects.holding(today).filter(kind=rule.kind)
    held = Agreement.objects.filter(pk__in=holding.values("agreement_id"))
    same_facts = holding.filter(agreement=OuterRef("pk"), resolved_facts=OuterRef(FACTS))
    return rule.with_facts(held, today).filter(Exists(same_facts))


def _flags_insert(kind: str, now: datetime, flags: list[tuple[int, str, str | None]]) -> int:
    """Insert open flags (agreement id, detail, parameters as JSON), skipping any that
    conflicts with an open one; return how many went in. One ``INSERT … SELECT`` per batch
    from a single JSON parameter: not one parameter per field of every row, as
    ``bulk_create`` would send, nor arrays, which the driver quotes value by value."""
    rows = json.dumps(
        [[agreement_id, detail, parameters] for agreement_id, detail, parameters in flags]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Flag._meta.db_table} "  # noqa: S608 (the table name is ours)
            "(agreement_id, kind, raised_at, detail, parameters, resolution) "
            "SELECT (row->>0)::bigint, %s, %s, row->>1, (row->>2)::jsonb, '' "
            "FROM jsonb_array_elements(%s::jsonb) AS row "
            "ON CONFLICT DO NOTHING",
            [kind, now, rows],
        )
        return cursor.rowcount


def _described(rule: FlagRule, row: dict, today) -> tuple[str, str | None]:
    """What the flag raised on ``row`` says: its text in the active language (the
    ``detail`` kept), and the ``parameters`` its sentence is written from, as JSON."""
    try:
        parameters = rule.parameters(row, today)
        return flag_text(rule.kind, parameters), json.dumps(parameters)
    except Exception:  # a bad row gets a plain flag; it never stops the run
        logger.exception("flagging: cannot describe %s on agreement %s", rule.kind, row["pk"])
        return "", None


def flagging_run(*, now: datetime, agreement_ids: Collection[int] | None = None) -> FlaggingReport:
    """The flagging run: over the whole registry (the nightly run), or, with
    ``agreement_ids``, over those agreements only (after a staff write).

    0. Over ``agreement_ids``: store anew their risk levels and auditors' independence that
       differ from their rules (``agreements.derived``), which the conditions read.
    1. Expire the agreements set to auto-expire that are past their expiry date.
    2. For each kind of flag: close the open flags whose condition cleared, end the holds
       of the flags resolved by hand whose condition cleared, then raise flags on the
       agreements that meet the condition and have none open and none held closed on
       today's facts; each kind in a transaction of its own.

    An empty ``agreement_ids`` does nothing. A kind that fails on bad data is logged and
    skipped; the other kinds still run. Connection errors propagate, so that the task
    retries.
    """
    if agreement_ids is not None:
        agreement_ids = sorted(set(agreement_ids))
        if not agreement_ids:
            return FlaggingReport()
    if agreement_ids is not None:
        # The stored facts the conditions read, re-derived first for the agreements a write
        # touched (a few rows). Over the whole registry that is the nightly
        # ``refresh_derived`` job's, scheduled before this run (``DERIVED_REFRESH_SCHEDULE``):
        # doing it again here took half as long as judging every agreement at 1M.
        derived_facts_refresh(agreement_ids=agreement_ids)
    report = FlaggingReport(expired=agreements_expire(now=now, agreement_ids=agreement_ids))
    for rule in FLAG_RULES:
        try:
            with transaction.atomic():
                report.closed[str(rule.kind)] = flags_close(
                    rule=rule, now=now, agreement_ids=agreement_ids
                )
                holds_end(rule=rule, now=now, agreement_ids=agreement_ids)
                report.raised[str(rule.kind)] = flags_raise(
                    rule=rule, now=now, agreement_ids=agreement_ids
                )
        except (IntegrityError, DataError):
            logger.exception("flagging: %s failed; the other kinds go on", rule.kind)
            report.failed.append(str(rule.kind))
    if sum(report.raised.values()) >= STATISTICS_REFRESH_THRESHOLD:
        _refresh_flag_statistics()
    scope = "every agreement" if agreement_ids is None else f"{len(agreement_ids)} agreement(s)"
    logger.info("flagging run at %s over %s: %s", now.isoformat(), scope, report.as_dict())
    return report


def _refresh_flag_statistics() -> None:
    """After raising many flags, tell PostgreSQL's planner about them now rather than at
    autovacuum's next pass: with the old statistics it expects a handful of open flags
    and plans the next run's anti-joins as nested loops (seconds become minutes)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Flag._meta.db_table}")
