"""Jobs of the public read side (options in ``core.tasks.JOB_OPTIONS``)."""

from celery import shared_task

from core.tasks import JOB_OPTIONS

from .summary import refresh_summary


@shared_task(**JOB_OPTIONS)
def refresh_registry_summary() -> dict:
    """The headline figures, counted again (after writes, debounced; and nightly)."""
    summary = refresh_summary()
    return {"computed_at": summary.computed_at.isoformat()}
