"""The audit log's hash chain: its head, its verification, and the view both read.

The events themselves are written by database triggers (``audit.trail``) into the event
tables of the models registered with ``audit.registry.track``. Each event stores its
position in the chain (``pgh_seq``), the hash of the event before it and its own hash over
a canonical serialisation of its content (the SQL function ``audit_event_hash``). Walking
the chain in order and recomputing each hash detects an edited, deleted, inserted or
reordered event; publishing the head hash lets an outsider detect later that history was
rewritten.

The chain trigger reads the head once per transaction from the ``audit_chain`` view (the
chain columns of every event table). The view is rebuilt from the registry after every
``migrate`` (and ``flush``), on PostgreSQL, over the registered event tables that exist
(``audit_chain_view_update``, a ``post_migrate`` handler). Until then an event table that
the running ``migrate`` created is not in the view: harmless while the table is empty, and
within one transaction (which keeps its head). But if a data migration wrote rows of the
newly audited model, any later transaction writing audited rows before the rebuild (a
later migration, a request of the running site) would not see those events as the head
and would reuse their positions: a fork. So a data migration that writes rows of a model
whose event table the same ``migrate`` may create first brings the view up to date, as an
operation of the same migration::

    migrations.RunPython(audit_chain_view_migration, migrations.RunPython.noop)

Should one forget, the rebuild after ``migrate`` logs an error naming the first position
held twice, and ``verify_audit_log`` reports the event there as out of place.

The links alone cannot tell that events were deleted from the end of the chain, or that
the last events were rewritten and their hashes recomputed (``audit_event_hash`` is the
database's own). Every successful verification therefore keeps the head as a checkpoint
signed with a key outside the database (``AuditCheckpoint``), and later verifications hold
the chain to every checkpoint; ``AUDIT_HEAD_FILE`` also keeps the last one outside the
database, so that deleting checkpoints with the events they vouched for is seen too.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.languages import recipient_language

from .models import AuditCheckpoint
from .registry import registrations
from .trail import GENESIS_HASH, AuditEvent

logger = logging.getLogger(__name__)

VERIFY_BATCH = 5000
# The key of the advisory lock that orders the recording of checkpoints ("CHKPT" in ASCII).
CHECKPOINT_LOCK_KEY = 0x43484B5054


def audit_event_models() -> list[type[AuditEvent]]:
    """The event model of every audited model (``audit.registry``)."""
    return [registration.event_model for registration in registrations()]


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str
    recorded_at: datetime


@dataclass(frozen=True)
class BrokenEvent:
    model: str  # e.g. "agreements.AgreementEvent", "audit.AuditCheckpoint"
    event_id: int | None  # None: not a row (the head file)
    seq: int | None
    reason: str

    def __str__(self):
        position = f"at position {self.seq}" if self.seq is not None else "with no position"
        name = self.model if self.event_id is None else f"{self.model} #{self.event_id}"
        return f"{name} ({position}): {self.reason}"


@dataclass(frozen=True)
class ChainVerification:
    checked: int
    head: ChainHead | None
    broken: BrokenEvent | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def audit_chain_head() -> ChainHead | None:
    """The last event of the chain: its position, hash and time. None when empty."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, hash, created_at FROM audit_chain ORDER BY seq DESC LIMIT 1")
        row = cursor.fetchone()
    return ChainHead(*row) if row else None


