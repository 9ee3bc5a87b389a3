"""Every write of an import: a job made from an uploaded file, its dry run, and applying it.

A file of at most ``IMPORT_INLINE_ROWS`` rows is checked and applied within the request; a
larger one by the background task (``tasks.run_import_job``), and its page shows how far
it got (``rows_checked``, ``rows_applied``).

Applying plans the file again against the registry as it is then (it may have changed since
the dry run): with any row in error, nothing is written and the job shows the new dry run.
Otherwise, in one transaction, through the services the staff forms use:

1. partnerships: ``partnership_create``, ``partnership_update`` (a change of an approved
   partnership waits for approval as its revision: ``change_or_propose``), ``party_add``,
   ``party_remove``;
2. agreements: the new ones in bulk (``agreements_create_bulk``: the checks of
   ``agreement_create``), the changes with ``agreement_update`` (a revision for an
   approved agreement).

The audit trail names the importing user (and their organizations) with every change; the
flags of the agreements touched are refreshed once the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import KombuError

from agreements.forms import MAX_TERMS, TERMS_PREFIX
from agreements.models import DataSharingTerm
from agreements.revisions import record_forms
from agreements.services import NewAgreement, agreement_update, agreements_create_bulk
from audit.middleware import user_context
from audit.trail import audit_context
from core.services import require
from core.tasks import broker_connection
from partnerships.middleware import acting_for
from partnerships.models import Partnership
from partnerships.services import partnership_create, partnership_update, party_add, party_remove

from . import permissions
from .files import parse_csv, read_upload
from .models import ImportJob
from .planning import CHANGE, CREATE, Plan, RowPlan, plan_file

logger = logging.getLogger(__name__)

RUN_TASK = "imports.tasks.run_import_job"
REFUSED = _("You may not import records: only the editors of an NGO or a police agency do.")
# By the step the worker could not be asked to take.
UNREACHABLE = {
    "checked": _(
        "The background worker could not be reached, so this large file was not checked. "
        "Try again later, or import it in files of at most %(rows)s rows."
    ),
    "applied": _(
        "The background worker could not be reached, so this large file was not applied. "
        "Try again later, or import it in files of at most %(rows)s rows."
    ),
}
FAILED_CHECKING = _(
    "Something went wrong while checking the file; nothing was changed. Try again later."
)
FAILED_APPLYING = _(
    "Something went wrong while applying the file; nothing was changed. Try again later."
)


def inline_rows() -> int:
    return settings.IMPORT_INLINE_ROWS


# The job's steps ---------------------------------------------------------------------------


def import_job_start(*, actor, file) -> ImportJob:
    """A job for ``file`` (an uploaded file), checked at once if it is small, else by the
    background worker. ``ImportRefused`` (413, 415, 400) for a file that is not an
    export's CSV."""
    require(permissions.can_import(actor), REFUSED)
    text, sha256 = read_upload(file)
    csv_file = parse_csv(text)
    job = ImportJob.objects.create(
        created_by=actor,
        kind=csv_file.export.kind,
        file_name=(getattr(file, "name", "") or "import.csv")[:255],
        sha256=sha256,
        content=text,
        rows_total=len(csv_file.rows),
    )
    if job.rows_total <= inline_rows():
        return import_job_check(job)
    _run_in_background(job, step="checked")
    return job


def import_job_check(job: ImportJob) -> ImportJob:
    """The dry run: what every row would do, stored as the job's preview. Runs only while
    the job is being checked; a second run changes nothing."""
    if job.status != ImportJob.Status.CHECKING:
        return job
    # A retry (the worker was lost) counts the rows again.
    ImportJob.objects.filter(pk=job.pk).update(rows_checked=0)
    try:
        plan = _plan(job, progress=_checked(job))
    except Exception:
        logger.exception("import %s: the dry run failed", job.pk)
        return _fail(job, ImportJob.Status.CHECKING, str(FAILED_CHECKING))
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKING).update(
        status=ImportJob.Status.CHECKED,
        preview=plan.preview(),
        rows_checked=job.rows_total,
        updated_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def import_job_apply(*, job: ImportJob, actor) -> ImportJob:
    """Apply a checked job: at once if it is small, else by the background worker. Only
    its creator applies it, once (a second request finds it applying or applied)."""
    require(
        permissions.can_apply(actor, job), gettext("Only whoever uploaded this file applies it.")
    )
    started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
        status=ImportJob.Status.APPLYING, rows_applied=0, message="", updated_at=timezone.now()
    )
    job.refresh_from_db()
    if not started:
        return job
    if job.rows_total <= inline_rows():
        return import_job_write(job)
    _run_in_background(job, step="applied")
    return job


