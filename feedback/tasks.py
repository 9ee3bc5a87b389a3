"""Scheduled feedback jobs (options in ``core.tasks.JOB_OPTIONS``)."""

from celery import shared_task
from django.utils import timezone

from core.tasks import JOB_OPTIONS

from .services import unconfirmed_delete


@shared_task(**JOB_OPTIONS)
def delete_unconfirmed_feedback() -> dict:
    return unconfirmed_delete(now=timezone.now())
