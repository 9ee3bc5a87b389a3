"""The alerts jobs: thin tasks over ``alerts.matching`` and ``alerts.webhooks`` (options in
``core.tasks.JOB_OPTIONS``; scheduled by ``CELERY_BEAT_SCHEDULE``)."""

from celery import shared_task
from django.utils import timezone

from core.tasks import JOB_OPTIONS

from .matching import alerts_match, alerts_send
from .webhooks import next_due_in, webhooks_deliver

# A retry due sooner than this is run by the task itself rather than the next schedule.
SOON_SECONDS = 60


@shared_task(**JOB_OPTIONS)
def send_alerts() -> dict:
    """Match the published changes since the last run, then send the due e-mails."""
    now = timezone.now()
    return {"items": alerts_match(now=now), "emails": alerts_send(now=now)}


@shared_task(**JOB_OPTIONS)
def deliver_webhooks() -> dict:
    """Attempt the due webhook deliveries; a retry due within the minute is enqueued."""
    counts = webhooks_deliver(now=timezone.now())
    wait = next_due_in(timezone.now())
    if wait is not None and wait < SOON_SECONDS:
        deliver_webhooks.apply_async(countdown=wait)
    return counts
