"""The audit log's hash chain: its head, and its verification.

The events themselves are written by database triggers (``audit.trail``); every
app declares the event models of its own records. Each event stores its position in the
chain (``pgh_seq``), the hash of the event before it and its own hash over a canonical
serialisation of its content (the SQL function ``audit_event_hash``). Walking the chain
in order and recomputing each hash detects an edited, deleted, inserted or reordered
event; publishing the head hash lets an outsider detect later that history was rewritten.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from audit.trail import GENESIS_HASH, AuditEvent

from .models import AuditCheckpoint

logger = logging.getLogger(__name__)

VERIFY_BATCH = 5000


def audit_event_models() -> list[type[AuditEvent]]:
    """Every audit event model of every app."""
    return [model for model in apps.get_models() if issubclass(model, AuditEvent)]


def audit_log_supported() -> bool:
    """The audit triggers exist on PostgreSQL only; on SQLite nothing is recorded."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str
    recorded_at: datetime


@dataclass(frozen=True)
class BrokenEvent:
    model: str  # e.g. "agreements.AgreementEvent"
    event_id: int
    seq: int | None
    reason: str

    def __str__(self):
        position = f"at position {self.seq}" if self.seq is not None else "with no position"
        return f"{self.model} #{self.event_id} ({position}): {self.reason}"


@dataclass(frozen=True)
class ChainVerification:
    checked: int
    head: ChainHead | None
    broken: BrokenEvent | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def audit_chain_head() -> ChainHead | None:
    """The last event of the chain: its position, hash and time. None when empty (or on
    SQLite, where nothing is recorded)."""
    if not audit_log_supported():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, hash, created_at FROM audit_chain ORDER BY seq DESC LIMIT 1")
        row = cursor.fetchone()
    return ChainHead(*row) if row else None


def _chain_sql() -> str:
    selects = []
    for model in audit_event_models():
        table = model._meta.db_table
        # Table names from the models' metadata, never from input.
        selects.append(
            f"SELECT '{model._meta.label}' AS model, pgh_id, pgh_seq, pgh_prev_hash, "  # noqa: S608
            f"pgh_hash, pgh_created_at, audit_event_hash('{table}', e) AS recomputed "
            f"FROM {table} e"
        )
    return " UNION ALL ".join(selects) + " ORDER BY pgh_seq, model, pgh_id"


def audit_log_verify() -> ChainVerification:
    """Walk the whole chain in order and return the first broken event, if any.

    An event is broken when its position is not the next one (an event before it was
    deleted, or events were reordered or inserted), when the hash it stores for the event
    before it is not that event's hash, when its own hash does not match its content, or
    when it differs from a head kept by an earlier verification (``AuditCheckpoint``).
    The chain must also still reach every kept head: events deleted from its end are
    found so. Streams the events, in constant memory.
    """
    if not audit_log_supported():
        return ChainVerification(checked=0, head=None, broken=None)
    checkpoints = {c.seq: c for c in AuditCheckpoint.objects.all()}
    checked, expected_seq, previous_hash, head = 0, 1, GENESIS_HASH, None
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(_chain_sql())
        while rows := cursor.fetchmany(VERIFY_BATCH):
            for model, event_id, seq, prev_hash, stored_hash, created_at, recomputed in rows:
                reason = None
                if seq != expected_seq:
                    reason = (
                        f"out of place: the next position is {expected_seq} "
                        "(an event before it was deleted, or events were inserted or reordered)"
                    )
                elif prev_hash != previous_hash:
                    reason = "does not follow the event before it (events were swapped or replaced)"
                elif stored_hash != recomputed:
                    reason = "its content was altered after it was recorded"
                elif seq in checkpoints and checkpoints[seq].hash != stored_hash:
                    reason = (
                        "differs from the head verified on "
                        f"{checkpoints[seq].verified_at:%Y-%m-%d} (history was rewritten)"
                    )
                if reason:
                    broken = BrokenEvent(model=model, event_id=event_id, seq=seq, reason=reason)
                    return ChainVerification(checked=checked, head=head, broken=broken)
                checked += 1
                expected_seq += 1
                previous_hash = stored_hash
                head = ChainHead(seq=seq, hash=stored_hash, recorded_at=created_at)
    beyond = [c for c in checkpoints.values() if c.seq >= expected_seq]
    if beyond:
        checkpoint = min(beyond, key=lambda c: c.seq)
        broken = BrokenEvent(
            model="oversight.AuditCheckpoint",
            event_id=checkpoint.pk,
            seq=checkpoint.seq,
            reason=f"the chain ends at position {expected_seq - 1}, before the head verified "
            f"on {checkpoint.verified_at:%Y-%m-%d} (events were deleted from its end)",
        )
        return ChainVerification(checked=checked, head=head, broken=broken)
    return ChainVerification(checked=checked, head=head, broken=None)


def audit_checkpoint_record(result: ChainVerification) -> AuditCheckpoint | None:
    """Keep the head of a chain just verified intact, unless it is already kept."""
    if not result.ok or result.head is None:
        return None
    checkpoint, _ = AuditCheckpoint.objects.get_or_create(
        seq=result.head.seq,
        hash=result.head.hash,
        defaults={"recorded_at": result.head.recorded_at, "verified_at": timezone.now()},
    )
    return checkpoint


def audit_log_check() -> ChainVerification:
    """The daily check: verify the chain and keep its head as a checkpoint; when it is
    broken, log an error and e-mail the site administrators (active superusers with an
    address)."""
    result = audit_log_verify()
    if result.ok:
        audit_checkpoint_record(result)
        logger.info("audit log verified: %s event(s), head %s", result.checked, result.head)
        return result
    logger.error("audit log broken: first broken event %s", result.broken)
    recipients = list(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if recipients:
        try:
            send_mail(
                subject="Partnership Registry: the audit log does not verify",
                message=(
                    "The daily verification of the audit log found a broken event:\n\n"
                    f"    {result.broken}\n\n"
                    f"{result.checked} event(s) before it verified. Someone changed the audit "
                    "tables directly in the database. Run `manage.py verify_audit_log` to "
                    "check again, and compare the head hash published before with the "
                    "database backups.\n"
                ),
                from_email=None,
                recipient_list=recipients,
            )
        except Exception:  # the log line above is the alert of last resort
            logger.exception("audit log: could not e-mail the site administrators")
    return result
