"""Who may do what with incidents, written once; views and services ask these functions.

- an *editor* of a party records incidents on its partnership's agreements, and edits,
  submits and withholds values of the incidents on those agreements only;
- an *editor* of an oversight organization (an oversight body, a community board, an
  auditor) records an incident on any agreement, and edits the incidents it may see;
- the second pair of eyes approves: for each partnership of the incident's agreements,
  the registry's rule (``partnerships.permissions.can_approve_publication``: never the
  submitter, an editor of another party, else of an oversight organization);
- site administrators may do everything.

Seeing an incident is decided by ``Incident.objects.visible_to(user)``.
"""

from __future__ import annotations

from agreements.models import Agreement
from partnerships import permissions as partnership_permissions
from partnerships.models import Partnership

from .models import Incident


def records_on_any_agreement(user) -> bool:
    """Site administrators and editors of an oversight organization."""
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser or partnership_permissions.editor_organizations(user).oversight().exists()
    )


def recordable_agreements(user):
    """The agreements ``user`` may record an incident on: every agreement for oversight
    editors and administrators; else the agreements of the partnerships they edit for."""
    if not user.is_authenticated:
        return Agreement.objects.none()
    if records_on_any_agreement(user):
        return Agreement.objects.all()
    return Agreement.objects.filter(
        partnership__in=partnership_permissions.editable_partnerships(user)
    )


def can_record_incident(user) -> bool:
    return recordable_agreements(user).exists()


def can_record_incident_on(user, agreements) -> bool:
    """Record an incident on every one of ``agreements`` (at least one)."""
    ids = {agreement.pk for agreement in agreements}
    if not ids:
        return False
    return recordable_agreements(user).filter(pk__in=ids).count() == len(ids)


def can_edit_incident(user, incident: Incident) -> bool:
    """Edit, submit and withhold values of ``incident``: who may record it on each of its
    agreements."""
    return can_record_incident_on(user, incident.agreements.all())


def partnerships_of(incident: Incident):
    return Partnership.objects.filter(agreements__incidents=incident).distinct()


def can_approve_incident(user, incident: Incident, submitter=None) -> bool:
    """Approve (or send back) what ``submitter`` (the incident's submitter by default)
    submitted: the registry's second pair of eyes, for every partnership involved."""
    submitter = incident.submitted_by if submitter is None else submitter
    partnerships = list(partnerships_of(incident))
    return bool(partnerships) and all(
        partnership_permissions.can_approve_publication(user, partnership, submitter)
        for partnership in partnerships
    )
