"""Scheduled oversight jobs: thin tasks over ``oversight.services``.

Each task acknowledges its message only when done (a worker lost mid-run leaves the
message for another), has a time limit, and retries with back-off when the database
is unreachable. The services are idempotent, so a retry or a duplicate does no harm.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import services
from .audit import audit_log_check

JOB_OPTIONS = {
    "acks_late": True,
    "soft_time_limit": 25 * 60,
    "time_limit": 30 * 60,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 30,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**JOB_OPTIONS)
def run_flagging() -> dict:
    return services.flagging_run(now=timezone.now()).as_dict()


@shared_task(**JOB_OPTIONS)
def send_digests() -> dict:
    return services.digests_send(now=timezone.now()).as_dict()


@shared_task(**JOB_OPTIONS)
def verify_audit_log() -> dict:
    """The daily verification of the audit log; alerts the site administrators when broken."""
    result = audit_log_check()
    return {"ok": result.ok, "checked": result.checked, "broken": str(result.broken or "")}
