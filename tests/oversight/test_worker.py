"""The flagging task, end to end: beat's message through Redis to a real Celery worker."""

import datetime as dt
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from config.celery import app as celery_app
from oversight.models import Flag
from oversight.tasks import run_flagging
from tests import factories


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_runs_the_flagging_task_and_the_flags_are_in_the_database(
    partnership,
):
    agreement = factories.AgreementFactory(
        partnership=partnership,
        next_review_due=timezone.localdate() - dt.timedelta(days=1),
        independent_auditor=None,
    )
    queue = f"test-flagging-{uuid.uuid4().hex}"  # no stale message can interfere

    with start_worker(
        celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10
    ):
        run_flagging.apply_async(queue=queue)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and agreement.flags.count() < 2:
            time.sleep(0.2)

    assert set(agreement.flags.open().values_list("kind", flat=True)) == {
        Flag.Kind.REVIEW_OVERDUE,
        Flag.Kind.NO_INDEPENDENT_AUDITOR,
    }


def test_the_nightly_jobs_are_scheduled_in_settings(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["run-flagging"]["task"] == run_flagging.name
    assert schedule["run-flagging"]["schedule"].hour == {2}
    assert schedule["run-flagging"]["schedule"].minute == {15}
    assert schedule["send-digests"]["task"] == "oversight.tasks.send_digests"
    assert "oversight.tasks.send_digests" in celery_app.tasks


def test_the_flagging_task_acknowledges_late_and_has_a_time_limit():
    assert run_flagging.acks_late is True
    assert run_flagging.time_limit == 30 * 60
    assert run_flagging.max_retries == 5
