"""Incidents: what went wrong under an agreement (a data breach, data used beyond the
agreed purpose, a discriminatory outcome ...), recorded with the facts a supervisory
authority is told (GDPR Art. 33(3), the Law Enforcement Directive Art. 30(3))."""

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agreements.choices import DataCategory
from agreements.models import Agreement
from audit.registry import track
from core.models import TimeStampedModel
from partnerships.models import Source
from publication.choices import PublicationStatus
from publication.models import Publishable
from publication.withholding import withheld_by_record

from .choices import HowFound, IncidentKind, IncidentStatus, PeopleCategory
from .querysets import IncidentQuerySet, hours_between


class Incident(Publishable, TimeStampedModel):
    Kind = IncidentKind
    HowFound = HowFound
    Status = IncidentStatus
    PeopleCategory = PeopleCategory
    # The data-sharing terms' vocabulary (``agreements.choices``).
    DataCategory = DataCategory

    agreements = models.ManyToManyField(Agreement, related_name="incidents")
    kind = models.CharField(_("Kind"), max_length=30, choices=IncidentKind)
    title = models.CharField(_("Title"), max_length=300)
    occurred_on = models.DateField(
        _("Occurred on"),
        null=True,
        blank=True,
        help_text=_("When it happened, if known (it may predate discovery)."),
    )
    discovered_at = models.DateTimeField(
        _("Discovered at"), help_text=_("When a party became aware of it.")
    )
    reported_to_authority_at = models.DateTimeField(
        _("reported to the authority at"),
        null=True,
        blank=True,
        help_text=_("When the supervisory authority was notified; empty if it was not."),
    )
    authority = models.CharField(
        _("Authority"),
        max_length=200,
        blank=True,
        help_text=_("Which authority was notified, e.g. “Information Commissioner's Office”."),
    )
    delay_reason = models.TextField(
        _("Delay reason"),
        blank=True,
        help_text=_("Why the authority was notified more than 72 hours after discovery, if so."),
    )
    nature = models.TextField(_("Nature"), help_text=_("What happened."))
    data_categories = ArrayField(
        models.CharField(max_length=30, choices=DataCategory),
        verbose_name=_("Data categories"),
        blank=True,
        default=list,
        help_text=_("The categories of data affected."),
    )
    people_affected = models.PositiveIntegerField(
        _("approximate number of people affected"), null=True, blank=True
    )
    records_affected = models.PositiveBigIntegerField(
        _("approximate number of records affected"), null=True, blank=True
    )
    people_categories = ArrayField(
        models.CharField(max_length=30, choices=PeopleCategory),
        verbose_name=_("categories of people affected"),
        blank=True,
        default=list,
    )
    likely_consequences = models.TextField(_("Likely consequences"), blank=True)
    measures_taken = models.TextField(
        _("Measures taken"),
        blank=True,
        help_text=_("What was done, or is proposed, to address it and limit its effects."),
    )
    how_found = models.CharField(_("how it was found"), max_length=30, choices=HowFound)
    sources = models.ManyToManyField(Source, related_name="incidents", blank=True)
    status = models.CharField(
        _("Status"), max_length=30, choices=IncidentStatus, default=IncidentStatus.OPEN
    )
    closed_on = models.DateField(_("Closed on"), null=True, blank=True)
    outcome = models.TextField(
        _("Outcome"), blank=True, help_text=_("How it was resolved, once closed.")
    )
    notes = models.TextField(_("Notes"), blank=True, help_text=_("Private: never published."))

    # What the staff form edits (the agreements and sources are edited beside them).
    EDITABLE_FIELDS = (
        "kind",
        "title",
        "occurred_on",
        "discovered_at",
        "reported_to_authority_at",
        "authority",
        "delay_reason",
        "nature",
        "data_categories",
        "people_affected",
        "records_affected",
        "people_categories",
        "likely_consequences",
        "measures_taken",
        "how_found",
        "status",
        "closed_on",
        "outcome",
        "notes",
    )
    # What the public may see of it, and see change (the public history).
    PUBLIC_FIELDS = tuple(name for name in EDITABLE_FIELDS if name != "notes")

    # What an editor may withhold from the public, with a reason. The kind, the dates of
    # discovery and notification and how it was found stay public: the oversight flags are
    # derived from them; the title names the record everywhere.
    WITHHOLDABLE_FIELDS = (
        "occurred_on",
        "authority",
        "delay_reason",
        "nature",
        "data_categories",
        "people_affected",
        "records_affected",
        "people_categories",
        "likely_consequences",
        "measures_taken",
        "outcome",
    )

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-discovered_at", "-pk"]
        constraints = [
            *Publishable.Meta.constraints,
            models.CheckConstraint(
                condition=Q(reported_to_authority_at__isnull=True)
                | Q(reported_to_authority_at__gte=F("discovered_at")),
                name="incident_reported_after_discovered",
                violation_error_message=_(
                    "An incident cannot be reported before it was discovered."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_on__isnull=False)
                | (~Q(status="closed") & Q(closed_on__isnull=True)),
                name="incident_closed_on_iff_closed",
                violation_error_message=_(
                    "A closed incident needs its closing date, and only a closed one has one."
                ),
            ),
        ]
        indexes = [
            *Publishable.Meta.indexes,
            # The public list, newest first, and the flagging job's notification rule.
            models.Index(fields=["kind", "discovered_at"], name="incident_kind_discovered_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("public:incident", kwargs={"pk": self.pk})

    def clean(self):
        """The check constraints' rules as field errors, next to their field on the form."""
        super().clean()
        errors = {}
        if (
            self.discovered_at
            and self.reported_to_authority_at
            and self.reported_to_authority_at < self.discovered_at
        ):
            errors["reported_to_authority_at"] = _(
                "An incident cannot be reported before it was discovered."
            )
        if self.reported_to_authority_at and not self.authority.strip():
            errors["authority"] = _("Name the authority it was reported to.")
        if self.status == IncidentStatus.CLOSED and self.closed_on is None:
            errors["closed_on"] = _("A closed incident needs its closing date.")
        if self.status != IncidentStatus.CLOSED and self.closed_on is not None:
            errors["closed_on"] = _("Only a closed incident has a closing date.")
        if self.occurred_on and self.discovered_at and self.occurred_on > self.discovered_at.date():
            errors["occurred_on"] = _("An incident cannot be discovered before it occurred.")
        if errors:
            raise ValidationError(errors)

    @property
    def data_category_labels(self) -> list[str]:
        return [DataCategory(value).label for value in self.data_categories or ()]

    @property
    def people_category_labels(self) -> list[str]:
        return [PeopleCategory(value).label for value in self.people_categories or ()]

    @property
    def hours_to_notify(self) -> float | None:
        """Hours from discovery to the notification of the authority (None while not
        notified): the ``notified_after_hours`` annotation when read with it."""
        annotated = getattr(self, "notified_after_hours", None)
        if annotated is not None:
            return annotated
        return hours_between(self.discovered_at, self.reported_to_authority_at)


class IncidentAgreement(Incident.agreements.through):
    """The link of an incident to an agreement, audited through this proxy of its table."""

    class Meta:
        proxy = True


class IncidentSource(Incident.sources.through):
    """The link of an incident to a source, audited through this proxy of its table."""

    class Meta:
        proxy = True


# The audit trail: every create, update and delete of these records, written by database
# triggers, and what the histories show of them (see ``audit.registry``).
IncidentEvent = track(
    Incident,
    record=_("Incident"),
    slug="incident",
    public_fields=Incident.PUBLIC_FIELDS,
    public_if={"publication_status": PublicationStatus.PUBLISHED},
    named_by="title",
    named_among=Incident.objects.public,
    withheld=withheld_by_record,
)
IncidentAgreementEvent = track(
    IncidentAgreement,
    record=_("Agreement"),
    slug="incident-agreement-link",
    parent="incident",
    public_fields=("agreement",),
)
IncidentSourceEvent = track(
    IncidentSource,
    record=_("Source"),
    slug="incident-source-link",
    parent="incident",
    public_fields=("source",),
)
