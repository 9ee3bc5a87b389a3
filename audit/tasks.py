"""The daily verification of the audit log."""

from celery import shared_task

from core.tasks import JOB_OPTIONS

from .chain import audit_log_check


@shared_task(**JOB_OPTIONS)
def verify_audit_log() -> dict:
    """Verify the chain; alerts the site administrators when it is broken."""
    result = audit_log_check()
    return {"ok": result.ok, "checked": result.checked, "broken": str(result.broken or "")}
