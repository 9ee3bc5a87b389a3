"""The publication workflow's data: the states every publishable record carries, and the
values withheld from the public with their reasons."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.registry import track
from core.models import TimeStampedModel

from .choices import PublicationStatus, RevisionState, WithholdingReason
from .querysets import OPEN_REVISION_STATES, RevisionQuerySet, WithholdingQuerySet


class Publishable(models.Model):
    """A record that reaches the public only once a second pair of eyes approved it.

    The state changes only through the workflow's services (``agreements.publishing``) and
    the daily embargo job (``agreements.embargoes``); every change is a change of these
    fields, so the audit trail records each step.
    """

    publication_status = models.CharField(
        max_length=20,
        choices=PublicationStatus,
        default=PublicationStatus.DRAFT,
        # Also in the database: a row inserted by SQL (a bulk load) is never public by default.
        db_default=PublicationStatus.DRAFT,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who submitted it for publication (private)."),
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When it was last published.")
    )
    publication_comment = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text=_("The approver's comment when sending it back (staff only)."),
    )
    retracted_on = models.DateField(null=True, blank=True)
    retraction_reason = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text=_("Public: why the record was retracted."),
    )
    embargoed_until = models.DateField(
        null=True,
        blank=True,
        help_text=_(
            "Once approved, published by the daily job on this date (in the registry's time zone)."
        ),
    )
    embargo_indefinite = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_("Kept from the public until an editor lifts the embargo."),
    )
    embargo_reason = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text=_("Why it is embargoed; required for an indefinite embargo."),
    )
    embargo_announced = models.BooleanField(
        default=False,
        db_default=False,
        help_text=_(
            "Announce the embargoed record: the public sees its title and the date "
            "the embargo lifts."
        ),
    )
    embargo_notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [
            # The approval queue and the header's count: the few records not yet published.
            models.Index(
                fields=["publication_status"],
                condition=~Q(publication_status="published"),
                name="%(class)s_unpublished_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(embargo_indefinite=False) | ~Q(embargo_reason=""),
                name="%(class)s_indefinite_embargo_has_reason",
                violation_error_message=_("An indefinite embargo needs a reason."),
            ),
            models.CheckConstraint(
                condition=Q(embargo_indefinite=False) | Q(embargoed_until__isnull=True),
                name="%(class)s_embargo_dated_or_indefinite",
                violation_error_message=_("An embargo lifts on a date or is indefinite, not both."),
            ),
            models.CheckConstraint(
                condition=~Q(publication_status="retracted") | ~Q(retraction_reason=""),
                name="%(class)s_retraction_has_reason",
                violation_error_message=_("A retraction needs a public reason."),
            ),
        ]

    def clean(self):
        super().clean()
        errors = {}
        if self.embargo_indefinite and not self.embargo_reason.strip():
            errors["embargo_reason"] = gettext("An indefinite embargo needs a reason.")
        if self.embargo_indefinite and self.embargoed_until:
            errors["embargoed_until"] = gettext(
                "An embargo lifts on a date or is indefinite, not both."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_published(self) -> bool:
        return self.publication_status == PublicationStatus.PUBLISHED

    @property
    def has_embargo(self) -> bool:
        return self.embargo_indefinite or self.embargoed_until is not None


class Withholding(TimeStampedModel):
    """One public field of one record kept from the public, with the reason the public is
    told (after OCDS ``withheldInformation``: field, reason code, rationale, availability
    date).

    It takes effect the moment it is saved: protection never waits. A second pair of eyes
    confirms it (``confirmed_at``), with the record's approval or from the approval queue.
    Lifting it early publishes a value, so it is a request (``release_requested_at``) that
    an approver grants; on ``available_on`` the daily job lifts it. The rows outlive the
    record they protect, so that a deleted record's history still withholds the value.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=60)
    reason_code = models.CharField(max_length=40, choices=WithholdingReason)
    rationale = models.TextField(
        help_text=_("Public: what the public is told about why the value is withheld.")
    )
    available_on = models.DateField(
        null=True,
        blank=True,
        help_text=_(
            "The value is published on this date (leave empty to withhold it until "
            "an editor lifts it)."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    release_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    release_requested_at = models.DateTimeField(null=True, blank=True)

    objects = WithholdingQuerySet.as_manager()

    class Meta:
        ordering = ["content_type", "object_id", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "field"], name="withholding_once_per_field"
            ),
            models.CheckConstraint(condition=~Q(rationale=""), name="withholding_has_rationale"),
        ]
        indexes = [
            # Every public read: the withheld fields of a batch of records of one model.
            models.Index(fields=["content_type", "object_id"], name="withholding_record_idx"),
        ]

    def __str__(self):
        return f"{self.field} of {self.content_type.model} {self.object_id}: {self.reason_label}"

    def clean(self):
        super().clean()
        model = self.content_type.model_class() if self.content_type_id else None
        withholdable = getattr(model, "WITHHOLDABLE_FIELDS", ())
        if model is not None and self.field not in withholdable:
            raise ValidationError(
                {
                    "field": gettext(
                        "%(field)s is not a field that can be withheld from the public."
                    )
                    % {"field": repr(self.field)}
                }
            )

    @property
    def reason_label(self) -> str:
        return self.get_reason_code_display()

    @property
    def field_label(self) -> str:
        model = self.content_type.model_class()
        return str(model._meta.get_field(self.field).verbose_name).capitalize()

    def as_public(self) -> dict:
        """What the public is told (the API's ``withheld`` entries, the pages, the CSV)."""
        return {
            "field": self.field,
            "reason_code": self.reason_code,
            "reason_label": self.reason_label,
            "rationale": self.rationale,
            "available_on": self.available_on,
        }


WithholdingEvent = track(
    Withholding,
    record=_("Withheld value"),
    slug="withholding",
)


class Revision(TimeStampedModel):
    """An edit of an approved record (published, embargoed or retracted) waiting for a
    second pair of eyes: the public keeps the approved version until it is approved.

    It holds the edit form's fields as they were submitted (``form_data``), so that its
    editors reopen the form as they left it, and the approval replays them through the
    same form and service as an edit of a draft: validated again against the record as it
    then is (``agreements.revisions``). A record has at most one open revision (pending,
    or sent back); a later edit replaces it.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    form_data = models.JSONField(help_text=_("The edit form's fields as submitted (staff only)."))
    state = models.CharField(max_length=20, choices=RevisionState, default=RevisionState.PENDING)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(
        blank=True, default="", help_text=_("The approver's comment when sending it back.")
    )

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(state__in=OPEN_REVISION_STATES),
                name="revision_one_open_per_record",
            ),
        ]
        indexes = [
            # The approval queue and the header's count: the revisions waiting for approval.
            models.Index(
                fields=["content_type", "object_id"],
                condition=Q(state="pending"),
                name="revision_pending_idx",
            ),
        ]

    def __str__(self):
        return f"Revision of {self.content_type.model} {self.object_id} ({self.state})"

    @property
    def is_pending(self) -> bool:
        return self.state == RevisionState.PENDING

    def submitted(self) -> QueryDict:
        """The edit form's fields as they were submitted, to bind the form to again."""
        data = QueryDict(mutable=True)
        for name, values in self.form_data.items():
            data.setlist(name, values)
        return data


def open_revision(record: models.Model) -> Revision | None:
    """The record's revision waiting for approval or sent back, if any."""
    return (
        Revision.objects.of_record(record)
        .open()
        .select_related("content_type", "proposed_by", "decided_by")
        .first()
    )


RevisionEvent = track(
    Revision,
    record=_("Pending revision"),
    slug="revision",
)
