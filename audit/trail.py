"""The audit trail's machinery: PostgreSQL triggers that record every change to a registry
record as an append-only, hash-chained event.

Auditing a model is one line at the bottom of its app's ``models.py``, a call of
``audit.registry.track`` (which makes its event model here, django-pghistory underneath),
plus the migration ``makemigrations`` writes; see ``audit.registry``. What the triggers
do, on PostgreSQL only:

- an AFTER ROW trigger on the tracked table (pghistory's, with the changed fields added)
  inserts one event per inserted, updated or deleted row: a snapshot of the row, the
  changed fields as ``{"column": [old, new]}``, and the context (who, or which job);
- a BEFORE ROW trigger on the event table chains the event: under a transaction-level
  advisory lock it takes the head of the chain (the last event of every audit table),
  numbers the event with the next sequence number, and stores the previous event's hash
  and its own, a SHA-256 over a canonical serialisation of the event;
- pghistory's ``append_only`` trigger refuses UPDATE and DELETE on the event table.

pgtrigger lets any session skip these triggers (``pgtrigger.ignore``): plain triggers that
nothing switches off stand beside them (``audit.guards``), and the app connects as a role
that may only read and append to the audit tables (``audit.roles``).

Triggers, not Django signals or ``save()``: bulk ``update()``, ``bulk_create``, the admin
and raw SQL all go through them. The lock is also taken by a BEFORE STATEMENT trigger on
each tracked table, before the statement locks any row, so that two writers never hold
a row each while waiting for the chain. The lock serialises writing transactions from
their first audited write to their commit: the price of a single, gap-free chain.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import pghistory
import pgtrigger
from django.db import models
from pghistory import config as pghistory_config
from pghistory.trigger import Event as PghistoryEventTrigger
from pghistory.trigger import _get_pgh_obj_pk_col

# The key of the advisory lock that orders writers on the chain ("AUDIT" in ASCII).
CHAIN_LOCK_KEY = 0x4155444954
GENESIS_HASH = "0" * 64

# The SQL functions the triggers call (audit_row_json, audit_event_hash, audit_changes)
# are created by migration partnerships 0005, which defines the canonical serialisation
# of an event; the ``audit_chain`` view (every event table's chain columns) is rebuilt from
# the registry after every migrate (``audit.chain``).

# Chains an event (BEFORE INSERT on an audit table). The head is read once per
# transaction from the ``audit_chain`` view (every audit table's last event) and then kept
# in a transaction-local setting: rolling back to a savepoint reverts the setting, the
# lock and the events together. Under REPEATABLE READ the view could show a stale head
# and fork the chain, so other isolation levels are refused.
CHAIN_LINK_SQL = f"""
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'registry records are changed under READ COMMITTED only: '
            'the audit chain needs the latest committed head';
    END IF;
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK_KEY});
    _head := coalesce(current_setting('registry_audit.head', true), '');
    IF _head = '' THEN
        SELECT seq, hash INTO _seq, _hash FROM audit_chain ORDER BY seq DESC LIMIT 1;
        _seq := coalesce(_seq, 0);
        _hash := coalesce(_hash, '{GENESIS_HASH}');
    ELSE
        _seq := split_part(_head, ':', 1)::bigint;
        _hash := split_part(_head, ':', 2);
    END IF;
    NEW.pgh_seq := _seq + 1;
    NEW.pgh_prev_hash := _hash;
    NEW.pgh_hash := NULL;
    NEW.pgh_hash := audit_event_hash(TG_TABLE_NAME::text, NEW);
    PERFORM set_config('registry_audit.head', NEW.pgh_seq || ':' || NEW.pgh_hash, true);
    RETURN NEW;
