"""A large import, end to end on a real Celery worker through Redis: the dry run, then
applying it, each in the background, with the progress the page polls moving along while
the import's transaction is still open."""

import threading
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connections

from agreements import services as agreement_services
from agreements.models import Agreement, AgreementEvent
from config.celery import app as celery_app
from imports import planning, services
from imports.models import ImportJob
from imports.tasks import run_import_job
from tests import factories

from .conftest import edited, export, upload

ROWS = 1000


def watch(job_id: int, field: str, stop: threading.Event, seen: list) -> None:
    """What a page polling the job reads, from a connection of its own."""
    try:
        while not stop.is_set():
            seen.append(ImportJob.objects.values_list(field, "status").get(pk=job_id))
            time.sleep(0.02)
    finally:
        connections.close_all()


def run_on_worker(queue: str, job: ImportJob, field: str, until: str) -> list:
    seen, stop = [], threading.Event()
    watcher = threading.Thread(target=watch, args=(job.pk, field, stop, seen))
    watcher.start()
    try:
        run_import_job.apply_async(kwargs={"job_id": job.pk}, queue=queue)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status == until or job.status == ImportJob.Status.FAILED:
                break
            time.sleep(0.1)
    finally:
        stop.set()
        watcher.join()
    return seen


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_checks_then_applies_a_large_import_and_reports_progress(
    client, partnership, ngo_editor, settings, monkeypatch
):
    settings.IMPORT_INLINE_ROWS = 10
    monkeypatch.setattr(planning, "PLAN_BATCH", 100)
    monkeypatch.setattr(agreement_services, "BULK_BATCH", 100)
    monkeypatch.setattr(agreement_services, "enqueue_on_commit", lambda *a, **kw: None)
    sent = []
    factories.AgreementFactory(partnership=partnership, title="Template")
    text = edited(
        export(client, "agreements"),
        lambda rows: [
            dict(rows[0], reference=f"BULK-{n:04}", title=f"Bulk {n:04}") for n in range(ROWS)
        ],
    )
    with monkeypatch.context() as patched:
        # The request hands the job on (the test's worker takes it from its own queue).
        patched.setattr(services.current_app, "send_task", lambda name, **kw: sent.append(kw))
        job = upload(ngo_editor, text)
    assert job.status == ImportJob.Status.CHECKING
    assert len(sent) == 1  # handed to the worker, not checked in the request
    queue = f"test-imports-{uuid.uuid4().hex}"

    with start_worker(
        celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10
    ):
        checking = run_on_worker(queue, job, "rows_checked", ImportJob.Status.CHECKED)
        assert job.status == ImportJob.Status.CHECKED, job.message
        assert job.counts["create"] == ROWS

        with monkeypatch.context() as patched:
            patched.setattr(services.current_app, "send_task", lambda name, **kw: sent.append(kw))
            job = services.import_job_apply(job=job, actor=ngo_editor)
        assert job.status == ImportJob.Status.APPLYING
        applying = run_on_worker(queue, job, "rows_applied", ImportJob.Status.APPLIED)

    assert job.status == ImportJob.Status.APPLIED, job.message
    assert job.result == {"created": ROWS, "changed": 0, "proposed": 0}
    assert Agreement.objects.filter(reference__startswith="BULK-").count() == ROWS
    # The page saw the rows move along: checked, then written while the transaction was
    # open (and not one of the new agreements visible until it committed).
    assert any(0 < done < ROWS for done, status in checking if status == "checking")
    assert any(0 < done < ROWS for done, status in applying if status == "applying")
    # The audit trail names the job and the user who imported the file.
    event = AgreementEvent.objects.filter(pgh_label="create").order_by("-pgh_id").first()
    assert event.pgh_context["job"] == "imports.tasks.run_import_job"
    assert event.pgh_context["user"] == ngo_editor.pk
