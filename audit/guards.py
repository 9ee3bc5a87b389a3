"""What the database refuses whoever connects as the app: rewriting the audit log, and
changing a registry record without recording it.

The audit triggers of ``audit.trail`` are django-pgtrigger's, and pgtrigger skips a
trigger named in the session setting ``pgtrigger.ignore``, which any role may set. So
besides them, two plain triggers, which no setting switches off, guard the audit log:

- ``audit_append_only`` (BEFORE UPDATE OR DELETE, each row) on every audit table: the event
  tables of the registry and the audit app's own (the checkpoints) refuse any change;
- ``audit_triggers_in_force`` (BEFORE each row written) on every audited table and every
  event table refuses the write while ``pgtrigger.ignore`` names an audit trigger, so that
  no change escapes its event and no event escapes the chain.

Only the tables' owner may disable or drop a trigger; the app connects as a role that owns
none (``audit.roles``). The guards are (re)installed from the registry after every
``migrate`` (and ``flush``), as the chain view is, on the tables that exist: an audited
model added later is guarded without a line of its own.
"""

from __future__ import annotations

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

from .registry import registrations

GUARD_FUNCTIONS_SQL = r"""
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Cannot update or delete rows of %: the audit log is append-only',
        TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION audit_triggers_in_force() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A plain substring test: no cast that a malformed setting could make fail.
    IF strpos(coalesce(current_setting('pgtrigger.ignore', true), ''), 'pgtrigger_audit_') > 0
    THEN
        RAISE EXCEPTION 'the audit triggers of % cannot be switched off (pgtrigger.ignore)',
            TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
"""


def audit_tables() -> list[str]:
    """The tables of the audit log: every registered event table and the audit app's own."""
    own = [model._meta.db_table for model in apps.get_app_config("audit").get_models()]
    return [r.event_model._meta.db_table for r in registrations()] + own


def audited_tables() -> list[str]:
    """The tables whose every change the audit log records."""
    return [r.model._meta.db_table for r in registrations()]


def audit_guards_install(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """(Re)install the guards on the tables that exist; returns the audit tables guarded."""
    target = connections[using]
    existing = set(target.introspection.table_names())
    guarded = [table for table in audit_tables() if table in existing]
    event_tables = {r.event_model._meta.db_table for r in registrations()}
    statements = [GUARD_FUNCTIONS_SQL]
    quote = target.ops.quote_name
    for table in guarded:
        statements.append(
            f"CREATE OR REPLACE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON "
            f"{quote(table)} FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
        )
    for table in [t for t in guarded if t in event_tables]:
        statements.append(
            f"CREATE OR REPLACE TRIGGER audit_triggers_in_force BEFORE INSERT ON "
            f"{quote(table)} FOR EACH ROW EXECUTE FUNCTION audit_triggers_in_force();"
        )
    for table in [t for t in audited_tables() if t in existing]:
        statements.append(
            f"CREATE OR REPLACE TRIGGER audit_triggers_in_force "
            f"BEFORE INSERT OR UPDATE OR DELETE ON {quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION audit_triggers_in_force();"
        )
    # Table names from the models' metadata, never from input.
    with target.cursor() as cursor:
        cursor.execute("\n".join(statements))
    return guarded


def audit_guards_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """``post_migrate``: the guards follow the registry once the tables are migrated."""
    audit_guards_install(using)