"""  # noqa: S608 - constants only


class AuditEvent(pghistory.models.Event):
    """Fields every audit event has besides pghistory's (id, time, label, context, the
    tracked object and its snapshot). The triggers fill them; nothing else writes them."""

    pgh_seq = models.BigIntegerField(
        unique=True, help_text="Position in the audit chain (across all tables)."
    )
    pgh_prev_hash = models.CharField(max_length=64)
    pgh_hash = models.CharField(max_length=64)
    pgh_diff = models.JSONField(
        null=True, help_text='The changed columns, as {"column": [old value, new value]}.'
    )

    class Meta:
        abstract = True


class _ChangesTrigger(PghistoryEventTrigger):
    """pghistory's row trigger, also storing the changed columns in ``pgh_diff``."""

    def get_func(self, model):
        if self.level != pgtrigger.Row:  # pragma: no cover - the registry tracks rows
            raise ValueError("audit events are recorded row by row")
        tracked_fields = {f.name for f in self.event_model.pgh_tracked_model._meta.fields}
        values = {
            f.column: f'{self.row}."{f.column}"'
            for f in self.event_model._meta.fields
            if not isinstance(f, models.AutoField) and f.name in tracked_fields and f.concrete
        }
        values["pgh_created_at"] = pghistory_config.created_at_function()
        values["pgh_label"] = f"'{self.label}'"
        values["pgh_obj_id"] = f'{self.row}."{_get_pgh_obj_pk_col(self.event_model)}"'
        values["pgh_context"] = (
            "NULLIF(CURRENT_SETTING('pghistory.context_metadata', TRUE), '')::JSONB"
        )
        values["pgh_context_id"] = "NULLIF(CURRENT_SETTING('pghistory.context_id', TRUE), '')::UUID"
        old = "audit_row_json(OLD)" if self.operation != pgtrigger.Insert else "NULL"
        new = "audit_row_json(NEW)" if self.operation != pgtrigger.Delete else "NULL"
        values["pgh_diff"] = f"audit_changes({old}, {new})"
        values = dict(sorted(values.items()))
        columns = ", ".join(f'"{column}"' for column in values)
        # Table and column names from the models' metadata, never from input.
        return pgtrigger.Func(
            f'INSERT INTO "{self.event_model._meta.db_table}" ({columns}) '  # noqa: S608
            f"VALUES ({', '.join(values.values())}); RETURN NULL;"
        )


class _ChangesTracker:
    def add_event_trigger(self, event_model):
        pgtrigger.register(
            _ChangesTrigger(
                event_model=event_model,
                label=self.label,
                name=self.trigger_name,
                row=self.row,
                operation=self.operation,
                condition=self.condition,
                level=self.level,
            )
        )(event_model.pgh_tracked_model)


class Created(_ChangesTracker, pghistory.InsertEvent):
    label = "create"


class Changed(_ChangesTracker, pghistory.UpdateEvent):
    label = "update"


class Deleted(_ChangesTracker, pghistory.DeleteEvent):
    label = "delete"


def _chain_lock_trigger():
    return pgtrigger.Trigger(
        name="audit_chain_lock",
        level=pgtrigger.Statement,
        when=pgtrigger.Before,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        func=f"PERFORM pg_advisory_xact_lock({CHAIN_LOCK_KEY}); RETURN NULL;",
    )


def audit_event_model(
    tracked_model: type[models.Model],
    *,
    name: str,
    parent: str | None = None,
    exclude: Sequence[str] = (),
):
    """The append-only, hash-chained event model recording every create, update and
    delete of ``tracked_model``. Called by ``audit.registry.track`` only: an event model
    made otherwise would be in neither the chain's head nor its verification.

    Every index slows every audited write, so an audit table has only those its readers
    use: its position in the chain, the record's events, and with ``parent`` (a foreign
    key of the snapshot) the events of a record's children."""
    pgtrigger.register(_chain_lock_trigger())(tracked_model)
    return pghistory.create_event_model(
        tracked_model,
        Created(trigger_name="audit_insert"),
        Changed(trigger_name="audit_update"),
        Deleted(trigger_name="audit_delete"),
        exclude=list(exclude),
        model_name=name,
        abstract=False,
        base_model=AuditEvent,
        append_only=True,
        obj_field=pghistory.ObjForeignKey(related_name="audit_events", db_index=False),
        context_field=pghistory.ContextJSONField(),
        context_id_field=pghistory.ContextUUIDField(),
        meta={
            "triggers": [
                pgtrigger.Trigger(
                    name="audit_chain_link",
                    level=pgtrigger.Row,
                    when=pgtrigger.Before,
                    operation=pgtrigger.Insert,
                    declare=[("_head", "text"), ("_seq", "bigint"), ("_hash", "text")],
                    func=CHAIN_LINK_SQL,
                ),
            ],
            "indexes": [
                # History pages: the events of one record, newest first.
                models.Index(fields=["pgh_obj", "-pgh_seq"], name=f"{name.lower()[:20]}_obj_idx"),
                # History pages: the events of a record's children.
                *(
                    [models.Index(fields=[parent], name=f"{name.lower()[:17]}_parent_idx")]
                    if parent
                    else []
                ),
            ],
        },
    )


class audit_context(contextlib.ContextDecorator):  # noqa: N801 - used like a function
    """Attach ``metadata`` (``job=...``, or the user of a request) to the events recorded
    inside; nested contexts add to the outer one."""

    def __init__(self, **metadata):
        self.metadata = metadata
        self._context = None

    def _recreate_cm(self):
        return type(self)(**self.metadata)

    def __enter__(self):
        self._context = pghistory.context(**self.metadata)
        self._context.__enter__()
        return self

    def __exit__(self, *exc):
        if self._context is not None:
            self._context.__exit__(*exc)
            self._context = None
        return False


def audit_job(name: str) -> audit_context:
    """Decorator: the changes made inside are recorded as made by the job ``name`` (a
    management command; Celery tasks get their name by a signal in ``config.celery``)."""
    return audit_context(job=name)
