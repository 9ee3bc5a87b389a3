"""Scheduled oversight jobs: thin tasks over ``oversight.flagging`` and ``oversight.digests``
(options in ``core.tasks.JOB_OPTIONS``)."""

from celery import shared_task
from django.utils import timezone

from agreements.derived import derived_facts_refresh
from core.tasks import JOB_OPTIONS

from .digests import digests_send
from .flagging import flagging_run


@shared_task(**JOB_OPTIONS)
def run_flagging(agreement_ids: list[int] | None = None) -> dict:
    """The whole registry (the nightly schedule), or the agreements a write touched."""
    return flagging_run(now=timezone.now(), agreement_ids=agreement_ids).as_dict()


@shared_task(**JOB_OPTIONS)
def send_digests() -> dict:
    return digests_send(now=timezone.now()).as_dict()


@shared_task(**JOB_OPTIONS)
def refresh_derived() -> dict:
    """The agreements' stored derived facts, re-derived where they differ (a safety net)."""
    return {"risk_and_auditor": derived_facts_refresh()}
