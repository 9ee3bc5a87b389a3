"""The background step of a large import: a thin task over ``services.import_job_run``
(options in ``core.tasks.JOB_OPTIONS``)."""

from celery import shared_task

from core.tasks import JOB_OPTIONS

from .services import import_job_run


@shared_task(**JOB_OPTIONS)
def run_import_job(job_id: int) -> dict:
    """Check or apply the job, whichever step it waits for; a second run does nothing."""
    return import_job_run(job_id)
