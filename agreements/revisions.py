"""Pending revisions: an edit of an approved record (published, embargoed or retracted)
waits for a second pair of eyes, and the public keeps the approved version until then.

The edit services store the edit form as submitted (``publication.services.
revision_store``). Here the revision is replayed: its form is bound again to the record as
it now is, validated as any edit is, and, once approved, saved by the same service as an
edit of a draft (``services.agreement_update``, ``partnerships.services.
partnership_update``), acting as the editor who proposed it (they must still be allowed
to). The approver sees what changes field by field (``revision_changes``) and the public
page as it will be (``revision_preview``, rendered in a transaction that is rolled back).

The same rule decides who approves a revision as a submission: never its proposer; an
editor of another party, or, where none has an editor, of an oversight body
(``partnerships.permissions.Approver``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from audit.middleware import user_context
from audit.trail import audit_context
from core.services import require
from partnerships import permissions
from partnerships import services as partnership_services
from partnerships.forms import PartnershipForm
from partnerships.middleware import acting_for
from partnerships.models import Partnership
from publication.choices import PublicationStatus, RevisionState
from publication.models import Revision

from . import permissions as agreement_permissions
from . import services
from .forms import TERMS_PREFIX, AgreementForm, TermFormSet
from .models import Agreement

Record = Partnership | Agreement


@dataclass(frozen=True)
class Change:
    """One line of what a revision changes: what, as the public sees it now, and after."""

    what: str
    before: str
    after: str


def record_forms(record: Record, data=None) -> tuple[forms.ModelForm, Any]:
    """The edit form of ``record`` and, for an agreement, its data-sharing terms' formset
    (None for a partnership), bound to ``data`` if given."""
    if isinstance(record, Partnership):
        return PartnershipForm(data, instance=record), None
    return (
        AgreementForm(data, instance=record, partnership=record.partnership),
        TermFormSet(data, instance=record, prefix=TERMS_PREFIX),
    )


def revision_record(revision: Revision) -> Record:
    """The record a revision changes, read afresh (a form writes what it cleans into its
    instance: the caller's copy is never touched)."""
    model = revision.content_type.model_class()
    rows = model._default_manager.all()
    if model is Agreement:
        rows = rows.select_related("partnership")
    return rows.get(pk=revision.object_id)


@dataclass
class Replay:
    """A revision's forms bound to the record as it now is."""

    record: Record
    form: forms.ModelForm
    formset: Any
    valid: bool

    @classmethod
    def of(cls, revision: Revision) -> Replay:
        record = revision_record(revision)
        form, formset = record_forms(record, revision.submitted())
        valid = form.is_valid()
        valid = (formset is None or formset.is_valid()) and valid
        return cls(record=record, form=form, formset=formset, valid=valid)

    def errors(self) -> list[str]:
        """Why the revision no longer fits the record, field by field."""
        lines = [*_form_errors(self.form, "")]
        if self.formset is not None:
            lines += [str(e) for e in self.formset.non_form_errors()]
            for number, term_form in enumerate(self.formset.forms, start=1):
                row = gettext("Data-sharing term %(number)s") % {"number": number}
                lines += _form_errors(term_form, row)
        return lines

    def apply(self, revision: Revision) -> Record:
        """Save the revision with the edit service, as its proposer."""
        if not self.valid:
            raise ValidationError(
                gettext(
                    "The changes no longer fit the record as it is now: %(errors)s. Send them "
                    "back to their editors."
                )
                % {"errors": "; ".join(self.errors())}
            )
        proposer = revision.proposed_by
        if isinstance(self.record, Partnership):
            may_edit = proposer is not None and permissions.can_edit_partnership(
                proposer, self.record
            )
        else:
            may_edit = proposer is not None and agreement_permissions.can_edit_agreement(
                proposer, self.record
            )
        if not may_edit:
            raise ValidationError(
                gettext(
                    "Whoever proposed these changes may no longer edit the record: send them "
                    "back, and an editor of a party proposes them again."
                )
            )
        data = self.form.cleaned_data
        if isinstance(self.record, Partnership):
            return partnership_services.partnership_update(
                partnership=self.record,
                actor=revision.proposed_by,
                data=data,
                focus_areas=data["focus_areas"],
                revision=revision,
            )
        return services.agreement_update(
            agreement=self.record,
            actor=revision.proposed_by,
            data=data,
            revision=revision,
            **self.formset.changes(),
        )


def _form_errors(form, row: str) -> list[str]:
    """The form's errors, each after its row (a data-sharing term's, or "") and its
    field's label: "Data-sharing term 2: Purpose: …"."""
    lines = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None and field.label else ""
        where = [str(part) for part in (row, label) if part]
        lines += [": ".join([*where, str(error)]) for error in errors]
    return lines


# What changes ---------------------------------------------------------------------------


def shown(field: forms.Field, value) -> str:
    """A form field's value as the staff read it (a choice's label, an organization's
    name, a date spelled out)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(field, forms.ModelMultipleChoiceField):
        if not all(isinstance(v, models.Model) for v in value):
            value = field.queryset.filter(pk__in=[getattr(v, "pk", v) for v in value])
        return ", ".join(sorted(field.label_from_instance(v) for v in value)) or "—"
    if isinstance(field, forms.ModelChoiceField):
        if not isinstance(value, models.Model):
            value = field.queryset.filter(pk=value).first()
        return field.label_from_instance(value) if value is not None else "—"
    if isinstance(field, forms.BooleanField):
        return gettext("Yes") if value else gettext("No")
    if isinstance(field, forms.ChoiceField):
        labels = {}
        for key, label in field.choices:
            if isinstance(label, list | tuple):  # an optgroup
                labels.update({str(k): v for k, v in label})
            else:
                labels[str(key)] = label
        return str(labels.get(str(value), value))
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _field_changes(form, what: str = "") -> list[Change]:
    """The changed fields of ``form``, each named by its label, after ``what`` (a
    data-sharing term's name, or "")."""
    changes = []
    for name in form.changed_data:
        field = form.fields[name]
        after = form.cleaned_data[name] if name in form.cleaned_data else form[name].data
        changes.append(
            Change(
                what=f"{what}: {field.label}" if what else str(field.label),
                before=shown(field, form.initial.get(name)),
                after=shown(field, after),
            )
        )
    return changes


def revision_changes(replay: Replay) -> list[Change]:
    """What the revision changes: each field of the record, and each data-sharing term
    added, removed or changed."""
    changes = _field_changes(replay.form)
    if replay.formset is None:
        return changes
    for term_form in replay.formset.forms:
        term = term_form.instance
        deleted = replay.formset.can_delete and replay.formset._should_delete_form(term_form)
        named = " ".join(
            shown(term_form.fields[name], term_form.initial.get(name))
            for name in ("data_category", "direction")
        )
        term_name = gettext("Data-sharing term “%(term)s”") % {"term": named}
        if deleted and term.pk:
            changes.append(Change(what=term_name, before="", after=gettext("Removed")))
        elif not term.pk and not deleted and term_form.has_changed():
            added = {
                name: shown(term_form.fields[name], term_form.cleaned_data.get(name))
                for name in ("data_category", "direction", "purpose")
            }
            changes.append(
                Change(
                    what=gettext("New data-sharing term"),
                    before="",
                    after=f"{added['data_category']} ({added['direction']}): {added['purpose']}",
                )
            )
        elif term.pk and term_form.has_changed():
            changes += _field_changes(term_form, term_name)
    return changes


# The steps ------------------------------------------------------------------------------


def _of_partnership(revision: Revision) -> Partnership:
    record = revision_record(revision)
    return record if isinstance(record, Partnership) else record.partnership


def _locked(revision: Revision, *states: str) -> Revision:
    locked = Revision.objects.select_for_update().filter(pk=revision.pk, state__in=states).first()
    if locked is None:
        raise ValidationError(gettext("These changes were decided on meanwhile; reload the page."))
    return locked


@transaction.atomic
def revision_approve(*, revision: Revision, actor) -> Record:
    """Approve a pending revision: the record changes (the edit service saves it, as its
    proposer), and the public sees the change at once if the record is published (or on
    its date, if it is embargoed)."""
    partnership = _of_partnership(revision)
    require(
        permissions.can_approve_publication(actor, partnership, revision.proposed_by),
        gettext("You may not approve these changes."),
    )
    revision = _locked(revision, RevisionState.PENDING)
    now = timezone.now()
    revision.state = RevisionState.APPROVED
    revision.decided_by = actor
    revision.decided_at = now
    revision.full_clean()
    revision.save()
    # The change is the proposer's: the audit trail names them (and a public history
    # their organizations) as its author, and the approver as who approved it.
    proposer = revision.proposed_by
    author = {**user_context(proposer), **acting_for(proposer)} if proposer else {}
    with audit_context(**author, approved_by=actor.pk):
        record = Replay.of(revision).apply(revision)
        if record.publication_status == PublicationStatus.PUBLISHED:
            type(record).objects.filter(pk=record.pk).update(published_at=now)
    return record


@transaction.atomic
def revision_send_back(*, revision: Revision, actor, comment: str) -> Revision:
    """Send a pending revision back to the record's editors with a comment (for staff):
    they reopen the edit form as it was submitted."""
    require(
        permissions.can_approve_publication(actor, _of_partnership(revision), revision.proposed_by),
        gettext("You may not decide on these changes."),
    )
    if not comment.strip():
        raise ValidationError(
            {"comment": gettext("Say what needs to change before it is published.")}
        )
    revision = _locked(revision, RevisionState.PENDING)
    revision.state = RevisionState.SENT_BACK
    revision.decided_by = actor
    revision.decided_at = timezone.now()
    revision.comment = comment.strip()
    revision.full_clean()
    revision.save()
    return revision


@transaction.atomic
def revision_withdraw(*, revision: Revision, actor) -> Revision:
    """Drop a revision not yet approved (a party's editors): the record stays as it was
    approved."""
    require(
        permissions.can_edit_partnership(actor, _of_partnership(revision)),
        gettext("Only the editors of a party withdraw changes to its records."),
    )
    revision = _locked(revision, RevisionState.PENDING, RevisionState.SENT_BACK)
    revision.state = RevisionState.WITHDRAWN
    revision.decided_by = actor
    revision.decided_at = timezone.now()
    revision.full_clean()
    revision.save()
    return revision


def revision_preview(revision: Revision, render: Callable[[], Any]):
    """``render()`` (a public page) as it will be once the revision is approved: the
    revision is applied in a transaction that is always rolled back, so nothing of it is
    kept (nor enqueued: follow-up work waits for a commit that never comes). None if it no
    longer applies."""
    with transaction.atomic():
        try:
            Replay.of(revision).apply(revision)
        except (ValidationError, PermissionDenied):
            transaction.set_rollback(True)
            return None
        try:
            return render()
        finally:
            transaction.set_rollback(True)
