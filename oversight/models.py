"""Independent oversight: reviews and audits, their findings, and the flags the jobs raise."""

from datetime import date
from functools import cached_property

from dateutil.relativedelta import relativedelta
from django.db import models
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.lookups import IsNull
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from audit.registry import track
from core.models import TimeStampedModel
from partnerships.models import Organization, PartnershipParty
from publication.withholding import withheld_by_record

# A completed DPIA keeps a high-risk agreement unflagged for this long.
DPIA_VALID_FOR = relativedelta(months=12)

# The independence rule in words (``ReviewQuerySet.not_independent_condition``), for the
# methodology page and the API's documentation.
REVIEW_INDEPENDENCE = _(
    "A review or audit is independent when the reviewing organization is not a party to the "
    "partnership and has declared no funding, staff or contractual ties to a party. A review "
    "recorded before reviewers were asked to declare their ties is judged on the first "
    "condition alone."
)


class ReviewQuerySet(models.QuerySet):
    def public(self):
        """Reviews of public agreements. Their private ``notes`` are never published."""
        return self.filter(agreement__in=Agreement.objects.public())

    def visible_to(self, user):
        return self.filter(agreement__in=Agreement.objects.visible_to(user))

    def independent(self):
        """Reviews that are independent (``not_independent_condition``)."""
        return self.exclude(self.not_independent_condition())

    def not_independent(self):
        return self.filter(self.not_independent_condition())

    def with_reviewer_independence(self):
        """Annotate ``reviewer_is_independent`` (``not_independent_condition``), and
        ``reviewer_is_party``, which tells the pages why a review is not independent."""
        return self.annotate(
            reviewer_is_party=ExpressionWrapper(
                Q(self._reviewer_is_party(per_row=True)), output_field=models.BooleanField()
            ),
            reviewer_is_independent=ExpressionWrapper(
                ~self.not_independent_condition(per_row=True), output_field=models.BooleanField()
            ),
        )

    @staticmethod
    def not_independent_condition(per_row: bool = False) -> Q:
        """The independence rule (``REVIEW_INDEPENDENCE``): a review is not independent when
        its reviewer is a party to the partnership, or declared funding, staff or contractual
        ties to a party. A review recorded before the declaration was asked keeps the first
        test alone. ``per_row``: as ``_reviewer_is_party`` says, for a value read per row."""
        return Q(ReviewQuerySet._reviewer_is_party(per_row)) | Q(
            conflict_of_interest=Review.ConflictOfInterest.DECLARED
        )

    def valid_dpias(self, today: date):
        """DPIAs completed in the ``DPIA_VALID_FOR`` up to today (both days included)."""
        return self.filter(
            kind=self.model.Kind.DPIA,
            status=self.model.Status.COMPLETED,
            completed_on__gte=today - DPIA_VALID_FOR,
            completed_on__lte=today,
        )

    @staticmethod
    def _reviewer_is_party(per_row: bool = False):
        """Whether the reviewer is a party to the partnership. ``per_row``: the same test as
        a value of each row read (an annotation), probed through the party index for each
        row of a page; PostgreSQL would plan an ``EXISTS`` there as a hash of every party
        of the registry when it expects many rows, even under the ``LIMIT`` of one page."""
        parties = PartnershipParty.objects.filter(
            partnership=OuterRef("agreement__partnership"), organization=OuterRef("reviewer")
        )
        if per_row:
            return IsNull(Subquery(parties.values("pk")[:1]), False)
        return Exists(parties)


