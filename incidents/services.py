"""Every write of incidents: recording and editing them, citing their sources, and their
way to the public through the publication workflow (submit, approve, send back, retract;
values withheld with a reason; an edit of an approved incident waiting as a revision).

Every service is keyword-only, checks the permission first (the actor's organizations,
``permissions.py``), validates with ``full_clean()`` and writes inside
``transaction.atomic``; the database triggers record each change in the audit trail. A
write that can change the flags of the incident's agreements asks, once it commits, for a
flagging run over those agreements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from agreements import publishing
from agreements.models import Agreement
from core.services import apply_fields, require
from core.tasks import enqueue_on_commit
from partnerships.models import Source
from publication.choices import PublicationStatus, WithholdingReason
from publication.models import Revision, Withholding
from publication.services import revision_store

from . import permissions
from .models import Incident

Status = PublicationStatus

# Asked by name, as the layers below ask for it (oversight is the layer above).
FLAGGING_TASK = "oversight.tasks.run_flagging"

REFUSED = gettext_lazy("You may record incidents only on the agreements of your own partnerships.")

# The states in which an edit takes effect at once: the public has not seen the incident.
UNAPPROVED = (Status.DRAFT, Status.SUBMITTED)


def _flags_refresh(incident: Incident, also: Iterable[int] = ()) -> None:
    ids = {*incident.agreements.values_list("pk", flat=True), *also}
    if ids:
        enqueue_on_commit(FLAGGING_TASK, agreement_ids=sorted(ids))


def _check_agreements(actor, agreements: list[Agreement]) -> None:
    if not agreements:
        raise ValidationError(
            {"agreements": gettext("Choose the agreement the incident happened under.")}
        )
    require(permissions.can_record_incident_on(actor, agreements), REFUSED)


@transaction.atomic
def incident_record(*, actor, agreements: Iterable[Agreement], data: Mapping[str, Any]) -> Incident:
    """Record an incident on ``agreements`` (each one the actor may record on), as a draft."""
    agreements = list(agreements)
    _check_agreements(actor, agreements)
    incident = Incident()
    apply_fields(incident, Incident.EDITABLE_FIELDS, data)
    incident.full_clean()
    incident.save()
    incident.agreements.set(agreements)
    _flags_refresh(incident)
    return incident


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    actor,
    agreements: Iterable[Agreement],
    data: Mapping[str, Any],
    form_data: Mapping[str, Any] | None = None,
) -> Incident | Revision:
    """Edit an incident. A draft or submitted incident changes at once; an approved one
    (published, embargoed, retracted) keeps its approved version public while the edit
    (``form_data``, the edit form as submitted) waits for approval as its revision."""
    require(permissions.can_edit_incident(actor, incident), REFUSED)
    agreements = list(agreements)
    _check_agreements(actor, agreements)
    if incident.publication_status not in UNAPPROVED:
        if form_data is None:
            raise ValidationError(gettext("An approved incident changes through a revision."))
        # Validated as the edit would be, then kept for the approver.
        candidate = Incident.objects.get(pk=incident.pk)
        apply_fields(candidate, Incident.EDITABLE_FIELDS, data)
        candidate.full_clean()
        return revision_store(record=incident, actor=actor, form_data=form_data)
    return _apply(incident, agreements, data)


def _apply(incident: Incident, agreements: list[Agreement], data: Mapping[str, Any]) -> Incident:
    before = set(incident.agreements.values_list("pk", flat=True))
    apply_fields(incident, Incident.EDITABLE_FIELDS, data)
    incident.full_clean()
    incident.save()
    incident.agreements.set(agreements)
    _flags_refresh(incident, also=before)
    return incident


@transaction.atomic
def incident_source_add(*, incident: Incident, actor, data: Mapping[str, Any]) -> Source:
    """Cite a source on the incident. An address the registry has already is cited as
    recorded (one source, however many records cite it)."""
    require(permissions.can_edit_incident(actor, incident), REFUSED)
    source = Source()
    apply_fields(source, Source.EDITABLE_FIELDS, data)
    source.full_clean()
    existing = Source.objects.with_url(source.url).first()
    if existing is not None:
        incident.sources.add(existing)
        return existing
    source.save()
    incident.sources.add(source)
    return source


@transaction.atomic
def incident_source_remove(*, incident: Incident, source: Source, actor) -> None:
    require(permissions.can_edit_incident(actor, incident), REFUSED)
    incident.sources.remove(source)


# The publication workflow ---------------------------------------------------------------


def _lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _expect(incident: Incident, *states: str, doing: str) -> None:
    """Refuse a step (``doing``, e.g. "can be approved") unless the incident is in one of
    ``states``."""
    if incident.publication_status not in states:
        labels = [str(Status(state).label).lower() for state in states]
        named = labels[-1]
        if len(labels) > 1:
            named = gettext("%(some)s or %(last)s") % {
                "some": ", ".join(labels[:-1]),
                "last": named,
            }
        raise ValidationError(
            gettext("Only an incident that is %(states)s %(doing)s; this one is %(state)s.")
            % {
                "states": named,
                "doing": doing,
                "state": incident.get_publication_status_display().lower(),
            }
        )


def _save_state(incident: Incident) -> Incident:
    incident.full_clean()
    incident.save()
    _flags_refresh(incident)
    return incident


@transaction.atomic
def incident_submit(*, incident: Incident, actor) -> Incident:
    """Submit a draft for publication: someone else approves it (``can_approve_incident``)."""
    require(permissions.can_edit_incident(actor, incident), REFUSED)
    incident = _lock(incident)
    _expect(incident, Status.DRAFT, doing=gettext("can be submitted for publication"))
    incident.publication_status = Status.SUBMITTED
    incident.submitted_by = actor
    incident.submitted_at = timezone.now()
    incident.publication_comment = ""
    return _save_state(incident)


@transaction.atomic
def incident_approve(*, incident: Incident, actor) -> Incident:
    """Approve a submitted incident: published now, its withheld values confirmed with it
    (those the approver may confirm, on every partnership's side: the workflow's rule,
    ``publishing.approval_confirms_withholdings``). An incident is public only while every
    agreement it is on is public too."""
    require(
        permissions.can_approve_incident(actor, incident),
        gettext("You may not approve this submission."),
    )
    incident = _lock(incident)
    _expect(incident, Status.SUBMITTED, doing=gettext("can be approved"))
    now = timezone.now()
    incident.publication_status = Status.PUBLISHED
    incident.published_at = now
    incident.publication_comment = ""
    _save_state(incident)
    publishing.approval_confirms_withholdings(record=incident, actor=actor, now=now)
    return incident


@transaction.atomic
def incident_send_back(*, incident: Incident, actor, comment: str) -> Incident:
    """Send a submitted incident back to its editors as a draft, saying what to change."""
    require(
        permissions.can_approve_incident(actor, incident),
        gettext("You may not decide on this submission."),
    )
    if not comment.strip():
        raise ValidationError(
            {"comment": gettext("Say what needs to change before it is published.")}
        )
    incident = _lock(incident)
    _expect(incident, Status.SUBMITTED, doing=gettext("can be sent back"))
    incident.publication_status = Status.DRAFT
    incident.publication_comment = comment.strip()
    return _save_state(incident)


@transaction.atomic
def incident_retract(*, incident: Incident, actor, reason: str) -> Incident:
    """Take a published incident off the public record, with a public reason."""
    require(permissions.can_edit_incident(actor, incident), REFUSED)
    if not reason.strip():
        raise ValidationError({"reason": gettext("Tell the public why the incident is retracted.")})
    incident = _lock(incident)
    _expect(incident, Status.PUBLISHED, doing=gettext("can be retracted"))
    incident.publication_status = Status.RETRACTED
    incident.retracted_on = timezone.localdate()
    incident.retraction_reason = reason.strip()
    return _save_state(incident)


@transaction.atomic
def incident_revision_approve(*, revision: Revision, incident: Incident, actor, agreements, data):
    """Apply an approved incident's pending revision (replayed through the edit form by the
    caller, which passes the cleaned ``agreements`` and ``data``), acting as approver."""
    require(
        permissions.can_approve_incident(actor, incident, submitter=revision.proposed_by),
        gettext("You may not approve this revision."),
    )
    proposer = revision.proposed_by
    require(
        proposer is not None and permissions.can_record_incident_on(proposer, agreements),
        gettext("Its editor may no longer record incidents on these agreements."),
    )
    updated = Revision.objects.filter(pk=revision.pk, state="pending").update(
        state="approved", decided_by=actor, decided_at=timezone.now()
    )
    if not updated:
        raise ValidationError(gettext("This revision was decided already."))
    return _apply(incident, list(agreements), data)


# Withheld values --------------------------------------------------------------------------


@transaction.atomic
def incident_withhold(
    *,
    incident: Incident,
    actor,
    field: str,
    reason_code: str,
    rationale: str,
    available_on: date | None = None,
) -> Withholding:
    """Withhold one field of the incident from the public, at once, with the reason the
    public is told; an approver confirms it with the incident's approval."""
    require(permissions.can_edit_incident(actor, incident), REFUSED)
    errors = {}
    if field not in Incident.WITHHOLDABLE_FIELDS:
        errors["field"] = gettext("This value cannot be withheld.")
    if not rationale.strip():
        errors["rationale"] = (
            gettext("Write out the reason: “Other” says nothing by itself.")
            if reason_code == WithholdingReason.OTHER
            else gettext("Tell the public why the value is withheld.")
        )
    if available_on is not None and available_on <= timezone.localdate():
        errors["available_on"] = gettext("The date must be after today.")
    if errors:
        raise ValidationError(errors)
    if Withholding.objects.of_record(incident).filter(field=field).exists():
        raise ValidationError({"field": gettext("This value is withheld already.")})
    withholding = Withholding(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=incident.pk,
        field=field,
        reason_code=reason_code,
        rationale=rationale.strip(),
        available_on=available_on,
        created_by=actor,
    )
    withholding.full_clean()
    withholding.save()
    return withholding
