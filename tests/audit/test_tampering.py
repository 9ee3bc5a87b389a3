# ruff: noqa: S608 - the attacks' SQL names tables of the chain, never input
"""Tampering with the audit log. Whoever connects as the app role (what web, worker and beat
connect as) is refused every rewrite by the database itself, whatever session settings it
sets; whatever the tables' owner rewrites (it can switch the triggers off), verify_audit_log
detects and names. Every attack is one or the other: none goes unnoticed.

These tests log Django's connection in as the real app role, created and granted by
``audit.roles`` as ``setup_database_roles`` does; the owner is the test database's owner.
"""

import os
import re
import subprocess
import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, transaction

from agreements.models import Agreement, AgreementEvent
from agreements.services import agreement_create
from audit.chain import audit_chain_head, audit_log_verify
from audit.guards import audit_tables, audited_tables
from audit.models import AuditCheckpoint
from audit.roles import database_role_setup
from tests import factories

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
APP_ROLE_PASSWORD = "app-role-test-password"
CHECKPOINTS = "audit_auditcheckpoint"


# The two roles ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def app_role(django_db_setup, django_db_blocker) -> str:
    """The app role of the test database, set up as setup_database_roles does (one per
    database: roles belong to the server)."""
    role = f"{connection.settings_dict['NAME']}_app"[:63]
    with django_db_blocker.unblock():
        database_role_setup(using=DEFAULT_DB_ALIAS, role=role, password=APP_ROLE_PASSWORD)
    return role


@pytest.fixture
def owner(transactional_db) -> dict:
    """How the tables' owner connects (the test database's owner, a superuser here)."""
    settings = connection.settings_dict
    return {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
    }


@pytest.fixture
def as_app_role(owner, app_role, settings, tmp_path):
    """Until the test ends, Django's connection logs in as the app role; every
    verification also keeps its head in a file outside the database."""
    settings.AUDIT_HEAD_FILE = str(tmp_path / "audit-head.json")
    connection.close()
    connection.settings_dict.update(USER=app_role, PASSWORD=APP_ROLE_PASSWORD)
    yield app_role
    connection.close()
    connection.settings_dict.update(USER=owner["user"], PASSWORD=owner["password"] or "")


@contextmanager
def owner_cursor(owner: dict):
    """A cursor of the tables' owner in a transaction of its own, committed at the end."""
    with psycopg.connect(**owner) as owner_connection, owner_connection.cursor() as cursor:
        yield cursor


def database_url(owner: dict, *, user: str, password: str) -> str:
    """A DATABASE_URL of the test database for ``user`` (a socket directory as host too)."""
    credentials = f"{quote(user)}:{quote(password)}"
    host, port = owner["host"] or "", owner["port"] or ""
    if host.startswith("/"):
        query = urlencode({"host": host, **({"port": port} if port else {})})
        return f"postgres://{credentials}@/{owner['dbname']}?{query}"
    return f"postgres://{credentials}@{host}{f':{port}' if port else ''}/{owner['dbname']}"


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def verify_command(*args) -> str:
    """verify_audit_log's output; raises CommandError (exit status 1) when broken."""
    out = StringIO()
    call_command("verify_audit_log", *args, stdout=out)
    return out.getvalue()


# The history the attacks rewrite ----------------------------------------------------


@dataclass(frozen=True)
class ChainEvent:
    table: str
    event_id: int
    seq: int


def chain() -> list[ChainEvent]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, event_id, seq FROM audit_chain ORDER BY seq")
        return [ChainEvent(*row) for row in cursor.fetchall()]


def checkpoint_ids() -> list[int]:
    return list(AuditCheckpoint.objects.order_by("seq").values_list("id", flat=True))


