"""What the parties agreed: agreements (MOUs), their signed texts and data-sharing terms."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from audit.trail import audit_event_model
from core.models import TimeStampedModel
from partnerships.models import Organization, Partnership, Source, Visibility

from .querysets import AgreementQuerySet, DataSharingTermQuerySet


class RiskLevel(models.TextChoices):
    """Derived from an agreement's data-sharing terms, never typed in (see the risk rule)."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Agreement(TimeStampedModel):
    class Kind(models.TextChoices):
        MOU = "mou", "Memorandum of understanding"
        DATA_SHARING = "data_sharing", "Data-sharing agreement"
        SERVICE = "service", "Service agreement"
        AMENDMENT = "amendment", "Amendment"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        NEGOTIATING = "negotiating", "Negotiating"
        SIGNED = "signed", "Signed"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        TERMINATED = "terminated", "Terminated"
        SUPERSEDED = "superseded", "Superseded"

    # Agreements in force: the ones oversight flags look at.
    IN_FORCE = (Status.SIGNED, Status.ACTIVE)

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="agreements"
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.MOU)
    reference = models.CharField(
        max_length=100, blank=True, help_text="The parties' own reference, if any."
    )
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    signed_on = models.DateField(null=True, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    auto_expire = models.BooleanField(
        default=False,
        help_text="Mark the agreement expired automatically once its expiry date has passed.",
    )
    review_interval_months = models.PositiveSmallIntegerField(
        default=12, help_text="How often the agreement must be reviewed."
    )
    next_review_due = models.DateField(
        null=True,
        blank=True,
        help_text="The last completed review (or the effective date) plus the review interval.",
    )
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    independent_auditor = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audited_agreements",
        help_text="Independent only if it is not a party to the partnership.",
    )
    public_summary = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=20,
        choices=Visibility,
        default=Visibility.PUBLIC,
        help_text="A restricted partnership keeps all its agreements restricted.",
    )
    signatories = models.ManyToManyField(
        Organization, through="AgreementSignatory", related_name="signed_agreements"
    )
    sources = models.ManyToManyField(Source, related_name="agreements", blank=True)

    # What a staff form edits.
    EDITABLE_FIELDS = (
        "kind",
        "reference",
        "title",
        "status",
        "signed_on",
        "effective_from",
        "expires_on",
        "auto_expire",
        "review_interval_months",
        "supersedes",
        "independent_auditor",
        "public_summary",
        "visibility",
    )
    # What the public may see of it, and see change (the public history).
    PUBLIC_FIELDS = (
        "kind",
        "reference",
        "title",
        "status",
        "signed_on",
        "effective_from",
        "expires_on",
        "auto_expire",
        "review_interval_months",
        "next_review_due",
        "supersedes",
        "independent_auditor",
        "public_summary",
    )

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["partnership", "-effective_from", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(expires_on__gte=F("effective_from")),
                name="agreement_expires_on_after_effective_from",
                violation_error_message="An agreement cannot expire before it takes effect.",
            ),
            models.CheckConstraint(
                condition=Q(review_interval_months__gt=0),
                name="agreement_review_interval_positive",
                violation_error_message="The review interval must be at least one month.",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["signed", "active"]) | Q(signed_on__isnull=False),
                name="agreement_in_force_has_signed_on",
                violation_error_message="A signed or active agreement needs its signing date.",
            ),
        ]
        indexes = [
            # The flagging job: agreements in force whose review date has passed.
            models.Index(fields=["status", "next_review_due"], name="agreement_status_review_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("public:agreement", kwargs={"pk": self.pk})

    def clean(self):
        """The check constraints' rules as field errors, so that a form shows them next to
        the field instead of the database refusing the row."""
        errors = {}
        if self.status in self.IN_FORCE and self.signed_on is None:
            errors["signed_on"] = (
                f"An agreement that is {self.get_status_display().lower()} needs its signing date."
            )
        if self.effective_from and self.expires_on and self.expires_on < self.effective_from:
            errors["expires_on"] = "An agreement cannot expire before it takes effect."
        if self.supersedes_id is not None and self.supersedes_id == self.pk:
            errors["supersedes"] = "An agreement cannot supersede itself."
        if errors:
            raise ValidationError(errors)

    def is_public(self) -> bool:
        """Public only if both it and its partnership are public: visibility is inherited
        from the partnership unless the agreement's own is stricter."""
        return (
            self.visibility == Visibility.PUBLIC
            and self.partnership.visibility == Visibility.PUBLIC
        )

    def risk_level(self) -> str:
        """The highest risk among the data-sharing terms; low when there are none."""
        levels = [term.risk_level() for term in self.data_sharing_terms.all()]
        return max(levels, key=RISK_ORDER.index, default=RiskLevel.LOW)

    def risk_reasons(self) -> list[str]:
        """Why the agreement has its risk level, in words: the reasons of the terms that
        set it (the highest level among them)."""
        terms = list(self.data_sharing_terms.all())
        if not terms:
            return ["No data-sharing terms are recorded."]
        level = self.risk_level()
        reasons = [term.risk_reason() for term in terms if term.risk_level() == level]
        return list(dict.fromkeys(reasons))

    def party_organization_ids(self) -> set[int]:
        return {party.organization_id for party in self.partnership.parties.all()}

    def has_independent_auditor(self) -> bool:
        """An auditor is independent when it is not a party to the partnership."""
        return (
            self.independent_auditor_id is not None
            and self.independent_auditor_id not in self.party_organization_ids()
        )

    def compute_next_review_due(self) -> date | None:
        """The last completed review's date, or else ``effective_from``, plus the interval."""
        last_completed_on = (
            self.reviews.filter(status="completed", completed_on__isnull=False)
            .order_by("-completed_on")
            .values_list("completed_on", flat=True)
            .first()
        )
        start = last_completed_on or self.effective_from
        if start is None:
            return None
        return start + relativedelta(months=self.review_interval_months)


class AgreementSignatory(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signings")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    signed_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "signatory"
        verbose_name_plural = "signatories"
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organization"], name="signatory_once_per_agreement"
            ),
        ]

    def __str__(self):
        return f"{self.organization} signed {self.agreement}"


def agreement_document_path(document, filename: str) -> str:
    return f"agreements/{document.agreement_id}/v{document.version}-{document.sha256[:12]}.pdf"


class AgreementDocument(models.Model):
    """One version of an agreement's signed text. A new upload is a new version."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="documents")
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to=agreement_document_path, max_length=300)
    sha256 = models.CharField("SHA-256", max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    is_public = models.BooleanField(
        default=False, help_text="Publish this version with the (public) agreement."
    )

    class Meta:
        ordering = ["agreement", "-version"]
        get_latest_by = "version"
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "version"], name="document_version_once_per_agreement"
            ),
            models.CheckConstraint(condition=Q(version__gt=0), name="document_version_positive"),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="document_sha256_hex"
            ),
        ]

    def __str__(self):
        return f"{self.agreement} – version {self.version}"


class DataSharingTerm(TimeStampedModel):
    class DataCategory(models.TextChoices):
        AGGREGATE_STATISTICS = "aggregate_statistics", "Aggregate statistics"
        CASE_RECORDS = "case_records", "Case records"
        PERSONAL_IDENTIFIABLE = "personal_identifiable", "Personally identifiable data"
        SPECIAL_CATEGORY = (
            "special_category",
            "Special-category data (health, ethnicity, sexuality, religion)",
        )
        VICTIM_RECORDS = "victim_records", "Victim records"
        LOCATION_DATA = "location_data", "Location data"
        CCTV_FOOTAGE = "cctv_footage", "CCTV footage"
        BODY_WORN_CAMERA_FOOTAGE = "body_worn_camera_footage", "Body-worn camera footage"
        SOCIAL_MEDIA_DATA = "social_media_data", "Social media data"
        BIOMETRIC_DATA = "biometric_data", "Biometric data"

    class Direction(models.TextChoices):
        NGO_TO_POLICE = "ngo_to_police", "NGO to police"
        POLICE_TO_NGO = "police_to_ngo", "Police to NGO"
        BIDIRECTIONAL = "bidirectional", "Both ways"

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", "Consent"
        LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
        PUBLIC_TASK = "public_task", "Public task"
        VITAL_INTERESTS = "vital_interests", "Vital interests"
        LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests"
        COURT_ORDER = "court_order", "Court order"
        NONE_STATED = "none_stated", "None stated"

    class SurveillancePractice(models.TextChoices):
        NONE = "none", "None"
        PREDICTIVE_POLICING = "predictive_policing", "Predictive policing"
        BODY_WORN_CAMERAS = "body_worn_cameras", "Body-worn cameras"
        CCTV_MONITORING = "cctv_monitoring", "CCTV monitoring"
        SOCIAL_MEDIA_MONITORING = "social_media_monitoring", "Social media monitoring"
        FACIAL_RECOGNITION = "facial_recognition", "Facial recognition"
        LICENSE_PLATE_READERS = "license_plate_readers", "Licence plate readers"
        OTHER = "other", "Other"

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="data_sharing_terms"
    )
    data_category = models.CharField(max_length=30, choices=DataCategory)
    direction = models.CharField(max_length=20, choices=Direction)
    purpose = models.TextField()
    legal_basis = models.CharField(
        max_length=30, choices=LegalBasis, default=LegalBasis.NONE_STATED
    )
    legal_instrument = models.CharField(
        max_length=200, blank=True, help_text='e.g. "GDPR", "Investigatory Powers Act 2016".'
    )
    consent_required = models.BooleanField(default=False)
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty when the agreement states no retention period."
    )
    onward_sharing_allowed = models.BooleanField(default=False)
    access_controls = models.TextField(blank=True)
    surveillance_practice = models.CharField(
        max_length=30, choices=SurveillancePractice, default=SurveillancePractice.NONE
    )

    # Every field of a term is edited on the agreement's form and public with the agreement.
    FIELDS = (
        "data_category",
        "direction",
        "purpose",
        "legal_basis",
        "legal_instrument",
        "consent_required",
        "retention_days",
        "onward_sharing_allowed",
        "access_controls",
        "surveillance_practice",
    )

    objects = DataSharingTermQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "data_category"]

    def __str__(self):
        return f"{self.get_data_category_display()} ({self.get_direction_display()})"

    def risk_level(self) -> str:
        """The risk rule for one term (``term_risk_level``)."""
        return term_risk_level(
            data_category=self.data_category,
            direction=self.direction,
            surveillance_practice=self.surveillance_practice,
            onward_sharing_allowed=self.onward_sharing_allowed,
        )

    def risk_reason(self) -> str:
        """Why this term has its risk level, in the words of the risk rule."""
        category = self.get_data_category_display()
        direction = self.get_direction_display()
        if self.surveillance_practice != self.SurveillancePractice.NONE:
            practice = self.get_surveillance_practice_display()
            return f"A surveillance practice is involved: {practice}."
        if (
            self.data_category in HIGH_RISK_CATEGORIES_TO_POLICE
            and self.direction in TOWARDS_POLICE
        ):
            return f"{category} flow to the police ({direction})."
        if self.data_category in MEDIUM_RISK_CATEGORIES:
            return f"{category} are shared ({direction})."
        if self.onward_sharing_allowed:
            return f"{category} may be shared onward with third parties."
        if self.data_category in HIGH_RISK_CATEGORIES_TO_POLICE:
            return f"{category} flow only from the police to the NGO, with no onward sharing."
        return f"{category}, with no onward sharing and no surveillance practice."


# The risk rule (DESIGN §1), as data. The model methods above, the queryset
# annotations and the methodology page all read these, so they cannot disagree.
RISK_ORDER = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]
HIGH_RISK_CATEGORIES_TO_POLICE = frozenset(
    {
        DataSharingTerm.DataCategory.PERSONAL_IDENTIFIABLE,
        DataSharingTerm.DataCategory.SPECIAL_CATEGORY,
        DataSharingTerm.DataCategory.VICTIM_RECORDS,
        DataSharingTerm.DataCategory.BIOMETRIC_DATA,
        DataSharingTerm.DataCategory.LOCATION_DATA,
    }
)
TOWARDS_POLICE = frozenset(
    {DataSharingTerm.Direction.NGO_TO_POLICE, DataSharingTerm.Direction.BIDIRECTIONAL}
)
MEDIUM_RISK_CATEGORIES = frozenset({DataSharingTerm.DataCategory.CASE_RECORDS})


def term_risk_level(
    *, data_category: str, direction: str, surveillance_practice: str, onward_sharing_allowed
) -> str:
    """The risk rule for one data-sharing term; ``DataSharingTermQuerySet`` states the same
    in SQL. A plain function of the fields, so that exports of a million rows apply it
    without building a model instance per term."""
    if surveillance_practice != DataSharingTerm.SurveillancePractice.NONE or (
        data_category in HIGH_RISK_CATEGORIES_TO_POLICE and direction in TOWARDS_POLICE
    ):
        return RiskLevel.HIGH
    if data_category in MEDIUM_RISK_CATEGORIES or onward_sharing_allowed:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


# The audit trail: every create, update and delete of these records, written by
# database triggers (see ``audit.trail``).
AgreementEvent = audit_event_model(Agreement, name="AgreementEvent")
AgreementSignatoryEvent = audit_event_model(
    AgreementSignatory, name="AgreementSignatoryEvent", parent="agreement"
)
AgreementDocumentEvent = audit_event_model(
    AgreementDocument, name="AgreementDocumentEvent", parent="agreement"
)
DataSharingTermEvent = audit_event_model(
    DataSharingTerm, name="DataSharingTermEvent", parent="agreement"
)


class AgreementSource(Agreement.sources.through):
    """The link of an agreement to a source, tracked through this proxy of its table."""

    class Meta:
        proxy = True


AgreementSourceEvent = audit_event_model(
    AgreementSource, name="AgreementSourceEvent", parent="agreement"
)
