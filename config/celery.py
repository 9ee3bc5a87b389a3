"""The Celery application; its configuration is the CELERY_* Django settings."""

import logging
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from kombu.exceptions import KombuError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# The audit trail records the task's name with every change a task makes.
_audit_contexts = {}


@task_prerun.connect
def _enter_audit_context(task_id=None, task=None, **kwargs):
    from partnerships.audit import audit_context

    context = audit_context(job=task.name)
    context.__enter__()
    _audit_contexts[task_id] = context


@task_postrun.connect
def _exit_audit_context(task_id=None, **kwargs):
    context = _audit_contexts.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send ``task`` once the current transaction commits.

    Saving a record never fails because the broker is down: the error is logged and
    the next scheduled run catches up. Publishing retries briefly, so that a request
    is not held for long by an unreachable broker.
    """
    from django.db import transaction

    def send():
        try:
            task.apply_async(
                args=args,
                kwargs=kwargs,
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5},
            )
        except (KombuError, OSError):
            logger.warning(
                "could not enqueue %s; the next scheduled run will catch up",
                task.name,
                exc_info=True,
            )

    transaction.on_commit(send)
