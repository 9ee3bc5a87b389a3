"""The scheduled tasks, end to end: beat's message through Redis to a real Celery worker."""

import datetime as dt
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from agreements.tasks import lift_embargoes
from config.celery import app as celery_app
from oversight.models import Flag
from oversight.tasks import run_flagging
from partnerships.models import Partnership, PartnershipEvent
from publication.choices import PublicationStatus
from tests import factories


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


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_lifts_a_lapsed_embargo_as_the_job(ngo, police):
    partnership = factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        publication_status=PublicationStatus.EMBARGOED,
        embargoed_until=timezone.localdate() - dt.timedelta(days=1),
    )
    queue = f"test-embargoes-{uuid.uuid4().hex}"

    def published() -> bool:
        return Partnership.objects.public().filter(pk=partnership.pk).exists()

    with start_worker(
        celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10
    ):
        lift_embargoes.apply_async(queue=queue)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not published():
            time.sleep(0.2)

    assert published() is True
    [event] = PartnershipEvent.objects.filter(
        pgh_obj_id=partnership.pk, pgh_label="update", pgh_diff__has_key="publication_status"
    )
    assert event.pgh_context["job"] == "agreements.tasks.lift_embargoes"


def test_the_nightly_jobs_are_scheduled_in_settings(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["run-flagging"]["task"] == run_flagging.name
    assert schedule["run-flagging"]["schedule"].hour == {2}
    assert schedule["run-flagging"]["schedule"].minute == {15}
    assert schedule["send-digests"]["task"] == "oversight.tasks.send_digests"
    assert "oversight.tasks.send_digests" in celery_app.tasks
    # Shortly after midnight in TIME_ZONE (beat's time zone), when an embargo's date begins.
    assert schedule["lift-embargoes"]["task"] == lift_embargoes.name
    assert schedule["lift-embargoes"]["schedule"].hour == {0}
    assert schedule["lift-embargoes"]["schedule"].minute == {5}
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


def project_tasks():
    return [
        task for name, task in sorted(celery_app.tasks.items()) if not name.startswith("celery.")
    ]


@pytest.mark.parametrize("task", [run_flagging, lift_embargoes])
def test_the_daily_tasks_acknowledge_late_and_have_a_time_limit(task):
    assert task.acks_late is True
    assert task.time_limit == 20 * 60
    assert task.max_retries == 5


def test_every_job_runs_again_when_the_process_running_it_dies():
    for task in project_tasks():
        assert task.acks_late is True, task.name
        assert task.retry_on_worker_lost is True, task.name
        assert task.reject_on_worker_lost is True, task.name
        assert 0 < task.soft_time_limit < task.time_limit, task.name


@pytest.mark.redis
def test_redis_hands_a_job_out_again_only_once_it_cannot_be_running_any_more():
    """An unacknowledged message goes out again after the visibility timeout: minutes, not
    kombu's hour, yet longer than any job's hard time limit plus its longest retry delay
    (a retry waits, unacknowledged, in a worker until it is due)."""
    visibility_timeout = celery_app.conf.broker_transport_options["visibility_timeout"]

    assert visibility_timeout <= 30 * 60
    for task in project_tasks():
        longest_retry_delay = max(task.retry_backoff_max, task.default_retry_delay)
        assert task.time_limit + longest_retry_delay < visibility_timeout, task.name
