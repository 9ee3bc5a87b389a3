"""Where the audit log is not recorded (the embedded SQLite database), the registry still
works and says so instead of pretending to verify anything."""

from io import StringIO

import pytest
from django.core.management import call_command

from audit import chain as audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_triggers(monkeypatch):
    monkeypatch.setattr(audit, "audit_log_supported", lambda: False)
    monkeypatch.setattr(
        "audit.management.commands.verify_audit_log.audit_log_supported", lambda: False
    )


def test_verify_audit_log_says_nothing_is_recorded(no_triggers):
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    assert "recorded on PostgreSQL only" in out.getvalue()


def test_the_head_is_absent_and_the_pages_still_render(no_triggers, client, partnership):
    assert audit.audit_chain_head() is None
    root = client.get("/api/v1/").json()
    assert root["audit_log"]["head_hash"] is None
    assert client.get("/methodology/").status_code == 200
    assert client.get(partnership.get_absolute_url()).status_code == 200