@dataclass(frozen=True)
class History:
    events: list[ChainEvent]
    checkpoints: list[int]

    @property
    def middle(self) -> ChainEvent:
        return self.events[len(self.events) // 2]

    @property
    def last(self) -> ChainEvent:
        return self.events[-1]


@pytest.fixture
def history(as_app_role, partnership) -> History:
    """Three rounds of changes made as the app role, each followed by a verification that
    keeps the head as a signed checkpoint (the last one at the last event)."""
    for round_ in range(3):
        agreement = factories.AgreementFactory(partnership=partnership, title=f"Round {round_}")
        Agreement.objects.filter(pk=agreement.pk).update(title=f"Round {round_} (renamed)")
        verify_command()
    recorded = History(events=chain(), checkpoints=checkpoint_ids())
    assert len(recorded.checkpoints) == 3
    assert AuditCheckpoint.objects.get(pk=recorded.checkpoints[-1]).seq == recorded.last.seq
    return recorded


# The attacks ------------------------------------------------------------------------

Statements = list[tuple[str, list]]
WRITTEN_TABLE = re.compile(r"(?:UPDATE|DELETE FROM|INSERT INTO) (\w+)")


def edit_an_event(h: History) -> Statements:
    return [
        (
            f'UPDATE {h.middle.table} SET pgh_context = \'{{"job": "someone else"}}\' '
            "WHERE pgh_id = %s",
            [h.middle.event_id],
        )
    ]


def delete_a_middle_event(h: History) -> Statements:
    return [(f"DELETE FROM {h.middle.table} WHERE pgh_id = %s", [h.middle.event_id])]


def delete_the_last_event(h: History) -> Statements:
    return [(f"DELETE FROM {h.last.table} WHERE pgh_id = %s", [h.last.event_id])]


def rehash_the_last_event(h: History) -> Statements:
    """Rewrite the last event, then give it the hash the database's own function computes:
    its links hold again."""
    table = h.last.table
    return [
        (
            f'UPDATE {table} SET pgh_context = \'{{"job": "someone else"}}\' WHERE pgh_id = %s',
            [h.last.event_id],
        ),
        (
            f"UPDATE {table} e SET pgh_hash = audit_event_hash('{table}', e) WHERE pgh_id = %s",
            [h.last.event_id],
        ),
    ]


def swap_two_events(h: History) -> Statements:
    first, second = h.events[2], h.events[3]
    return [
        (f"UPDATE {first.table} SET pgh_seq = -1 WHERE pgh_id = %s", [first.event_id]),
        (f"UPDATE {second.table} SET pgh_seq = %s WHERE pgh_id = %s", [first.seq, second.event_id]),
        (f"UPDATE {first.table} SET pgh_seq = %s WHERE pgh_id = %s", [second.seq, first.event_id]),
    ]


def delete_a_middle_checkpoint(h: History) -> Statements:
    return [(f"DELETE FROM {CHECKPOINTS} WHERE id = %s", [h.checkpoints[1]])]


def delete_the_checkpoints(h: History) -> Statements:
    return [(f"DELETE FROM {CHECKPOINTS}", [])]


def delete_the_last_event_and_the_checkpoints(h: History) -> Statements:
    return delete_the_last_event(h) + delete_the_checkpoints(h)


def rehash_the_last_event_and_sign_it_anew(h: History) -> Statements:
    """Rewrite and re-hash the last event, and replace its checkpoint with one of the new
    hash, signed as well as one can without the key."""
    last_checkpoint, before = h.checkpoints[-1], h.checkpoints[-2]
    return [
        *rehash_the_last_event(h),
        (f"DELETE FROM {CHECKPOINTS} WHERE id = %s", [last_checkpoint]),
        (
            f"INSERT INTO {CHECKPOINTS} (seq, hash, recorded_at, verified_at, "
            "previous_signature, signature) "
            f"SELECT pgh_seq, pgh_hash, pgh_created_at, now(), "
            f"(SELECT signature FROM {CHECKPOINTS} WHERE id = %s), "
            "encode(sha256(convert_to(pgh_hash, 'UTF8')), 'hex') "
            f"FROM {h.last.table} WHERE pgh_id = %s",
            [before, h.last.event_id],
        ),
    ]


def add_an_unsigned_checkpoint(h: History) -> Statements:
    """INSERT is all the app role may do to the checkpoints: a checkpoint of its own."""
    return [
        (
            f"INSERT INTO {CHECKPOINTS} (seq, hash, recorded_at, verified_at, "
            "previous_signature, signature) VALUES (%s, %s, now(), now(), '', '')",
            [h.last.seq + 5, "f" * 64],
        )
    ]


def fork_the_chain_from_a_false_head(h: History) -> Statements:
    """Any session may set the head that the chain trigger keeps for its transaction: the
    next change is chained to a head of one's choosing, at a position already taken."""
    return [
        ("SELECT set_config('registry_audit.head', %s, true)", [f"1:{'0' * 64}"]),
        (
            "UPDATE agreements_agreement SET title = 'Forked' "
            "WHERE id = (SELECT min(id) FROM agreements_agreement)",
            [],
        ),
    ]


@dataclass(frozen=True)
class Attack:
    statements: Callable[[History], Statements]
    detected_as: str  # what verify_audit_log's error says
    appends_only: bool = False  # what the app role may do: it is detected, not refused

    def tables(self, h: History) -> set[str]:
        """The audit tables its statements write."""
        written = {match.group(1) for sql, _ in self(h) if (match := WRITTEN_TABLE.match(sql))}
        return written & set(audit_tables())

    def __call__(self, h: History) -> Statements:
        return self.statements(h)


ATTACKS = {
    "edit an event": Attack(edit_an_event, "its content was altered"),
    "delete a middle event": Attack(delete_a_middle_event, "an event before it was deleted"),
    "delete the last event": Attack(delete_the_last_event, "events were deleted from its end"),
    "re-hash the last event": Attack(rehash_the_last_event, "history was rewritten"),
    "swap two events": Attack(swap_two_events, "events were swapped"),
    "delete a middle checkpoint": Attack(
        delete_a_middle_checkpoint, "the checkpoint signed before it is missing"
    ),
    "delete the checkpoints": Attack(
        delete_the_checkpoints, "this checkpoint is no longer in the database"
    ),
    "delete the last event and the checkpoints": Attack(
        delete_the_last_event_and_the_checkpoints, "this checkpoint is no longer in the database"
    ),
    "re-hash the last event and sign it anew": Attack(
        rehash_the_last_event_and_sign_it_anew, "its signature does not hold"
    ),
    "add an unsigned checkpoint": Attack(
        add_an_unsigned_checkpoint, "it is not signed", appends_only=True
    ),
    "fork the chain from a false head": Attack(
        fork_the_chain_from_a_false_head, "at position 2", appends_only=True
    ),
}


def pgtrigger_triggers(tables: set[str]) -> list[str]:
    """The names of the django-pgtrigger triggers on ``tables``: what pgtrigger.ignore names."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid::regclass::text = ANY(%s) "
            "AND tgname LIKE 'pgtrigger\\_%%'",
            [sorted(tables)],
        )
        return [name for (name,) in cursor.fetchall()]


def assert_detected(attack: Attack) -> None:
    with pytest.raises(CommandError) as error:
        verify_command()
    assert "audit log broken" in str(error.value)
    assert attack.detected_as in str(error.value)


# As the app role: refused, or detected -----------------------------------------------


def test_the_app_connects_as_the_app_role_which_owns_no_table_and_is_no_superuser(as_app_role):
    assert current_user() == as_app_role
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = %s",
            [as_app_role],
        )
        assert cursor.fetchone() == (False, False, False)
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = %s", [as_app_role])
        assert cursor.fetchone()[0] == 0


def test_the_app_role_may_only_read_and_append_to_the_audit_tables(as_app_role):
    with connection.cursor() as cursor:
        for table in audit_tables():
            for privilege, granted in [
                ("SELECT", True),
                ("INSERT", True),
                ("UPDATE", False),
                ("DELETE", False),
                ("TRUNCATE", False),
                ("TRIGGER", False),
            ]:
                cursor.execute("SELECT has_table_privilege(%s, %s)", [table, privilege])
                assert cursor.fetchone()[0] is granted, (table, privilege)
        for table in audited_tables():
            cursor.execute("SELECT has_table_privilege(%s, 'UPDATE, DELETE')", [table])
            assert cursor.fetchone()[0] is True, table


@pytest.mark.parametrize("name", list(ATTACKS))
def test_an_attack_by_the_app_role_is_refused_or_detected(name, history):
    """With pgtrigger.ignore naming every pgtrigger trigger of the tables, as the probe did."""
    attack = ATTACKS[name]
    statements = attack(history)
    ignored = "{" + ",".join(pgtrigger_triggers(attack.tables(history))) + "}"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [ignored])
            for sql, params in statements:
                cursor.execute(sql, params)
    except DatabaseError as error:
        assert "permission denied for table" in str(error)
        assert chain() == history.events
        assert checkpoint_ids() == history.checkpoints
        assert "audit log verified" in verify_command()
    else:
        # Appending is all the app role may do: what it appends does not verify.
        assert attack.appends_only is True
        assert_detected(attack)


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE {table} DISABLE TRIGGER USER",
        "DROP TRIGGER audit_append_only ON {table}",
        "TRUNCATE {table}",
        "CREATE TRIGGER let_through BEFORE UPDATE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_triggers_in_force()",
    ],
)
@pytest.mark.parametrize("table", ["agreements_agreementevent", CHECKPOINTS])
def test_the_app_role_cannot_switch_the_protection_off(as_app_role, statement, table):
    with (
        pytest.raises(DatabaseError, match="must be owner|permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))


@pytest.mark.parametrize(
    "statement",
    [
        "SET session_replication_role = replica",
        "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    ],
)
def test_the_app_role_cannot_disable_triggers_or_replace_their_functions(as_app_role, statement):
    with (
        pytest.raises(DatabaseError, match="must be owner|permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_the_app_role_cannot_change_a_record_with_its_audit_trigger_switched_off(
    as_app_role, partnership
):
    agreement = factories.AgreementFactory(partnership=partnership, title="Recorded")
    events = AgreementEvent.objects.count()
    ignored = "{" + ",".join(pgtrigger_triggers({"agreements_agreement"})) + "}"
    with (
        pytest.raises(DatabaseError, match="cannot be switched off"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [ignored])
        cursor.execute(
            "UPDATE agreements_agreement SET title = 'Unrecorded' WHERE id = %s",
            [agreement.pk],
        )
    agreement.refresh_from_db()
    assert agreement.title == "Recorded"
    assert AgreementEvent.objects.count() == events


def test_the_app_role_cannot_write_an_event_past_the_chain_trigger(history):
    """An event of its own making, with the position and hashes the chain trigger would
    otherwise overwrite."""
    ignored = "{" + ",".join(pgtrigger_triggers({"agreements_agreementevent"})) + "}"
    with (
        pytest.raises(DatabaseError, match="cannot be switched off"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [ignored])
        cursor.execute(
            "INSERT INTO agreements_agreementevent (pgh_created_at, pgh_label, pgh_seq, "
            "pgh_prev_hash, pgh_hash, pgh_obj_id, id, title) "
            "VALUES (now(), 'update', %s, %s, %s, 1, 1, 'Invented')",
            [history.last.seq + 1, "0" * 64, "0" * 64],
        )
    assert chain() == history.events


# As the owner, who can switch the triggers off: detected -----------------------------


@pytest.mark.parametrize("name", list(ATTACKS))
def test_an_attack_by_the_owner_is_detected(name, history, owner):
    attack = ATTACKS[name]
    tables = attack.tables(history)
    with owner_cursor(owner) as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql, params in attack(history):
            cursor.execute(sql, params)
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    assert_detected(attack)


def test_verify_audit_log_exits_non_zero_naming_the_problem(history, owner, as_app_role):
    with owner_cursor(owner) as cursor:
        cursor.execute(f"ALTER TABLE {history.last.table} DISABLE TRIGGER USER")
        cursor.execute(
            f"DELETE FROM {history.last.table} WHERE pgh_id = %s", [history.last.event_id]
        )
        cursor.execute(f"ALTER TABLE {history.last.table} ENABLE TRIGGER USER")
    url = database_url(owner, user=as_app_role, password=APP_ROLE_PASSWORD)
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "MIGRATE_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "verify_audit_log"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"#{history.checkpoints[-1]} (at position {history.last.seq}): the chain ends at "
        f"position {history.last.seq - 1}"
    ) in result.stderr
    assert "events were deleted from its end" in result.stderr


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE agreements_agreementevent SET pgh_hash = pgh_hash",
        "DELETE FROM agreements_agreementevent",
        f"UPDATE {CHECKPOINTS} SET hash = hash",
        f"DELETE FROM {CHECKPOINTS}",
    ],
)
def test_pgtrigger_ignore_does_not_switch_the_append_only_guard_off(history, owner, statement):
    """Not even for a role that may UPDATE and DELETE: the privileges are one wall, the
    guard another."""
    table = WRITTEN_TABLE.match(statement).group(1)
    ignored = "{" + ",".join(pgtrigger_triggers({table})) + "}"
    with (
        pytest.raises(psycopg.Error, match="the audit log is append-only"),
        owner_cursor(owner) as cursor,
    ):
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, false)", [ignored])
        cursor.execute(statement)
    assert chain() == history.events
    assert checkpoint_ids() == history.checkpoints


# The app works as the app role --------------------------------------------------------


def test_a_save_through_a_service_as_the_app_role_is_recorded_and_verifies(
    as_app_role, partnership, ngo_editor
):
    agreement = agreement_create(
        partnership=partnership,
        actor=ngo_editor,
        data={"title": "Referral protocol", "kind": "mou", "status": "draft"},
        terms=[
            {
                "data_category": "aggregate_statistics",
                "direction": "police_to_ngo",
                "purpose": "Monthly counts.",
            }
        ],
    )
    assert current_user() == as_app_role
    created = AgreementEvent.objects.get(pgh_obj_id=agreement.pk, pgh_label="create")
    assert created.title == "Referral protocol"

    output = verify_command()

    head = audit_chain_head()
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.seq, checkpoint.hash) == (head.seq, head.hash)
    assert checkpoint.signature_holds() is True
    assert f"checkpoint: position {head.seq}" in output
    assert audit_log_verify().ok is True
