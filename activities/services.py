"""Every write of joint activities: keyword-only, permission first, ``full_clean()`` and
save inside ``transaction.atomic`` (the triggers record each change in the audit trail).

Publication is the workflow's (``agreements.publishing``: ``record_submit``,
``record_approve``, ``withholding_add``), which these services call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements import publishing
from core.services import apply_fields, require
from partnerships.models import Organization, Partnership
from publication.choices import PublicationStatus

from .models import Activity, ActivityResult
from .permissions import can_record_activity

NOT_ALLOWED = _("Only the editors of the partnership's parties record its activities.")


def _check_organizations(partnership: Partnership, organizations: Iterable[Organization]):
    organizations = list(organizations)
    parties = set(partnership.parties.values_list("organization_id", flat=True))
    outsiders = [o for o in organizations if o.pk not in parties]
    if outsiders:
        names = ", ".join(o.name for o in outsiders)
        raise ValidationError(
            {
                "organizations": gettext("Not a party to this partnership: %(names)s.")
                % {"names": names}
            }
        )
    return organizations


def _save_results(activity: Activity, results: Sequence[Mapping[str, Any]]) -> None:
    """Each result: its fields, with ``id`` for an existing one (of this activity) and
    ``DELETE`` to remove it."""
    existing = {r.pk: r for r in activity.results.all()}
    for data in results:
        result = existing.get(data.get("id")) if data.get("id") else ActivityResult()
        if result is None:
            raise ValidationError(gettext("A result of another activity cannot be changed here."))
        if data.get("DELETE"):
            if result.pk:
                result.delete()
            continue
        result.activity = activity
        apply_fields(result, ActivityResult.EDITABLE_FIELDS, data)
        if result.indicator != "other":
            result.other_name = ""
        result.full_clean()
        result.save()


@transaction.atomic
def activity_create(
    *,
    partnership: Partnership,
    actor,
    data: Mapping[str, Any],
    organizations: Iterable[Organization] = (),
    results: Sequence[Mapping[str, Any]] = (),
) -> Activity:
    """Record a draft activity of ``partnership`` with its results."""
    require(can_record_activity(actor, partnership), NOT_ALLOWED)
    organizations = _check_organizations(partnership, organizations)
    activity = Activity(partnership=partnership)
    apply_fields(activity, Activity.EDITABLE_FIELDS, data)
    activity.full_clean()
    activity.save()
    activity.organizations.set(organizations)
    _save_results(activity, results)
    return activity


@transaction.atomic
def activity_update(
    *,
    activity: Activity,
    actor,
    data: Mapping[str, Any],
    organizations: Iterable[Organization] = (),
    results: Sequence[Mapping[str, Any]] = (),
) -> Activity:
    """Change an activity and its results. A submitted or published activity goes back to
    draft: the public sees it again only once a second editor approves the change (its
    withheld values stay withheld)."""
    require(can_record_activity(actor, activity.partnership), NOT_ALLOWED)
    organizations = _check_organizations(activity.partnership, organizations)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    apply_fields(activity, Activity.EDITABLE_FIELDS, data)
    if activity.publication_status != PublicationStatus.DRAFT:
        activity.publication_status = PublicationStatus.DRAFT
        activity.submitted_by = None
        activity.submitted_at = None
    activity.full_clean()
    activity.save()
    activity.organizations.set(organizations)
    _save_results(activity, results)
    return activity


def activity_submit(*, activity: Activity, actor) -> Activity:
    return publishing.record_submit(record=activity, actor=actor)


def activity_approve(*, activity: Activity, actor) -> Activity:
    return publishing.record_approve(record=activity, actor=actor)


def activity_withhold(*, record: Activity | ActivityResult, actor, **withholding):
    """Withhold the activity's description or a result's value, with its reason."""
    return publishing.withholding_add(record=record, actor=actor, **withholding)
