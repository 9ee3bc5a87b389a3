"""What the parties agreed: agreements (MOUs), their signed texts and data-sharing terms."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.registry import track
from core.models import StoresDerivedFacts, TimeStampedModel
from partnerships.models import Organization, Partnership, Source, Visibility
from partnerships.querysets import public_values
from publication.models import Publishable
from publication.withholding import withheld_by_record

from .choices import DataCategory, Direction, RiskLevel, SurveillancePractice
from .querysets import AgreementDocumentQuerySet, AgreementQuerySet, DataSharingTermQuerySet
from .risk import (
    HIGH_RISK_CATEGORIES_TO_POLICE,
    MEDIUM_RISK_CATEGORIES,
    RISK_ORDER,
    TOWARDS_POLICE,
    term_risk_level,
)


class Agreement(StoresDerivedFacts, Publishable, TimeStampedModel):
    class Kind(models.TextChoices):
        MOU = "mou", _("Memorandum of understanding")
        DATA_SHARING = "data_sharing", _("Data-sharing agreement")
        SERVICE = "service", _("Service agreement")
        AMENDMENT = "amendment", _("Amendment")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        NEGOTIATING = "negotiating", _("Negotiating")
        SIGNED = "signed", _("Signed")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")
        SUPERSEDED = "superseded", _("Superseded")

    # Agreements in force: the ones oversight flags look at.
    IN_FORCE = (Status.SIGNED, Status.ACTIVE)
    # Agreements whose data sharing is about to start or under way: a data-protection
    # impact assessment is due before the data flows, so while it is negotiated too. Not a
    # draft (nothing is agreed yet), nor one that ended (expired, terminated, superseded).
    DPIA_DUE = (Status.NEGOTIATING, *IN_FORCE)

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="agreements"
    )
    kind = models.CharField(_("Kind"), max_length=20, choices=Kind, default=Kind.MOU)
    reference = models.CharField(
        _("Reference"),
        max_length=100,
        blank=True,
        help_text=_("The parties' own reference, if any."),
    )
    title = models.CharField(_("Title"), max_length=300)
    status = models.CharField(_("Status"), max_length=20, choices=Status, default=Status.DRAFT)
    signed_on = models.DateField(_("Signed on"), null=True, blank=True)
    effective_from = models.DateField(_("Effective from"), null=True, blank=True)
    expires_on = models.DateField(_("Expires on"), null=True, blank=True)
    auto_expire = models.BooleanField(
        _("Auto expire"),
        default=False,
        help_text=_("Mark the agreement expired automatically once its expiry date has passed."),
    )
    review_interval_months = models.PositiveSmallIntegerField(
        _("Review interval months"),
        default=12,
        help_text="How often the agreement must be reviewed.",
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
        verbose_name=_("Supersedes"),
    )
    independent_auditor = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audited_agreements",
        verbose_name=_("Independent auditor"),
        help_text="Independent only if it is not a party to the partnership.",
    )
    public_summary = models.TextField(_("Public summary"), blank=True)
    visibility = models.CharField(
        _("Visibility"),
        max_length=20,
        choices=Visibility,
        default=Visibility.PUBLIC,
        help_text="A restricted partnership keeps all its agreements restricted.",
    )
    signatories = models.ManyToManyField(
        Organization, through="AgreementSignatory", related_name="signed_agreements"
    )
    sources = models.ManyToManyField(Source, related_name="agreements", blank=True)

    # Facts derived from other records, stored so that the public lists filter, sort and
    # show them from columns rather than from subqueries per row. Never edited: the
    # services re-derive them in the transaction of every write that changes what they
    # derive from (``agreements.derived``), and ``manage.py refresh_derived`` re-derives
    # them all. An agreement's open flags are rows of their own (``oversight.Flag``), which
    # the public lists filter by through their index of open flags per kind.
    stored_risk_level = models.CharField(
        max_length=10,
        choices=RiskLevel,
        default=RiskLevel.LOW,
        db_default=RiskLevel.LOW,  # and for rows inserted by SQL, until their refresh
        editable=False,
        help_text="The risk rule of its data-sharing terms (``risk_level()``).",
    )
    auditor_is_independent = models.BooleanField(
        null=True,
        editable=False,
        help_text="Null without an auditor; false when the auditor is a party.",
    )
    DERIVED_FIELDS = ("stored_risk_level", "auditor_is_independent")

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

    # What an editor may withhold from the public, with a reason (the title names the
    # record everywhere: a title must be fit to publish).
    WITHHOLDABLE_FIELDS = (
        "reference",
        "signed_on",
        "effective_from",
        "expires_on",
        "independent_auditor",
        "public_summary",
    )
    # A public field computed from a withheld one is withheld with it: an agreement never
    # reviewed is due for review one interval after it takes effect.
    WITHHELD_WITH = {"next_review_due": "effective_from"}

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["partnership", "-effective_from", "title"]
        constraints = [
            *Publishable.Meta.constraints,
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(expires_on__gte=F("effective_from")),
                name="agreement_expires_on_after_effective_from",
                violation_error_message=_("An agreement cannot expire before it takes effect."),
            ),
            models.CheckConstraint(
                condition=Q(review_interval_months__gt=0),
                name="agreement_review_interval_positive",
                violation_error_message=_("The review interval must be at least one month."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["signed", "active"]) | Q(signed_on__isnull=False),
                name="agreement_in_force_has_signed_on",
                violation_error_message=_("A signed or active agreement needs its signing date."),
            ),
        ]
        indexes = [
            *Publishable.Meta.indexes,
            # The flagging job: agreements in force whose review date has passed.
            models.Index(fields=["status", "next_review_due"], name="agreement_status_review_idx"),
            # ?risk_level=... of the public lists, in their order (title, id): a page of
            # 50 read in order instead of a sort of every match.
            models.Index(
                fields=["stored_risk_level", "title", "id"],
                condition=Q(**public_values()),
                name="agreement_public_risk_idx",
            ),
            # The public lists' default order (title, id): the first page, and any page by
            # cursor, of /api/v1/agreements/ read in order instead of a sort of every public
            # agreement (0.5 s at 1,000,000; benchmarks/RESULTS.md).
            models.Index(
                fields=["title", "id"],
                condition=Q(**public_values()),
                name="agreement_public_title_idx",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("public:agreement", kwargs={"pk": self.pk})

    def clean(self):
        """The check constraints' rules as field errors, so that a form shows them next to
        the field instead of the database refusing the row."""
        errors = {}
        if self.status in self.IN_FORCE and self.signed_on is None:
            # One sentence per status: the word agrees with "agreement" in Spanish and French.
            errors["signed_on"] = (
                _("An agreement that is signed needs its signing date.")
                if self.status == self.Status.SIGNED
                else _("An agreement that is active needs its signing date.")
            )
        if self.effective_from and self.expires_on and self.expires_on < self.effective_from:
            errors["expires_on"] = _("An agreement cannot expire before it takes effect.")
        if self.supersedes_id is not None and self.supersedes_id == self.pk:
            errors["supersedes"] = _("An agreement cannot supersede itself.")
        if errors:
            raise ValidationError(errors)

    def is_public(self) -> bool:
        """Public only if both it and its partnership are public (published, and not
        restricted): the partnership's state is inherited unless the agreement's own is
        stricter."""
        return (
            self.visibility == Visibility.PUBLIC
            and self.is_published
            and self.partnership.visibility == Visibility.PUBLIC
            and self.partnership.is_published
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
            return [gettext("No data-sharing terms are recorded.")]
        level = self.risk_level()
        reasons = [term.risk_reason() for term in terms if term.risk_level() == level]
        return list(dict.fromkeys(reasons))

    def party_organization_ids(self) -> set[int]:
        return {party.organization_id for party in self.partnership.parties.all()}

    def has_independent_auditor(self, party_organization_ids: set[int] | None = None) -> bool:
        """An auditor is independent when it is not a party to the partnership (whose
        parties' organizations are read unless given: a bulk import reads them once)."""
        if self.independent_auditor_id is None:
            return False
        if party_organization_ids is None:
            party_organization_ids = self.party_organization_ids()
        return self.independent_auditor_id not in party_organization_ids

    @property
    def is_review_overdue(self) -> bool:
        """In force, and its next review was due before today (the rule of
        ``AgreementQuerySet.review_overdue``, for one agreement on a page)."""
        return (
            self.status in self.IN_FORCE
            and self.next_review_due is not None
            and self.next_review_due < timezone.localdate()
        )

    def compute_next_review_due(self) -> date | None:
        """The last completed review's date, or else ``effective_from``, plus the interval."""
        last_completed_on = (
            self.reviews.filter(status="completed", completed_on__isnull=False)
            .order_by("-completed_on")
            .values_list("completed_on", flat=True)
            .first()
        )
        return self.review_due_after(last_completed_on or self.effective_from)

    def review_due_after(self, start: date | None) -> date | None:
        """When a review is due after ``start`` (a completed review, or the date it takes
        effect): one review interval later; None without a start."""
        if start is None:
            return None
        return start + relativedelta(months=self.review_interval_months)


class AgreementSignatory(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signings")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("Organization")
    )
    signed_on = models.DateField(_("Signed on"), null=True, blank=True)

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
    version = models.PositiveIntegerField(_("Version"))
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
    embargoed_until = models.DateField(
        null=True,
        blank=True,
        help_text="A public version stays unpublished until this date; the daily job "
        "publishes it then.",
    )

    # A version's text may be withheld while its existence, size and SHA-256 stay public.
    WITHHOLDABLE_FIELDS = ("file",)

    objects = AgreementDocumentQuerySet.as_manager()

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

    @property
    def is_published(self) -> bool:
        """Public with its agreement: marked public and out of embargo."""
        return self.is_public and self.embargoed_until is None

    def stored_text(self) -> "DocumentText | None":
        """Its text as read from the PDF, or None when it has not been read yet."""
        try:
            return self.text
        except DocumentText.DoesNotExist:
            return None


class DocumentText(models.Model):
    """The text of a document version, read from its PDF when it is uploaded
    (``documents.extract_text``); a version without one has not been read yet
    (``manage.py extract_document_texts`` reads them).

    Its own table, not audited: the text is derived from the file, whose SHA-256 the
    audit log keeps, and an audited copy would repeat the whole text with every change of
    the version (its publication, its embargo)."""

    class Status(models.TextChoices):
        EXTRACTED = "extracted", _("Text extracted")
        NO_TEXT_LAYER = "no_text_layer", _("No text layer (a scan)")
        UNREADABLE = "unreadable", _("The text could not be read")

    document = models.OneToOneField(
        AgreementDocument, on_delete=models.CASCADE, primary_key=True, related_name="text"
    )
    status = models.CharField(max_length=20, choices=Status)
    text = models.TextField(blank=True)
    pages_read = models.PositiveIntegerField(default=0)
    truncated = models.BooleanField(
        default=False, help_text="Only the first pages or characters were read (the bounds)."
    )
    extracted_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "document text"

    def __str__(self):
        return f"Text of {self.document}"

    @property
    def has_text(self) -> bool:
        return self.status == self.Status.EXTRACTED


class DataSharingTerm(TimeStampedModel):
    # Declared in ``choices.py``, where the risk rule reads them too.
    DataCategory = DataCategory
    Direction = Direction
    SurveillancePractice = SurveillancePractice

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", _("Consent")
        LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
        PUBLIC_TASK = "public_task", _("Public task")
        VITAL_INTERESTS = "vital_interests", _("Vital interests")
        LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests")
        COURT_ORDER = "court_order", _("Court order")
        NONE_STATED = "none_stated", _("None stated")

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="data_sharing_terms"
    )
    data_category = models.CharField(_("Data category"), max_length=30, choices=DataCategory)
    direction = models.CharField(_("Direction"), max_length=20, choices=Direction)
    purpose = models.TextField(_("Purpose"))
    legal_basis = models.CharField(
        _("Legal basis"), max_length=30, choices=LegalBasis, default=LegalBasis.NONE_STATED
    )
    legal_instrument = models.CharField(
        _("Legal instrument"),
        max_length=200,
        blank=True,
        help_text=_('e.g. "GDPR", "Investigatory Powers Act 2016".'),
    )
    consent_required = models.BooleanField(_("Consent required"), default=False)
    retention_days = models.PositiveIntegerField(
        _("Retention days"),
        null=True,
        blank=True,
        help_text=_("Empty when the agreement states no retention period."),
    )
    onward_sharing_allowed = models.BooleanField(_("Onward sharing allowed"), default=False)
    access_controls = models.TextField(_("Access controls"), blank=True)
    surveillance_practice = models.CharField(
        _("Surveillance practice"),
        max_length=30,
        choices=SurveillancePractice,
        default=SurveillancePractice.NONE,
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

    # What an editor may withhold from the public (the category, direction and practice
    # stay public: the risk level and the oversight flags are derived from them).
    WITHHOLDABLE_FIELDS = ("purpose", "legal_instrument", "retention_days", "access_controls")

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
        """Why this term has its risk level, in the words of the risk rule (in the reader's
        language)."""
        words = {
            "category": self.get_data_category_display(),
            "direction": self.get_direction_display(),
        }
        if self.surveillance_practice != self.SurveillancePractice.NONE:
            return gettext("A surveillance practice is involved: %(practice)s.") % {
                "practice": self.get_surveillance_practice_display()
            }
        if (
            self.data_category in HIGH_RISK_CATEGORIES_TO_POLICE
            and self.direction in TOWARDS_POLICE
        ):
            return gettext("%(category)s flow to the police (%(direction)s).") % words
        if self.data_category in MEDIUM_RISK_CATEGORIES:
            return gettext("%(category)s are shared (%(direction)s).") % words
        if self.onward_sharing_allowed:
            return gettext("%(category)s may be shared onward with third parties.") % words
        if self.data_category in HIGH_RISK_CATEGORIES_TO_POLICE:
            return (
                gettext(
                    "%(category)s flow only from the police to the NGO, with no onward sharing."
                )
                % words
            )
        return gettext("%(category)s, with no onward sharing and no surveillance practice.") % words


class AgreementSource(Agreement.sources.through):
    """The link of an agreement to a source, audited through this proxy of its table."""

    class Meta:
        proxy = True


# The audit trail: every create, update and delete of these records, written by database
# triggers, and what the histories show of them (see ``audit.registry``).
AgreementEvent = track(
    Agreement,
    record=_("Agreement"),
    derived=Agreement.DERIVED_FIELDS,
    slug="agreement",
    public_fields=Agreement.PUBLIC_FIELDS,
    public_if=public_values(),
    gated_by="partnership",
    named_by="title",
    named_among=Agreement.objects.public,
    withheld=withheld_by_record,
)
AgreementSignatoryEvent = track(
    AgreementSignatory,
    record=_("Signatory"),
    slug="signatory",
    parent="agreement",
    public_fields=("organization", "signed_on"),
)
AgreementDocumentEvent = track(
    AgreementDocument,
    record=_("Document version"),
    slug="document",
    parent="agreement",
    public_fields=("version", "sha256", "size_bytes", "is_public"),
    public_if={"is_public": True, "embargoed_until": None},
)
DataSharingTermEvent = track(
    DataSharingTerm,
    record=_("Data-sharing term"),
    slug="term",
    parent="agreement",
    public_fields=DataSharingTerm.FIELDS,
    withheld=withheld_by_record,
)
AgreementSourceEvent = track(
    AgreementSource,
    record=_("Source"),
    slug="agreement-source-link",
    parent="agreement",
    public_fields=("source",),
)