def audit_chain_view_update(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """(Re)create the ``audit_chain`` view over the event tables of the registered models
    that exist in the database; returns them. Does nothing where no event table exists
    yet (or any more: dropping one drops the view with it)."""
    target = connections[using]
    existing = set(target.introspection.table_names())
    tables = [m._meta.db_table for m in audit_event_models() if m._meta.db_table in existing]
    if not tables:
        return []
    # The columns, their names and types are those the view was first created with
    # (CREATE OR REPLACE keeps them); table names from the models' metadata, never input.
    selects = " UNION ALL ".join(
        "SELECT pgh_seq AS seq, pgh_hash AS hash, pgh_created_at AS created_at, "  # noqa: S608
        f"'{table}'::text AS table_name, pgh_id AS event_id FROM {table}"
        for table in tables
    )
    with target.cursor() as cursor:
        before = _chain_view_tables(cursor)
        cursor.execute(f"CREATE OR REPLACE VIEW audit_chain AS {selects}")
        added = [table for table in tables if table not in before]
        fork = _fork_from(cursor, added) if before and added else None
    if fork is not None:
        logger.error(
            "audit log forked at position %s: events were written to %s before the chain "
            "view covered it (see audit.chain); verify_audit_log names the first broken event",
            fork,
            ", ".join(added),
        )
    return tables


def _chain_view_tables(cursor) -> set[str]:
    """The tables the ``audit_chain`` view reads now (none when there is no view)."""
    cursor.execute(
        "SELECT DISTINCT t.relname FROM pg_rewrite r "
        "JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
        "JOIN pg_class t ON t.oid = d.refobjid AND t.relkind = 'r' "
        "WHERE r.ev_class = to_regclass('audit_chain')"
    )
    return {table for (table,) in cursor.fetchall()}


def _fork_from(cursor, tables: list[str]) -> int | None:
    """The first position held by two events, from the first event of ``tables`` on: the
    tables the view has just started to cover, whose events no head before saw."""
    # Table names from the models' metadata, never from input.
    firsts = " UNION ALL ".join(f"SELECT min(pgh_seq) AS seq FROM {t}" for t in tables)  # noqa: S608
    cursor.execute(f"SELECT min(seq) FROM ({firsts}) f")  # noqa: S608
    (start,) = cursor.fetchone()
    if start is None:
        return None
    cursor.execute(
        "SELECT seq FROM audit_chain WHERE seq >= %s GROUP BY seq HAVING count(*) > 1 "
        "ORDER BY seq LIMIT 1",
        [start],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def audit_chain_view_migration(apps, schema_editor):
    """``audit_chain_view_update`` as a migration operation (``RunPython``), for a data
    migration writing rows of a model whose event table the same ``migrate`` creates."""
    audit_chain_view_update(schema_editor.connection.alias)


def audit_chain_view_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """``post_migrate``: the view follows the registry once the tables are migrated."""
    audit_chain_view_update(using)


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
    found so. Then the checkpoints themselves: each must carry the signature of a
    verification, following the one before it (none was forged or deleted), and the head
    kept in ``AUDIT_HEAD_FILE``, if any, must be among them. Streams the events, in
    constant memory.
    """
    checkpoints = list(AuditCheckpoint.objects.order_by("seq", "id"))
    trusted, forged = _checkpoints_verify(checkpoints)
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
                elif seq in trusted and trusted[seq].hash != stored_hash:
                    reason = (
                        "differs from the head verified on "
                        f"{trusted[seq].verified_at:%Y-%m-%d} (history was rewritten)"
                    )
                if reason:
                    broken = BrokenEvent(model=model, event_id=event_id, seq=seq, reason=reason)
                    return ChainVerification(checked=checked, head=head, broken=broken)
                checked += 1
                expected_seq += 1
                previous_hash = stored_hash
                head = ChainHead(seq=seq, hash=stored_hash, recorded_at=created_at)
    beyond = [c for c in trusted.values() if c.seq >= expected_seq]
    if beyond:
        checkpoint = min(beyond, key=lambda c: c.seq)
        broken = BrokenEvent(
            model=AuditCheckpoint._meta.label,
            event_id=checkpoint.pk,
            seq=checkpoint.seq,
            reason=f"the chain ends at position {expected_seq - 1}, before the head verified "
            f"on {checkpoint.verified_at:%Y-%m-%d} (events were deleted from its end)",
        )
        return ChainVerification(checked=checked, head=head, broken=broken)
    broken = forged or _head_file_check(checkpoints)
    return ChainVerification(checked=checked, head=head, broken=broken)


def _checkpoints_verify(
    checkpoints: list[AuditCheckpoint],
) -> tuple[dict[int, AuditCheckpoint], BrokenEvent | None]:
    """The checkpoints (in chain order) that the chain is held to, by position, and the
    first that does not verify, if any. Those kept before signing began (no signature,
    before the first signed one) are held to as they are."""
    trusted: dict[int, AuditCheckpoint] = {}
    previous_signature = ""
    for checkpoint in checkpoints:
        reason = None
        if not checkpoint.signature:
            if previous_signature:
                reason = (
                    "it is not signed: it was written into the database, not kept by a verification"
                )
        elif not checkpoint.signature_holds():
            reason = (
                "its signature does not hold: it was altered or written into the database, "
                "not kept by a verification (or AUDIT_SIGNING_KEY changed)"
            )
        elif checkpoint.previous_signature != previous_signature:
            reason = "the checkpoint signed before it is missing (checkpoints were deleted)"
        if reason:
            return trusted, BrokenEvent(
                model=AuditCheckpoint._meta.label,
                event_id=checkpoint.pk,
                seq=checkpoint.seq,
                reason=reason,
            )
        previous_signature = checkpoint.signature or previous_signature
        trusted[checkpoint.seq] = checkpoint
    return trusted, None


def _head_file_check(checkpoints: list[AuditCheckpoint]) -> BrokenEvent | None:
    """What is wrong with the checkpoint kept in ``AUDIT_HEAD_FILE``, if anything: it must
    hold its signature and still be in the database. No file yet: nothing to compare."""
    path = settings.AUDIT_HEAD_FILE
    if not path:
        return None
    name = f"the head kept in {path}"
    try:
        kept = json.loads(Path(path).read_text())
        checkpoint = AuditCheckpoint(
            seq=int(kept["seq"]),
            hash=str(kept["hash"]),
            previous_signature=str(kept["previous_signature"]),
            signature=str(kept["signature"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        return BrokenEvent(model=name, event_id=None, seq=None, reason=f"unreadable: {error}")
    reason = None
    if not checkpoint.signature_holds():
        reason = "its signature does not hold (the file was altered, or AUDIT_SIGNING_KEY changed)"
    elif checkpoint.signature not in {c.signature for c in checkpoints}:
        reason = (
            "this checkpoint is no longer in the database (checkpoints were deleted, with "
            "the events after them, or the database was restored from an older backup)"
        )
    if reason is None:
        return None
    return BrokenEvent(model=name, event_id=None, seq=checkpoint.seq, reason=reason)


def audit_checkpoint_record(result: ChainVerification) -> AuditCheckpoint | None:
    """Keep the head of a chain just verified intact as a signed checkpoint, unless one at
    or beyond it is kept already; returns the last checkpoint, also written to
    ``AUDIT_HEAD_FILE`` when set. Nothing for a broken or empty chain."""
    if not result.ok or result.head is None:
        return None
    head = result.head
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Two verifications at once (the daily task, a command) keep one chain of
            # checkpoints, each signed after the one before.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHECKPOINT_LOCK_KEY])
        last = AuditCheckpoint.objects.exclude(signature="").order_by("-seq", "-id").first()
        if last is None or last.seq < head.seq:
            previous_signature = last.signature if last else ""
            last = AuditCheckpoint.objects.create(
                seq=head.seq,
                hash=head.hash,
                recorded_at=head.recorded_at,
                verified_at=timezone.now(),
                previous_signature=previous_signature,
                signature=AuditCheckpoint.sign(
                    seq=head.seq, hash=head.hash, previous_signature=previous_signature
                ),
            )
    if settings.AUDIT_HEAD_FILE:
        _head_file_write(Path(settings.AUDIT_HEAD_FILE), last)
    return last


def _head_file_write(path: Path, checkpoint: AuditCheckpoint) -> None:
    """Replace the file with the checkpoint, whole or not at all."""
    kept = {
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "previous_signature": checkpoint.previous_signature,
        "signature": checkpoint.signature,
        "verified_at": checkpoint.verified_at.isoformat(),
    }
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as file:
        json.dump(kept, file, indent=2)
        file.write("\n")
    try:
        os.replace(file.name, path)
    except OSError:
        Path(file.name).unlink(missing_ok=True)
        raise


def audit_log_check() -> ChainVerification:
    """The daily check: verify the chain and keep its head as a checkpoint; when it is
    broken, log an error and e-mail the site administrators (active superusers with an
    address), each in their language."""
    result = audit_log_verify()
    if result.ok:
        audit_checkpoint_record(result)
        logger.info("audit log verified: %s event(s), head %s", result.checked, result.head)
        return result
    logger.error("audit log broken: %s", result.broken)
    by_language: dict[str | None, list[str]] = {}
    for email, language in (
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", "account_language__language")
    ):
        by_language.setdefault(language, []).append(email)
    for language, recipients in by_language.items():
        try:
            with recipient_language(language):
                send_mail(
                    subject=gettext("Partnership Registry: the audit log does not verify"),
                    message=gettext(
                        "The daily verification of the audit log found it broken:\n\n"
                        "    %(broken)s\n\n"
                        "%(checked)s event(s) before it verified. Someone changed the audit "
                        "tables directly in the database. Run `manage.py verify_audit_log` to "
                        "check again, and compare the head hash published before with the "
                        "database backups.\n"
                    )
                    % {"broken": result.broken, "checked": result.checked},
                    from_email=None,
                    recipient_list=recipients,
                )
        except Exception:  # the log line above is the alert of last resort
            logger.exception("audit log: could not e-mail the site administrators")
    return result
