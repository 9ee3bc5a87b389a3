"""Withholding a value in a test: as the workflow's services would leave it (confirmed), or
by its service, as a party's editor does (waiting for the other party)."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from agreements import publishing
from publication.choices import WithholdingReason
from publication.models import Withholding


def withhold(
    record,
    field: str,
    *,
    reason: str = WithholdingReason.SURVIVOR_SAFETY,
    rationale: str = "It would tell where survivors stay.",
    available_on=None,
) -> Withholding:
    withholding = Withholding(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        field=field,
        reason_code=reason,
        rationale=rationale,
        available_on=available_on,
        confirmed_at=timezone.now(),
    )
    withholding.full_clean()
    withholding.save()
    return withholding


def withhold_by(record, field: str, actor) -> Withholding:
    """``field`` of ``record`` withheld by ``actor`` through the service."""
    return publishing.withholding_add(
        record=record,
        field=field,
        reason_code=WithholdingReason.SURVIVOR_SAFETY,
        rationale="It would tell where survivors stay.",
        actor=actor,
    )
