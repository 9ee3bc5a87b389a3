"""The registry of audited models drives the audit log: the staff history's URLs, the chain
view the triggers read and the verification all come from it, so that auditing a model is
one line in its app's models.py (plus the migration makemigrations writes)."""

import logging

import pytest
from django.apps import apps
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.urls import reverse

from audit import registry
from audit.chain import (
    audit_chain_view_migration,
    audit_chain_view_update,
    audit_event_models,
    audit_log_verify,
)
from audit.trail import AuditEvent
from oversight.models import Flag, FlagEvent
from tests import factories

pytestmark = pytest.mark.django_db


def chain_view_tables() -> set[str]:
    """The tables the ``audit_chain`` view in the database reads."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.view_table_usage "
            "WHERE view_name = 'audit_chain'"
        )
        return {table for (table,) in cursor.fetchall()}


def registered_tables() -> set[str]:
    return {r.event_model._meta.db_table for r in registry.registrations()}


def leave_out_flags(monkeypatch):
    """The registry as if flags were not audited: nothing registered anew, one left out."""
    kept = {model: r for model, r in registry._registrations.items() if model is not Flag}
    monkeypatch.setattr(registry, "_registrations", kept)


def test_the_chain_view_covers_exactly_the_registered_event_tables():
    assert chain_view_tables() == registered_tables()
    # + joint activities, their results, transparency reports, and incidents with their
    # links to agreements and sources.
    assert len(registered_tables()) == 21 + 3 + 3


def test_every_event_model_is_registered():
    event_models = {model for model in apps.get_models() if issubclass(model, AuditEvent)}
    assert event_models == set(audit_event_models())


def test_the_staff_history_urls_are_the_registered_slugs():
    assert {r.slug for r in registry.registrations()} == {
        "partnership",
        "agreement",
        "organization",
        "party",
        "membership",
        "term",
        "signatory",
        "document",
        "review",
        "finding",
        "flag",
        "source",
        "focus-area-link",
        "partnership-source-link",
        "agreement-source-link",
        "withholding",
        "revision",
        "authentication-event",
        "feedback",
        "feedback-response",
        "feedback-closure",
        "activity",
        "activity-result",
        "report",
        "incident",
        "incident-agreement-link",
        "incident-source-link",
    }


def test_the_staff_history_the_chain_view_and_the_verification_follow_the_registry(
    client, board_member, partnership, monkeypatch
):
    agreement = factories.AgreementFactory(partnership=partnership)
    flag = factories.FlagFactory(agreement=agreement)
    factories.AgreementFactory(partnership=partnership)  # events after the flag's
    first_flag_seq = FlagEvent.objects.get(pgh_obj_id=flag.pk).pgh_seq
    url = reverse("oversight:record_history", kwargs={"model": "flag", "pk": flag.pk})
    client.force_login(board_member)
    assert client.get(url).status_code == 200
    assert audit_log_verify().ok is True

    leave_out_flags(monkeypatch)

    assert client.get(url).status_code == 404
    assert FlagEvent._meta.db_table not in audit_chain_view_update()
    assert chain_view_tables() == registered_tables()
    assert FlagEvent._meta.db_table not in chain_view_tables()
    # The verification no longer reads the flag's event: the chain has a gap there.
    result = audit_log_verify()
    assert result.ok is False
    assert result.broken.seq == first_flag_seq + 1
    assert "out of place" in result.broken.reason


def test_migrate_rebuilds_the_chain_view_from_the_registry(monkeypatch):
    leave_out_flags(monkeypatch)
    audit_chain_view_update()
    monkeypatch.undo()
    assert FlagEvent._meta.db_table not in chain_view_tables()

    # What every migrate (and flush) ends with.
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)

    assert chain_view_tables() == registered_tables()


def test_a_data_migration_can_bring_the_chain_view_up_to_date_first(monkeypatch):
    leave_out_flags(monkeypatch)
    audit_chain_view_update()
    monkeypatch.undo()

    with connection.schema_editor() as schema_editor:
        audit_chain_view_migration(apps, schema_editor)

    assert chain_view_tables() == registered_tables()


def test_events_written_before_the_view_covered_their_table_are_reported_as_a_fork(
    partnership, monkeypatch, caplog
):
    """A migration created the flags' event table and a data migration wrote flags; a
    later transaction of the same run, before the view is rebuilt, forks the chain."""
    leave_out_flags(monkeypatch)
    audit_chain_view_update()
    monkeypatch.undo()
    agreement = factories.AgreementFactory(partnership=partnership)
    factories.FlagFactory(agreement=agreement)
    with connection.cursor() as cursor:  # what a new transaction starts from
        cursor.execute("SELECT set_config('registry_audit.head', '', true)")
    factories.AgreementFactory(partnership=partnership)
    forked_at = FlagEvent.objects.get().pgh_seq

    with caplog.at_level(logging.ERROR, logger="audit.chain"):
        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)

    assert chain_view_tables() == registered_tables()
    assert [r.getMessage() for r in caplog.records if r.name == "audit.chain"] == [
        f"audit log forked at position {forked_at}: events were written to "
        f"{FlagEvent._meta.db_table} before the chain view covered it (see audit.chain); "
        "verify_audit_log names the first broken event"
    ]
    assert audit_log_verify().ok is False


def test_rebuilding_the_view_reports_nothing_when_no_event_escaped_it(caplog, partnership):
    factories.AgreementFactory(partnership=partnership)
    with caplog.at_level(logging.ERROR, logger="audit.chain"):
        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert [r for r in caplog.records if r.name == "audit.chain"] == []
    assert audit_log_verify().ok is True