class Review(TimeStampedModel):
    class Kind(models.TextChoices):
        SCHEDULED_REVIEW = "scheduled_review", _("Scheduled review")
        AUDIT = "audit", _("Audit")
        DPIA = "dpia", _("Data-protection impact assessment")
        COMMUNITY_REVIEW = "community_review", _("Community review")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    class Outcome(models.TextChoices):
        COMPLIANT = "compliant", _("Compliant")
        CONCERNS = "concerns", _("Concerns")
        NON_COMPLIANT = "non_compliant", _("Non-compliant")

    class ConflictOfInterest(models.TextChoices):
        """The reviewer's declaration of funding, staff or contractual ties to a party."""

        NOT_DECLARED = "not_declared", _("Not declared")
        NONE = "none", _("No ties")
        DECLARED = "declared", _("Ties declared")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("Reviewer")
    )
    kind = models.CharField(_("Kind"), max_length=20, choices=Kind)
    status = models.CharField(_("Status"), max_length=20, choices=Status, default=Status.SCHEDULED)
    started_on = models.DateField(_("Started on"), null=True, blank=True)
    completed_on = models.DateField(_("Completed on"), null=True, blank=True)
    outcome = models.CharField(_("Outcome"), max_length=20, choices=Outcome, blank=True)
    public_summary = models.TextField(_("Public summary"), blank=True)
    notes = models.TextField(_("Notes"), blank=True, help_text=_("Private: never published."))
    # "Not declared": recorded before the question was asked (the reviews that predate it).
    conflict_of_interest = models.CharField(
        _("conflict-of-interest declaration"),
        max_length=20,
        choices=ConflictOfInterest,
        default=ConflictOfInterest.NOT_DECLARED,
    )
    declared_ties = models.TextField(
        _("Declared ties"),
        blank=True,
        help_text=_("The ties to a party the reviewer declared; published unless withheld."),
    )

    # What the review form edits; ``notes`` stay private.
    EDITABLE_FIELDS = (
        "reviewer",
        "conflict_of_interest",
        "declared_ties",
        "kind",
        "status",
        "started_on",
        "completed_on",
        "outcome",
        "public_summary",
        "notes",
    )

    # The declarations a review recorded now may carry: "not declared" predates the question.
    ANSWERS = (ConflictOfInterest.NONE, ConflictOfInterest.DECLARED)

    # What an editor may withhold from the public, with a reason. The declaration itself
    # (ties or none) stays public: it decides whether the review is independent.
    WITHHOLDABLE_FIELDS = ("public_summary", "declared_ties")

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "-completed_on", "-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(completed_on__gte=F("started_on")),
                name="review_completed_on_after_started_on",
                violation_error_message=_("A review cannot be completed before it started."),
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_on__isnull=False),
                name="review_completed_has_completed_on",
                violation_error_message=_("A completed review needs its completion date."),
            ),
            models.CheckConstraint(
                condition=Q(conflict_of_interest="declared") & ~Q(declared_ties="")
                | ~Q(conflict_of_interest="declared") & Q(declared_ties=""),
                name="review_declared_ties_iff_declared",
                violation_error_message=_(
                    "Declared ties need their description, and only declared ties have one."
                ),
            ),
        ]
        indexes = [
            # high_risk_without_dpia: the latest completed DPIA of each agreement.
            models.Index(
                fields=["agreement", "kind", "status", "completed_on"],
                name="review_agreement_kind_idx",
            ),
            # The public list's order (latest completed first; ``/api/v1/reviews/``), and
            # the same of one kind (``?kind=``): a page, first or by cursor, is read in order
            # instead of a sort of every review.
            models.Index(fields=["-completed_on", "-started_on", "id"], name="review_order_idx"),
            models.Index(
                fields=["kind", "-completed_on", "-started_on", "id"],
                name="review_kind_order_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.agreement} by {self.reviewer}"

    def is_independent(self) -> bool:
        """Whether the stored review is independent (``not_independent_condition``): the
        ``reviewer_is_independent`` annotation when the review was read with it, else one
        query."""
        annotated = getattr(self, "reviewer_is_independent", None)
        if annotated is not None:
            return annotated
        return type(self).objects.filter(pk=self.pk).independent().exists()


# What each declaration means, for the methodology page (in the order of the choices).
DECLARATION_EXPLANATIONS = {
    Review.ConflictOfInterest.NOT_DECLARED: _(
        "Recorded before reviewers were asked to declare "
        "their ties: the review is independent when its reviewer is not a party."
    ),
    Review.ConflictOfInterest.NONE: _(
        "The reviewer declared no funding, staff or contractual ties to a party."
    ),
    Review.ConflictOfInterest.DECLARED: _(
        "The reviewer declared ties to a party and described "
        "them; the description is published with the review unless it is withheld, with the "
        "reason. The review is not independent."
    ),
}


class FindingQuerySet(models.QuerySet):
    def action_overdue(self, today: date):
        """Open findings whose corrective action was due before today."""
        return self.filter(status=self.model.Status.OPEN, due_on__lt=today)


class Finding(TimeStampedModel):
    class Severity(models.TextChoices):
        INFO = "info", _("Information")
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="findings")
    severity = models.CharField(_("Severity"), max_length=10, choices=Severity)
    summary = models.TextField(_("Summary"))
    corrective_action = models.TextField(_("Corrective action"), blank=True)
    due_on = models.DateField(_("Due on"), null=True, blank=True)
    status = models.CharField(_("Status"), max_length=10, choices=Status, default=Status.OPEN)
    resolved_on = models.DateField(_("Resolved on"), null=True, blank=True)

    EDITABLE_FIELDS = (
        "severity",
        "summary",
        "corrective_action",
        "due_on",
    )
    PUBLIC_FIELDS = (
        "id",
        "severity",
        "summary",
        "corrective_action",
        "due_on",
        "status",
        "resolved_on",
    )

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["review", "due_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", resolved_on__isnull=True)
                | Q(status="resolved", resolved_on__isnull=False),
                name="finding_resolved_on_iff_resolved",
                violation_error_message=_(
                    "A resolved finding needs its resolution date, and an open one has none."
                ),
            ),
        ]
        indexes = [
            # corrective_action_overdue: open findings past their due date.
            models.Index(
                fields=["due_on"], condition=Q(status="open"), name="finding_open_due_idx"
            ),
        ]

    def __str__(self):
        return f"{self.get_severity_display()}: {self.summary[:60]}"


class FlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def holding(self, today: date):
        """Flags resolved by hand that still keep their kind closed on their agreement: the
        hold has not ended (``Flag.hold_ended_at``), its date, if any, is after today, and
        no flag of the kind was raised on the agreement since. Whether the facts still
        match is the flagging job's to compare (``oversight.flagging``)."""
        # Later rows: of one agreement and kind, flags are raised one after the other (at
        # most one open), so the ids follow the order they were raised in.
        raised_since = self.model.objects.filter(
            agreement=OuterRef("agreement"), kind=OuterRef("kind"), pk__gt=OuterRef("pk")
        )
        return (
            self.filter(resolved_facts__isnull=False, hold_ended_at__isnull=True)
            .filter(Q(closed_until__isnull=True) | Q(closed_until__gt=today))
            .exclude(Exists(raised_since))
        )

    def public(self):
        return self.filter(agreement__in=Agreement.objects.public())

    def visible_to(self, user):
        return self.filter(agreement__in=Agreement.objects.visible_to(user))


class Flag(models.Model):
    """A problem the scheduled job found by itself. Closed flags stay on the record."""

    class Kind(models.TextChoices):
        REVIEW_OVERDUE = "review_overdue", _("Review overdue")
        NO_INDEPENDENT_AUDITOR = "no_independent_auditor", _("No independent auditor")
        EXPIRED_BUT_ACTIVE = "expired_but_active", _("Expired but still active")
        HIGH_RISK_WITHOUT_DPIA = "high_risk_without_dpia", _("High risk without a DPIA")
        CORRECTIVE_ACTION_OVERDUE = "corrective_action_overdue", _("Corrective action overdue")
        BREACH_NOTIFIED_LATE = "breach_notified_late", _("Data breach notified late")
        INCIDENT_WITHOUT_REVIEW = "incident_without_review", _("Incident without a review")

    # What a flag says: one sentence per kind (and a second one for an agreement with no
    # auditor at all), its placeholders filled from the flag's ``parameters`` when it is
    # shown, so that each reader reads it in their language; a ``date`` (kept as
    # YYYY-MM-DD) in their date format. A flag names another sentence than its kind's with
    # the parameter ``sentence``. Each rule (``oversight.rules``) says what it keeps.
    SENTENCES = {
        Kind.REVIEW_OVERDUE: _("The review was due on %(date)s."),
        Kind.NO_INDEPENDENT_AUDITOR: _(
            "The auditor, %(auditor)s, is a party to the partnership: not independent."
        ),
        "no_auditor": _("No independent auditor is assigned."),
        Kind.EXPIRED_BUT_ACTIVE: _("Expired on %(date)s but still marked active."),
        Kind.HIGH_RISK_WITHOUT_DPIA: _(
            "High-risk data sharing, and no DPIA completed since %(date)s."
        ),
        Kind.CORRECTIVE_ACTION_OVERDUE: _(
            "A corrective action was due on %(date)s and is still open."
        ),
        Kind.BREACH_NOTIFIED_LATE: _(
            "A data breach was notified to the authority more than %(hours)s hours after its "
            "discovery, or not at all, and no reason was given for the delay."
        ),
        Kind.INCIDENT_WITHOUT_REVIEW: _(
            "An incident was closed, or has been open for %(days)s days, and no review of "
            "the agreement was completed since it was discovered."
        ),
    }

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=30, choices=Kind)
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, help_text=_("Why the flag was closed."))
    # What the flag said when it was raised, in English: the audit log's record of it. Pages
    # and e-mails show ``text``, in their reader's language.
    detail = models.TextField(blank=True)
    parameters = models.JSONField(
        null=True,
        blank=True,
        help_text=_(
            "What its sentence names (a date as YYYY-MM-DD), by name. None for a flag raised "
            "before they were kept that the migration could not read: it shows its detail."
        ),
    )
    # Outbox for the digest e-mails: claimed (set) before the flag is announced.
    notified_at = models.DateTimeField(null=True, blank=True)
    # A flag resolved by hand holds its kind closed on the agreement: the job raises no new
    # one while the condition holds on the same facts (``FlagRule.facts``, as they were
    # when it was resolved) and, if a date was given, before that date. The hold ends when
    # the condition clears (``hold_ended_at``). A flag the job closed holds nothing.
    resolved_facts = models.JSONField(
        null=True,
        blank=True,
        help_text=_(
            "Resolved by hand: the facts of the condition it was resolved on. The flag is raised "
            "again when they change."
        ),
    )
    closed_until = models.DateField(
        null=True,
        blank=True,
        help_text=_(
            "Resolved by hand until this date: the flag is raised again from this day on if the "
            "condition still holds."
        ),
    )
    hold_ended_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "When the condition cleared after the flag was resolved by hand: the facts it was "
            "resolved on keep nothing closed any more."
        ),
    )

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="flag_one_open_per_agreement_and_kind",
                violation_error_message=_("This agreement already has an open flag of this kind."),
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("raised_at")),
                name="flag_resolved_after_raised",
            ),
            models.CheckConstraint(
                condition=Q(resolved_facts__isnull=True) | Q(resolved_at__isnull=False),
                name="flag_holds_only_when_resolved",
                violation_error_message=_(
                    "Only a resolved flag records the facts it was resolved on."
                ),
            ),
            models.CheckConstraint(
                condition=Q(closed_until__isnull=True, hold_ended_at__isnull=True)
                | Q(resolved_facts__isnull=False),
                name="flag_hold_has_its_facts",
                violation_error_message=_(
                    "A flag closed until a date records the facts it was resolved on."
                ),
            ),
        ]
        indexes = [
            # The public list's order (latest raised first; ``/api/v1/flags/``), and the
            # open flags of one kind in it (``?kind=...&open=true``): a page, first or by
            # cursor, is read in order instead of a sort of every flag.
            models.Index(fields=["-raised_at", "id"], name="flag_raised_order_idx"),
            models.Index(
                fields=["kind", "-raised_at", "id"],
                condition=Q(resolved_at__isnull=True),
                name="flag_open_kind_order_idx",
            ),
            # ?flag=... of the public lists: the agreements with an open flag of a kind
            # (``public.filters.with_open_flags``), found from the kind.
            models.Index(
                fields=["kind", "agreement"],
                condition=Q(resolved_at__isnull=True),
                name="flag_open_kind_idx",
            ),
            # Digests: open flags not yet announced.
            models.Index(
                fields=["raised_at"],
                condition=Q(notified_at__isnull=True),
                name="flag_unnotified_idx",
            ),
            # Flagging: the hand resolutions still holding, per agreement and kind
            # (``FlagQuerySet.holding``, read by every raise and ended when a condition clears).
            models.Index(
                fields=["agreement", "kind"],
                condition=Q(resolved_facts__isnull=False, hold_ended_at__isnull=True),
                name="flag_holding_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.agreement}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @cached_property
    def text(self) -> str:
        """What the flag says, in the active language (``flag_text``). A page that must
        not show it (it quotes a value withheld from the public) sets it to ""."""
        return flag_text(self.kind, self.parameters, self.detail)


def flag_text(kind: str, parameters: dict | None, detail: str = "") -> str:
    """A flag's sentence (``Flag.SENTENCES``) filled with its ``parameters``, in the active
    language; ``detail``, the text it was raised with, when it has none."""
    if parameters is None:
        return detail
    values = dict(parameters)
    sentence = Flag.SENTENCES[values.pop("sentence", kind)]
    if values.get("date"):
        values["date"] = date_format(date.fromisoformat(values["date"]), "DATE_FORMAT")
    return sentence % values


class ReviewReminder(models.Model):
    """Outbox for "review due within 30 days" in the digests: one row per agreement and
    due date, so that each upcoming review is announced once, not every night."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="review_reminders"
    )
    due_on = models.DateField()
    created_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "due_on"], name="review_reminder_once_per_due_date"
            ),
        ]

    def __str__(self):
        return f"Review of {self.agreement} due on {self.due_on}"


# The audit trail: every create, update and delete of these records, written by database
# triggers, and what the staff history shows of them (see ``audit.registry``).
ReviewEvent = track(
    Review,
    record=_("Review"),
    slug="review",
    # What the public API shows of a review (never its private notes); public while its
    # agreement is (the followers' alerts tell its public changes).
    public_fields=tuple(f for f in Review.EDITABLE_FIELDS if f != "notes"),
    gated_by="agreement",
    withheld=withheld_by_record,
)
FindingEvent = track(
    Finding,
    record=_("Finding"),
    slug="finding",
    parent="review",
    public_fields=tuple(f for f in Finding.PUBLIC_FIELDS if f != "id"),
)
# A flag's ``parameters`` restate its ``detail`` (which the trail records) for translation.
FlagEvent = track(Flag, record=_("Flag"), slug="flag", derived=("parameters",))
