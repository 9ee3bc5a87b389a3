"""Scheduled agreement jobs: thin tasks over their services (options in
``core.tasks.JOB_OPTIONS``)."""

from celery import shared_task
from django.utils import timezone

from core.tasks import JOB_OPTIONS

from .embargoes import embargo_run


@shared_task(**JOB_OPTIONS)
def lift_embargoes() -> dict:
    """The daily embargo run (shortly after midnight in the registry's time zone)."""
    return embargo_run(timezone.now()).as_dict()
