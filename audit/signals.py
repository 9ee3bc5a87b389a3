"""The audit trail records the Celery task's name with every change a task makes."""

from celery.signals import task_postrun, task_prerun

from .trail import audit_context

_contexts: dict[str, audit_context] = {}


@task_prerun.connect
def _enter_audit_context(task_id=None, task=None, **kwargs):
    context = audit_context(job=task.name)
    context.__enter__()
    _contexts[task_id] = context


@task_postrun.connect
def _exit_audit_context(task_id=None, **kwargs):
    context = _contexts.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)
