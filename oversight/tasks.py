"""Scheduled oversight jobs: thin tasks over ``oversight.flagging`` and ``oversight.digests``
(options in ``core.tasks.JOB_OPTIONS``)."""

from celery import shared_task
from django.utils import timezone

from core.tasks import JOB_OPTIONS

from . import services


@shared_task(**JOB_OPTIONS)
def run_flagging() -> dict:
    return services.flagging_run(now=timezone.now()).as_dict()


@shared_task(**JOB_OPTIONS)
def send_digests() -> dict:
    return services.digests_send(now=timezone.now()).as_dict()