def import_job_write(job: ImportJob) -> ImportJob:
    """Apply the job's file (see the module's docstring). Runs only while the job is being
    applied: a retry after a lost worker applies it again, its first try rolled back."""
    if job.status != ImportJob.Status.APPLYING:
        return job
    actor = job.created_by
    progress = _Progress(job)
    plan = None
    try:
        with audit_context(**user_context(actor), **acting_for(actor)), transaction.atomic():
            # One run at a time per job (a message handed out twice): the second waits,
            # then finds the job applied. Not a lock on the job's row, which the progress
            # moves along from another connection.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtext('imports.importjob'), %s)", [job.pk]
                )
            if not ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.APPLYING).exists():
                job.refresh_from_db()
                return job
            plan = _plan(job)
            if plan.has_errors:
                transaction.set_rollback(True)
            else:
                result = _write(plan, actor, progress)
                # Last, and in the same transaction: "applied" exactly when it was.
                ImportJob.objects.filter(pk=job.pk).update(
                    status=ImportJob.Status.APPLIED,
                    result=result,
                    preview=plan.preview(),
                    rows_applied=job.rows_total,
                    applied_at=timezone.now(),
                    updated_at=timezone.now(),
                )
    except (ValidationError, PermissionDenied) as error:
        message = " ".join(getattr(error, "messages", None) or [str(error)])
        return _fail(
            job,
            ImportJob.Status.APPLYING,
            (gettext("Nothing was changed: %(reason)s") % {"reason": message}).strip(),
        )
    except Exception:
        logger.exception("import %s: applying failed", job.pk)
        return _fail(job, ImportJob.Status.APPLYING, str(FAILED_APPLYING))
    finally:
        progress.close()
    if plan is not None and plan.has_errors:
        # The registry changed since the dry run: the new one says how.
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.APPLYING).update(
            status=ImportJob.Status.CHECKED,
            preview=plan.preview(),
            rows_applied=0,
            message=gettext(
                "The registry changed since this file was checked, and some rows no longer "
                "fit it: nothing was changed. Correct them and upload the file again."
            ),
            updated_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


def import_job_run(job_id: int) -> dict[str, Any]:
    """The background step of a job: its dry run, or applying it (the task's body)."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        return {"job": job_id, "status": "missing"}
    if job.status == ImportJob.Status.CHECKING:
        job = import_job_check(job)
    elif job.status == ImportJob.Status.APPLYING:
        job = import_job_write(job)
    return {"job": job.pk, "status": job.status, **job.counts}


def _plan(job: ImportJob, progress: Callable[[int], None] | None = None) -> Plan:
    return plan_file(parse_csv(job.content), actor=job.created_by, on_batch=progress)


def _fail(job: ImportJob, status: str, message: str) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk, status=status).update(
        status=ImportJob.Status.FAILED, message=message, updated_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def _run_in_background(job: ImportJob, *, step: str) -> None:
    """Hand the job to the worker, with the language of the request (the worker writes
    the dry run's findings in it; it speaks LANGUAGE_CODE unless told otherwise); if the
    broker cannot be reached, the job fails saying so (a broker outage is never an error
    page)."""
    kwargs: dict[str, Any] = {"job_id": job.pk}
    language = translation.get_language()
    if language and language != settings.LANGUAGE_CODE:
        kwargs["language"] = language
    try:
        with broker_connection() as broker:
            current_app.send_task(
                RUN_TASK,
                kwargs=kwargs,
                connection=broker,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0},
            )
    except (KombuError, OSError):
        logger.warning("import %s: could not enqueue %s", job.pk, RUN_TASK, exc_info=True)
        _fail(job, job.status, UNREACHABLE[step] % {"rows": inline_rows()})
        job.refresh_from_db()


# Progress ------------------------------------------------------------------------------


def _checked(job: ImportJob) -> Callable[[int], None]:
    def checked(rows: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_checked=F("rows_checked") + rows)

    return checked


class _Progress:
    """Moves ``rows_applied`` along while the import's transaction is open, where the page
    polling the job sees it: on a connection of its own, which commits each move. (The
    transaction never touches the job's row before its end, so the two never wait for each
    other.)"""

    def __init__(self, job: ImportJob):
        self.job_id = job.pk
        self.done = 0
        self._connection = None

    def __call__(self, rows: int) -> None:
        self.done += rows
        try:
            if self._connection is None:
                self._connection = connection.get_new_connection(connection.get_connection_params())
                self._connection.autocommit = True
            with self._connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET rows_applied = LEAST(%s, rows_total) "  # noqa: S608 - the table's name, not input
                    "WHERE id = %s",
                    [self.done, self.job_id],
                )
        except Exception:
            # Progress is a courtesy: the import goes on without it.
            logger.warning("import %s: progress not recorded", self.job_id, exc_info=True)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# Writing -------------------------------------------------------------------------------


def _write(plan: Plan, actor, progress: Callable[[int], None]) -> dict[str, int]:
    counts = {"created": 0, "changed": 0, "proposed": 0}
    rows = [row for row in plan.rows if row.action in (CREATE, CHANGE)]
    if plan.file.export.model is Partnership:
        for row in rows:
            _write_partnership(row, actor)
            progress(1)
    else:
        new = [row.new for row in rows if row.action == CREATE]
        if new:
            agreements_create_bulk(actor=actor, new=new, on_batch=progress)
        for row in rows:
            if row.action == CHANGE:
                _write_agreement(row, actor)
                progress(1)
    for row in rows:
        if row.action == CREATE:
            counts["created"] += 1
        elif row.proposed and row.values:
            counts["proposed"] += 1
        else:
            counts["changed"] += 1
    return counts


def _write_partnership(row: RowPlan, actor) -> None:
    values = row.values
    if row.action == CREATE:
        organization, role = row.lead
        partnership_create(
            actor=actor,
            organization=organization,
            role=role,
            data=values,
            focus_areas=values.get("focus_areas", ()),
            parties=row.parties_to_add,
            slug=row.slug,
        )
        return
    partnership = row.record
    if values:
        partnership_update(
            partnership=partnership,
            actor=actor,
            data=values,
            focus_areas=values.get("focus_areas"),
            form_data=edit_form_data(partnership, values),
        )
    for organization, role in row.parties_to_add:
        party_add(partnership=partnership, organization=organization, role=role, actor=actor)
    for party in row.parties_to_remove:
        party_remove(party=party, actor=actor)


def _saved(value):
    """A new agreement of the file (named by another row) as the agreement it became."""
    return value.agreement if isinstance(value, NewAgreement) else value


def _write_agreement(row: RowPlan, actor) -> None:
    agreement = row.record
    values = {name: _saved(value) for name, value in row.values.items()}
    agreement_update(
        agreement=agreement,
        actor=actor,
        data=values,
        form_data=edit_form_data(agreement, values, row.terms, row.existing_terms),
        **(row.terms.service_arguments() if row.terms else {}),
    )


# The edit form's data: what a change of an approved record stores as its revision --------


def _form_value(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_form_value(item) for item in value]
    return "" if value is None else value


def edit_form_data(
    record, form_values: Mapping[str, Any], terms=None, existing_terms=()
) -> dict[str, Any]:
    """The record's edit form as its edit page would post it with these changes: the form
    (``agreements.revisions.record_forms``) as it shows the record, the changed fields'
    values put in, and for an agreement its data-sharing terms' formset. The revision's
    approval binds the same forms to it again."""
    form, formset = record_forms(record)
    data: dict[str, Any] = {name: form[name].value() for name in form.fields}
    for name, value in form_values.items():
        data[name] = _form_value(value)
    if formset is None:
        return data
    rows = (
        terms.rows
        if terms is not None
        else [
            (term, {n: getattr(term, n) for n in DataSharingTerm.FIELDS}, False)
            for term in existing_terms
        ]
    )
    prefix = TERMS_PREFIX
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": len(rows),
            f"{prefix}-INITIAL_FORMS": sum(1 for term, _, _ in rows if term is not None),
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": MAX_TERMS,
        }
    )
    for index, (term, values, removed) in enumerate(rows):
        name = f"{prefix}-{index}-"
        data[f"{name}id"] = term.pk if term is not None else ""
        data[f"{name}agreement"] = record.pk
        for field_name in DataSharingTerm.FIELDS:
            data[f"{name}{field_name}"] = _form_value(values[field_name])
        if removed:
            data[f"{name}DELETE"] = "on"
    return data
