"""The audit log: every write path records its events, the audit tables are append-only,
and the hash chain detects tampering, also with 50 writers at once."""

import json
import logging
import threading

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from agreements.models import Agreement, AgreementEvent, DataSharingTermEvent
from agreements.services import agreement_create, agreement_update
from audit import tasks
from audit.chain import audit_chain_head, audit_event_models, audit_log_verify
from audit.models import AuditCheckpoint
from oversight import tasks as oversight_tasks
from oversight.models import Flag, FlagEvent
from partnerships.models import Organization, OrganizationEvent, Partnership, PartnershipEvent
from tests import factories

pytestmark = pytest.mark.django_db


def events_of(event_model, **filters):
    return list(event_model.objects.filter(**filters).order_by("pgh_seq"))


def verify_command(*args) -> str:
    """verify_audit_log's output; raises CommandError when the chain is broken."""
    from io import StringIO

    out = StringIO()
    call_command("verify_audit_log", *args, stdout=out)
    return out.getvalue()


def without_protection(table: str, *statements):
    """Run ``(sql, params)`` statements on an audit table with its triggers disabled, as
    someone with direct access to the database might."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql, params in statements:
            cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


# Every write path records its events --------------------------------------------------


def test_creating_an_agreement_through_the_service_records_it_with_its_terms(
    partnership, ngo_editor
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
    created = events_of(AgreementEvent, pgh_obj_id=agreement.pk, pgh_label="create")
    assert len(created) == 1
    assert created[0].pgh_diff["title"] == [None, "Referral protocol"]
    assert created[0].title == "Referral protocol"
    term_events = events_of(DataSharingTermEvent, agreement_id=agreement.pk)
    assert [e.pgh_label for e in term_events] == ["create"]
    assert term_events[0].pgh_diff["purpose"] == [None, "Monthly counts."]


def test_an_update_records_only_the_changed_fields_with_old_and_new_values(partnership, ngo_editor):
    agreement = factories.AgreementFactory(
        partnership=partnership, title="Old title", publication_status="draft"
    )
    agreement_update(agreement=agreement, actor=ngo_editor, data={"title": "New title"})
    update = events_of(AgreementEvent, pgh_obj_id=agreement.pk, pgh_label="update")[0]
    assert update.pgh_diff["title"] == ["Old title", "New title"]
    assert "status" not in update.pgh_diff
    assert "partnership_id" not in update.pgh_diff


def test_a_bulk_update_records_one_event_per_row():
    agreements = factories.AgreementFactory.create_batch(3, status="active")
    Agreement.objects.filter(pk__in=[a.pk for a in agreements]).update(status="terminated")
    updates = events_of(AgreementEvent, pgh_label="update")
    assert sorted(e.pgh_obj_id for e in updates) == sorted(a.pk for a in agreements)
    assert all(e.pgh_diff["status"] == ["active", "terminated"] for e in updates)


def test_raw_sql_is_recorded_without_context():
    agreement = factories.AgreementFactory(title="Before")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE agreements_agreement SET title = %s WHERE id = %s", ["After", agreement.pk]
        )
        cursor.execute("DELETE FROM agreements_agreement WHERE id = %s", [agreement.pk])
    labels = [e.pgh_label for e in events_of(AgreementEvent, pgh_obj_id=agreement.pk)]
    assert labels == ["create", "update", "delete"]
    delete = events_of(AgreementEvent, pgh_obj_id=agreement.pk, pgh_label="delete")[0]
    assert delete.pgh_diff["title"] == ["After", None]
    assert delete.pgh_context is None


def test_a_staff_page_records_the_user_and_their_organization(client, ngo_editor, partnership):
    # A draft changes at once (an approved one's change is recorded as its proposer's when
    # approved: tests/staff/test_revisions.py).
    Partnership.objects.filter(pk=partnership.pk).update(publication_status="draft")
    client.force_login(ngo_editor)
    url = reverse("partnerships:edit", kwargs={"slug": partnership.slug})
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "focus_areas"}
    data.update(title="Renamed by the NGO", country="GB", established_on="2020-01-01")
    client.post(url, data)
    update = events_of(PartnershipEvent, pgh_obj_id=partnership.pk, pgh_label="update")[-1]
    assert update.pgh_diff["title"][1] == "Renamed by the NGO"
    assert update.pgh_context["user"] == ngo_editor.pk
    assert update.pgh_context["username"] == "ngo_editor"
    assert update.pgh_context["organizations"] == [
        {
            "id": partnership.parties.get(role="lead_ngo").organization_id,
            "slug": "safe-harbour",
            "name": "Safe Harbour Women's Aid",
        }
    ]
    assert update.pgh_context["url"] == url


def test_the_admin_records_the_administrator(client):
    admin = factories.UserFactory(username="site_admin", is_staff=True, is_superuser=True)
    organization = factories.NgoFactory(name="Short-lived Trust")
    client.force_login(admin)
    url = reverse("admin:partnerships_organization_delete", args=[organization.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=organization.pk).exists()
    delete = events_of(OrganizationEvent, pgh_obj_id=organization.pk, pgh_label="delete")[0]
    assert delete.name == "Short-lived Trust"
    assert delete.pgh_context["user"] == admin.pk
    assert delete.pgh_context["superuser"] is True


def flag_condition(partnership):
    """An agreement in force without an independent auditor: flagged by the job."""
    return factories.AgreementFactory(partnership=partnership, status="active")


def test_the_flagging_command_records_its_bulk_statements_as_the_job(partnership):
    agreement = flag_condition(partnership)
    call_command("run_flagging", stdout=open("/dev/null", "w"))  # noqa: SIM115
    flag = Flag.objects.get(agreement=agreement, kind="no_independent_auditor")
    raised = events_of(FlagEvent, pgh_obj_id=flag.pk)
    assert [e.pgh_label for e in raised] == ["create"]
    assert raised[0].pgh_context["job"] == "run_flagging"

    # The condition clears: the next run closes the flag with one set-based update().
    auditor = factories.OversightBodyFactory()
    Agreement.objects.filter(pk=agreement.pk).update(independent_auditor=auditor)
    # The nightly safety net catches the update up first (it went around the services).
    call_command("refresh_derived", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("run_flagging", stdout=open("/dev/null", "w"))  # noqa: SIM115
    closed = events_of(FlagEvent, pgh_obj_id=flag.pk, pgh_label="update")
    assert len(closed) == 1
    assert closed[0].pgh_diff["resolved_at"][0] is None
    assert closed[0].pgh_diff["resolution"][1] != ""
    assert closed[0].pgh_context["job"] == "run_flagging"


def test_the_celery_task_records_its_name(partnership):
    agreement = flag_condition(partnership)
    oversight_tasks.run_flagging.apply()
    flag = Flag.objects.get(agreement=agreement, kind="no_independent_auditor")
    event = events_of(FlagEvent, pgh_obj_id=flag.pk)[0]
    assert event.pgh_context["job"] == "oversight.tasks.run_flagging"


@pytest.mark.django_db(transaction=True)
def test_changes_after_a_task_are_not_attributed_to_it(partnership):
    oversight_tasks.run_flagging.apply()
    agreement = factories.AgreementFactory(partnership=partnership)
    assert events_of(AgreementEvent, pgh_obj_id=agreement.pk)[0].pgh_context is None


def test_every_registry_model_is_audited():
    audited = {model.pgh_tracked_model._meta.label for model in audit_event_models()}
    assert audited >= {
        "partnerships.Organization",
        "partnerships.Partnership",
        "partnerships.PartnershipParty",
        "partnerships.Membership",
        "partnerships.Source",
        "agreements.Agreement",
        "agreements.AgreementSignatory",
        "agreements.AgreementDocument",
        "agreements.DataSharingTerm",
        "oversight.Review",
        "oversight.Finding",
        "oversight.Flag",
    }


# Append-only ------------------------------------------------------------------------


def test_updating_an_audit_event_fails():
    factories.AgreementFactory(title="Kept")
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE agreements_agreementevent SET title = 'Rewritten'")
    assert AgreementEvent.objects.get().title == "Kept"


def test_deleting_an_audit_event_fails():
    factories.AgreementFactory()
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        AgreementEvent.objects.all().delete()
    assert AgreementEvent.objects.count() == 1


# The hash chain ---------------------------------------------------------------------


@pytest.fixture
def history(partnership):
    """A few agreements with changes: a chain of a dozen events or so."""
    agreements = factories.AgreementFactory.create_batch(3, partnership=partnership)
    for agreement in agreements:
        Agreement.objects.filter(pk=agreement.pk).update(title=f"{agreement.title} (renamed)")
    return agreements


def test_an_untouched_chain_verifies(history):
    result = audit_log_verify()
    assert result.ok is True
    assert result.checked == sum(model.objects.count() for model in audit_event_models())
    head = audit_chain_head()
    assert result.head == head
    output = verify_command()
    assert f"audit log verified: {result.checked} event(s)" in output
    assert head.hash in output


def test_each_event_links_to_the_one_before(history):
    events = sorted(
        (e for model in audit_event_models() for e in model.objects.all()),
        key=lambda e: e.pgh_seq,
    )
    assert [e.pgh_seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].pgh_prev_hash == "0" * 64
    for before, after in zip(events, events[1:], strict=False):
        assert after.pgh_prev_hash == before.pgh_hash


def test_an_altered_event_is_named(history):
    target = AgreementEvent.objects.filter(pgh_label="update").order_by("pgh_seq")[1]
    without_protection(
        "agreements_agreementevent",
        (
            "UPDATE agreements_agreementevent SET title = 'Quietly rewritten' WHERE pgh_id = %s",
            [target.pgh_id],
        ),
    )
    with pytest.raises(CommandError) as error:
        verify_command()
    assert f"agreements.AgreementEvent #{target.pgh_id} (at position {target.pgh_seq})" in str(
        error.value
    )
    assert "content was altered" in str(error.value)


def test_an_altered_context_is_detected(history):
    target = AgreementEvent.objects.order_by("pgh_seq").first()
    without_protection(
        "agreements_agreementevent",
        (
            """UPDATE agreements_agreementevent SET pgh_context = '{"job": "someone else"}'
               WHERE pgh_id = %s""",
            [target.pgh_id],
        ),
    )
    result = audit_log_verify()
    assert (result.broken.model, result.broken.event_id) == (
        "agreements.AgreementEvent",
        target.pgh_id,
    )


def test_a_deleted_event_is_detected_at_the_event_after_it(history):
    events = list(AgreementEvent.objects.order_by("pgh_seq"))
    deleted, following = events[2], events[3]
    assert following.pgh_seq == deleted.pgh_seq + 1
    without_protection(
        "agreements_agreementevent",
        ("DELETE FROM agreements_agreementevent WHERE pgh_id = %s", [deleted.pgh_id]),
    )
    with pytest.raises(CommandError) as error:
        verify_command()
    assert f"agreements.AgreementEvent #{following.pgh_id} (at position {following.pgh_seq})" in (
        str(error.value)
    )
    assert "deleted" in str(error.value)


def test_two_swapped_events_are_detected(history):
    first, second = list(AgreementEvent.objects.order_by("pgh_seq"))[1:3]
    swap = "UPDATE agreements_agreementevent SET pgh_seq = %s WHERE pgh_id = %s"
    without_protection(
        "agreements_agreementevent",
        (swap, [-1, first.pgh_id]),
        (swap, [first.pgh_seq, second.pgh_id]),
        (swap, [second.pgh_seq, first.pgh_id]),
    )
    result = audit_log_verify()
    # The later event now sits where the earlier one was: it is the first broken one.
    assert result.broken.event_id == second.pgh_id
    assert result.broken.seq == first.pgh_seq
    assert result.checked == first.pgh_seq - 1


def test_the_daily_task_alerts_the_site_administrators_when_the_chain_breaks(history, caplog):
    factories.UserFactory(username="root", email="root@registry.example", is_superuser=True)
    factories.UserFactory(username="editor", email="editor@registry.example")
    target = AgreementEvent.objects.order_by("pgh_seq").last()
    without_protection(
        "agreements_agreementevent",
        ("UPDATE agreements_agreementevent SET title = 'x' WHERE pgh_id = %s", [target.pgh_id]),
    )
    with caplog.at_level(logging.ERROR, logger="audit.chain"):
        result = tasks.verify_audit_log.apply().get()
    assert result["ok"] is False
    assert f"#{target.pgh_id}" in result["broken"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["root@registry.example"]
    assert f"agreements.AgreementEvent #{target.pgh_id}" in mail.outbox[0].body
    assert any(f"#{target.pgh_id}" in r.getMessage() for r in caplog.records)


def test_the_daily_task_sends_nothing_when_the_chain_verifies(history):
    factories.UserFactory(username="root", email="root@registry.example", is_superuser=True)
    result = tasks.verify_audit_log.apply().get()
    assert result["ok"] is True
    assert mail.outbox == []


def test_the_daily_verification_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["verify-audit-log"]
    assert entry["task"] == "audit.tasks.verify_audit_log"
    assert entry["schedule"].hour == {3}


# Concurrent writers -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_writers_leave_a_chain_that_verifies(ngo, police):
    partnership = factories.partnership_with_parties(ngo=ngo, police=police)
    admin = factories.UserFactory(username="writer_admin", is_superuser=True)
    writers = 50
    barrier = threading.Barrier(writers)
    errors = []

    def write(n):
        try:
            barrier.wait()
            agreement = agreement_create(
                partnership=partnership,
                actor=admin,
                data={"title": f"Concurrent {n}", "kind": "mou", "status": "draft"},
                terms=[
                    {
                        "data_category": "case_records",
                        "direction": "bidirectional",
                        "purpose": f"Writer {n}.",
                    }
                ],
            )
            agreement_update(agreement=agreement, actor=admin, data={"reference": f"REF-{n}"})
        except Exception as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Agreement.objects.count() == writers
    assert AgreementEvent.objects.filter(pgh_label="create").count() == writers
    result = audit_log_verify()
    assert result.ok is True
    assert result.checked == sum(model.objects.count() for model in audit_event_models())


@pytest.mark.django_db(transaction=True)
def test_a_write_under_repeatable_read_is_refused_rather_than_forking_the_chain():
    # Under REPEATABLE READ the head could be stale; the chain trigger refuses the write.
    with pytest.raises(DatabaseError, match="READ COMMITTED"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        factories.NgoFactory()
    assert not Organization.objects.exists()
    assert audit_log_verify().ok is True


# Checkpoints: what the links alone cannot see ---------------------------------------


def test_the_daily_task_keeps_the_verified_head(history):
    tasks.verify_audit_log.apply()
    checkpoint = AuditCheckpoint.objects.get()
    head = audit_chain_head()
    assert (checkpoint.seq, checkpoint.hash) == (head.seq, head.hash)
    tasks.verify_audit_log.apply()  # nothing new: the same checkpoint
    assert AuditCheckpoint.objects.count() == 1


def test_events_deleted_from_the_end_are_detected_by_the_checkpoint(history):
    tasks.verify_audit_log.apply()
    last = AgreementEvent.objects.order_by("-pgh_seq").first()
    without_protection(
        "agreements_agreementevent",
        ("DELETE FROM agreements_agreementevent WHERE pgh_seq >= %s", [last.pgh_seq]),
    )
    with pytest.raises(CommandError) as error:
        verify_command()
    assert "deleted from its end" in str(error.value)


def test_a_rewritten_head_with_a_recomputed_hash_is_detected_by_the_checkpoint(history):
    tasks.verify_audit_log.apply()
    last = AgreementEvent.objects.order_by("-pgh_seq").first()
    assert last.pgh_seq == audit_chain_head().seq
    without_protection(
        "agreements_agreementevent",
        (
            "UPDATE agreements_agreementevent SET title = 'Rewritten' WHERE pgh_id = %s",
            [last.pgh_id],
        ),
        (
            "UPDATE agreements_agreementevent e SET pgh_hash = "
            "audit_event_hash('agreements_agreementevent', e) WHERE pgh_id = %s",
            [last.pgh_id],
        ),
    )
    result = audit_log_verify()
    assert (result.broken.model, result.broken.event_id) == (
        "agreements.AgreementEvent",
        last.pgh_id,
    )
    assert "history was rewritten" in result.broken.reason


def test_checkpoints_are_append_only(history):
    tasks.verify_audit_log.apply()
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        AuditCheckpoint.objects.update(hash="0" * 64)


def test_verify_audit_log_keeps_the_head_as_a_signed_checkpoint(history):
    output = verify_command()
    head = audit_chain_head()
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.seq, checkpoint.hash, checkpoint.previous_signature) == (
        head.seq,
        head.hash,
        "",
    )
    assert checkpoint.signature_holds() is True
    assert f"checkpoint: position {head.seq}, signed {checkpoint.signature}" in output
    verify_command()  # nothing new: the same checkpoint
    assert AuditCheckpoint.objects.count() == 1


def test_each_checkpoint_is_signed_after_the_one_before(history, partnership):
    verify_command()
    factories.AgreementFactory(partnership=partnership)
    tasks.verify_audit_log.apply()
    first, second = AuditCheckpoint.objects.order_by("seq")
    assert second.seq == audit_chain_head().seq
    assert second.previous_signature == first.signature
    assert second.signature_holds() is True


def test_verify_audit_log_keeps_no_checkpoint_when_asked_not_to(history):
    output = verify_command("--no-checkpoint")
    assert "audit log verified" in output
    assert AuditCheckpoint.objects.exists() is False


def test_checkpoints_signed_with_another_key_do_not_verify(history, settings):
    verify_command()
    settings.AUDIT_SIGNING_KEY = "a-key-nobody-signed-with"
    result = audit_log_verify()
    assert result.broken.model == "audit.AuditCheckpoint"
    assert "AUDIT_SIGNING_KEY changed" in result.broken.reason


def test_checkpoints_kept_before_signing_are_still_held_to(history):
    last = AgreementEvent.objects.order_by("-pgh_seq").first()
    AuditCheckpoint.objects.create(
        seq=last.pgh_seq,
        hash=last.pgh_hash,
        recorded_at=last.pgh_created_at,
        verified_at=last.pgh_created_at,
    )
    assert audit_log_verify().ok is True
    verify_command()  # signing begins after them
    without_protection(
        "agreements_agreementevent",
        ("DELETE FROM agreements_agreementevent WHERE pgh_id = %s", [last.pgh_id]),
    )
    assert "deleted from its end" in audit_log_verify().broken.reason


def test_the_last_checkpoint_is_kept_in_the_head_file_too(history, settings, tmp_path):
    settings.AUDIT_HEAD_FILE = str(tmp_path / "audit-head.json")
    verify_command()
    checkpoint = AuditCheckpoint.objects.get()
    kept = json.loads((tmp_path / "audit-head.json").read_text())
    assert kept["seq"] == checkpoint.seq
    assert kept["hash"] == checkpoint.hash
    assert kept["signature"] == checkpoint.signature
    assert audit_log_verify().ok is True


def test_an_altered_head_file_is_detected(history, settings, tmp_path):
    head_file = tmp_path / "audit-head.json"
    settings.AUDIT_HEAD_FILE = str(head_file)
    verify_command()
    kept = json.loads(head_file.read_text())
    head_file.write_text(json.dumps({**kept, "seq": kept["seq"] - 1}))
    result = audit_log_verify()
    assert result.broken.model == f"the head kept in {head_file}"
    assert "its signature does not hold" in result.broken.reason
    head_file.write_text("not JSON")
    assert "unreadable" in audit_log_verify().broken.reason
