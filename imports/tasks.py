"""The background step of a large import: a thin task over ``services.import_job_run``
(options in ``core.tasks.JOB_OPTIONS``)."""

from contextlib import nullcontext

from celery import shared_task
from django.utils import translation

from core.tasks import JOB_OPTIONS

from .services import import_job_run


@shared_task(**JOB_OPTIONS)
def run_import_job(job_id: int, language: str | None = None) -> dict:
    """Check or apply the job, whichever step it waits for; a second run does nothing.
    Its findings and messages are written in ``language``, the uploader's (the request's
    that enqueued it), or in LANGUAGE_CODE."""
    with translation.override(language) if language else nullcontext():
        return import_job_run(job_id)
