"""What the parties do together: joint activities (trainings, joint operations, awareness
campaigns, case-referral programmes, task forces) and their results as named indicators.

An activity is published through the same workflow as a partnership or an agreement
(``publication.models.Publishable``; its steps are ``agreements.publishing``'s) and is
public only while its partnership is. Its description and each result's value may be
withheld from the public with a reason."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from audit.registry import track
from core.models import TimeStampedModel
from partnerships.models import Organization, Partnership
from publication.choices import PublicationStatus
from publication.models import Publishable
from publication.withholding import withheld_by_record

from .querysets import ActivityQuerySet, ActivityResultQuerySet


class Activity(Publishable, TimeStampedModel):
    class Kind(models.TextChoices):
        TRAINING = "training", _("Training")
        JOINT_OPERATION = "joint_operation", _("Joint operation")
        AWARENESS_CAMPAIGN = "awareness_campaign", _("Awareness campaign")
        REFERRAL_PROGRAMME = "referral_programme", _("Case-referral programme")
        TASK_FORCE = "task_force", _("Task force")

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(
        _("ended on"), null=True, blank=True, help_text=_("Empty while it goes on.")
    )
    organizations = models.ManyToManyField(
        Organization,
        related_name="activities",
        blank=True,
        verbose_name=_("organizations involved"),
        help_text=_("The parties of the partnership that take part."),
    )

    EDITABLE_FIELDS = ("kind", "title", "description", "started_on", "ended_on")
    PUBLIC_FIELDS = EDITABLE_FIELDS
    # What an editor may withhold from the public, with a reason. The title names the
    # record everywhere: it must be fit to publish.
    WITHHOLDABLE_FIELDS = ("description",)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "pk"]
        verbose_name_plural = _("activities")
        indexes = [
            *Publishable.Meta.indexes,
            # The partnership page and the report: a partnership's activities by date.
            models.Index(fields=["partnership", "started_on"], name="activity_partnership_idx"),
        ]
        constraints = [
            *Publishable.Meta.constraints,
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="activity_ended_after_started",
                violation_error_message=_("An activity cannot end before it started."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return self.partnership.get_absolute_url() + f"#activity-{self.pk}"


class Indicator(models.TextChoices):
    """The declared vocabulary of results; anything else is "other", with its name."""

    PEOPLE_TRAINED = "people_trained", _("People trained")
    SESSIONS_HELD = "sessions_held", _("Sessions held")
    REFERRALS_MADE = "referrals_made", _("Referrals made")
    CASES_OPENED = "cases_opened", _("Cases opened")
    CASES_CLOSED = "cases_closed", _("Cases closed")
    COMPLAINTS_RECEIVED = "complaints_received", _("Complaints received")
    PEOPLE_REACHED = "people_reached", _("People reached")
    MATERIALS_DISTRIBUTED = "materials_distributed", _("Materials distributed")
    OPERATIONS_CONDUCTED = "operations_conducted", _("Operations conducted")
    MEETINGS_HELD = "meetings_held", _("Meetings held")
    OTHER = "other", _("Other")


class ActivityResult(TimeStampedModel):
    """One result of an activity: a named indicator's value, in a unit, over a period."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="results")
    indicator = models.CharField(_("indicator"), max_length=30, choices=Indicator)
    other_name = models.CharField(
        _("other name"),
        max_length=120,
        blank=True,
        help_text=_("The indicator's name, when it is “Other”."),
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    unit = models.CharField(
        _("unit"), max_length=40, default="people", help_text=_("For example people.")
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))

    EDITABLE_FIELDS = ("indicator", "other_name", "value", "unit", "period_start", "period_end")
    PUBLIC_FIELDS = EDITABLE_FIELDS
    # Published with its activity: the activity's registration declares its results a
    # part of it (``activities.apps``), so that its approval confirms their withheld values.
    WITHHOLDABLE_FIELDS = ("value",)

    objects = ActivityResultQuerySet.as_manager()

    class Meta:
        ordering = ["activity", "period_start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="activity_result_period_in_order",
                violation_error_message=_("A period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(indicator="other", other_name__gt="")
                | (~Q(indicator="other") & Q(other_name="")),
                name="activity_result_other_is_named",
                violation_error_message=_(
                    "An “Other” indicator needs its name, and only it has one."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.name}: {self.value} {self.unit}"

    @property
    def name(self) -> str:
        return (
            self.other_name if self.indicator == Indicator.OTHER else self.get_indicator_display()
        )


PUBLISHED = {"publication_status": PublicationStatus.PUBLISHED}

ActivityEvent = track(
    Activity,
    record=_("Joint activity"),
    slug="activity",
    parent="partnership",
    public_fields=Activity.PUBLIC_FIELDS,
    public_if=PUBLISHED,
    gated_by="partnership",
    withheld=withheld_by_record,
)
ActivityResultEvent = track(
    ActivityResult,
    record=_("Activity result"),
    slug="activity-result",
    parent="activity",
    public_fields=ActivityResult.PUBLIC_FIELDS,
    gated_by="activity",
    withheld=withheld_by_record,
)
