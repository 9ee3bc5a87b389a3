"""The daily transparency-report job (options in ``core.tasks.JOB_OPTIONS``: acknowledged
late, run again if its process dies, retried while the database is unreachable; the job is
idempotent and commits partnership by partnership, so a re-run goes on where it stopped)."""

from celery import shared_task

from core.tasks import JOB_OPTIONS

from . import services


@shared_task(**JOB_OPTIONS)
def generate_yearly_reports() -> dict:
    """Publish the transparency reports of the year just ended (``services``)."""
    return services.generate_yearly_reports()
