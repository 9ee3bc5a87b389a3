"""Who works with whom: organizations, partnerships, their parties and evidence."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from audit.registry import name_publicly, track
from core.models import StoresDerivedFacts, TimeStampedModel
from publication.models import Publishable
from publication.withholding import withheld_by_record

from .choices import Region, Visibility
from .querysets import (
    MembershipQuerySet,
    OrganizationQuerySet,
    PartnershipPartyQuerySet,
    PartnershipQuerySet,
    SourceQuerySet,
    public_values,
)

# The FBI's Originating Agency Identifier: the two letters of the state, then seven
# letters or digits (NY0303000). The one declaration of the format: the model's validator
# and the database's check constraint both read it.
ORI_PATTERN = r"^[A-Z]{2}[A-Z0-9]{7}$"
ORI_FORMAT = _(
    "An ORI is 9 characters: the two letters of the state, then 7 letters or digits "
    "(e.g. NY0303000)."
)


class Organization(TimeStampedModel):
    class Kind(models.TextChoices):
        NGO = "ngo", _("NGO")
        POLICE_AGENCY = "police_agency", _("Police agency")
        OVERSIGHT_BODY = "oversight_body", _("Oversight body")
        COMMUNITY_BOARD = "community_board", _("Community board")
        AUDITOR = "auditor", _("Auditor")
        OTHER = "other", _("Other")

    class NgoType(models.TextChoices):
        HUMAN_RIGHTS = "human_rights", _("Human rights")
        COMMUNITY_DEVELOPMENT = "community_development", _("Community development")
        ADVOCACY_NETWORK = "advocacy_network", _("Advocacy network")
        RESEARCH_INSTITUTION = "research_institution", _("Research institution")
        VICTIM_SUPPORT = "victim_support", _("Victim support")
        SERVICE_PROVIDER = "service_provider", _("Service provider")

    class Scope(models.TextChoices):
        LOCAL = "local", _("Local")
        NATIONAL = "national", _("National")
        INTERNATIONAL = "international", _("International")

    # Organizations whose members oversee partnerships rather than run them.
    OVERSIGHT_KINDS = (Kind.OVERSIGHT_BODY, Kind.COMMUNITY_BOARD, Kind.AUDITOR)

    name = models.CharField(_("Name"), max_length=200)
    slug = models.SlugField(max_length=200, unique=True, help_text="Stable public identifier.")
    kind = models.CharField(_("Kind"), max_length=20, choices=Kind)
    ngo_type = models.CharField(
        "NGO type", max_length=30, choices=NgoType, blank=True, help_text="For NGOs only."
    )
    scope = models.CharField(max_length=20, choices=Scope, blank=True)
    country = CountryField(_("Country"), blank=True)
    region = models.CharField(max_length=20, choices=Region, blank=True)
    city = models.CharField(_("City"), max_length=120, blank=True)
    website = models.URLField(_("Website"), blank=True)
    description = models.TextField(_("Description"), blank=True)
    ori = models.CharField(
        "ORI",
        max_length=9,
        blank=True,
        validators=[RegexValidator(ORI_PATTERN, ORI_FORMAT)],
        help_text="A police agency's ORI code, where it has one.",
    )
    registration_number = models.CharField(
        _("Registration number"),
        max_length=60,
        blank=True,
        help_text=_("An NGO's charity or company registry number."),
    )
    registry_name = models.CharField(
        _("Registry name"),
        max_length=200,
        blank=True,
        help_text=_(
            "The registry that issued the registration number, e.g. "
            "“Charity Commission for England and Wales”."
        ),
    )
    # Staff may propose an organization that is missing from the registry; it
    # stays off the public lists until a site administrator confirms it.
    is_confirmed = models.BooleanField(
        "confirmed",
        default=True,
        help_text="Confirmed by a site administrator. Proposed organizations are not published.",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who proposed it (private).",
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            # The public list's order (name, id; ``/api/v1/organizations/``), and the same
            # of one kind (``?kind=``): a page, first or by cursor, is read in order instead
            # of a sort of every confirmed organization.
            models.Index(
                fields=["name", "id"],
                condition=Q(is_confirmed=True),
                name="organization_public_name_idx",
            ),
            models.Index(
                fields=["kind", "name", "id"],
                condition=Q(is_confirmed=True),
                name="organization_public_kind_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ngo_type="") | Q(kind="ngo"),
                name="organization_ngo_type_only_for_ngos",
            ),
            models.CheckConstraint(
                condition=Q(ori="") | Q(kind="police_agency", ori__regex=ORI_PATTERN),
                name="organization_ori_of_police_agencies",
                violation_error_message=format_lazy(
                    "{} {}", _("Only a police agency has an ORI."), ORI_FORMAT
                ),
            ),
        ]

    # What an organization's editors change of it on the staff pages.
    IDENTIFIER_FIELDS = ("ori", "registration_number", "registry_name", "website")

    def __str__(self):
        return self.name

    def clean(self):
        # The rules as field errors the identifiers form shows next to their field.
        errors = {}
        if self.ori and self.kind != self.Kind.POLICE_AGENCY:
            errors["ori"] = _("Only a police agency has an ORI.")
        if self.registration_number and not self.registry_name:
            errors["registry_name"] = _("Name the registry that issued this number.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_oversight(self) -> bool:
        return self.kind in self.OVERSIGHT_KINDS


class FocusArea(models.Model):
    """A controlled vocabulary; the initial terms come with a data migration."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Source(TimeStampedModel):
    """Evidence for a partnership or an agreement, for journalists to cite."""

    class Kind(models.TextChoices):
        OFFICIAL_DOCUMENT = "official_document", _("Official document")
        FOI_RESPONSE = "foi_response", _("Freedom-of-information response")
        NEWS_REPORT = "news_report", _("News report")
        NGO_REPORT = "ngo_report", _("NGO report")
        COURT_RECORD = "court_record", _("Court record")
        OTHER = "other", _("Other")

    title = models.CharField(_("Title"), max_length=300)
    url = models.URLField("URL", max_length=500, blank=True)
    kind = models.CharField(_("Kind"), max_length=20, choices=Kind)
    published_on = models.DateField(_("Published on"), null=True, blank=True)
    archived_url = models.URLField(
        "archived URL", max_length=500, blank=True, help_text="A copy in a web archive."
    )

    objects = SourceQuerySet.as_manager()

    # What a staff form edits; the public sees all of it with a public record citing it.
    EDITABLE_FIELDS = ("url", "title", "kind", "published_on", "archived_url")

    class Meta:
        # Newest first, undated ones last (as the API lists them).
        ordering = [F("published_on").desc(nulls_last=True), "title"]

    def __str__(self):
        return self.title


class Partnership(StoresDerivedFacts, Publishable, TimeStampedModel):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        # Its own context: a partnership is feminine in Spanish (activa), an agreement not.
        ACTIVE = "active", pgettext_lazy("partnership status", "Active")
        SUSPENDED = "suspended", _("Suspended")
        ENDED = "ended", _("Ended")

    class DatePrecision(models.TextChoices):
        DAY = "day", _("Day")
        MONTH = "month", _("Month")
        YEAR = "year", _("Year")

    title = models.CharField(_("Title"), max_length=300)
    slug = models.SlugField(max_length=200, unique=True, help_text="Stable public identifier.")
    status = models.CharField(_("Status"), max_length=20, choices=Status, default=Status.PROPOSED)
    focus_areas = models.ManyToManyField(
        FocusArea, related_name="partnerships", blank=True, verbose_name=_("Focus areas")
    )
    region = models.CharField(_("Region"), max_length=20, choices=Region)
    country = CountryField(_("Country"))
    established_on = models.DateField(_("Established on"), null=True, blank=True)
    established_precision = models.CharField(
        _("Established precision"),
        max_length=5,
        choices=DatePrecision,
        default=DatePrecision.DAY,
        help_text=_(
            "How much of the establishment date is known; a year-only date is stored as "
            "1 January of that year."
        ),
    )
    ended_on = models.DateField(_("Ended on"), null=True, blank=True)
    objectives = models.TextField(_("Objectives"), blank=True)
    roles_and_responsibilities = models.TextField(_("Roles and responsibilities"), blank=True)
    public_summary = models.TextField(_("Public summary"), blank=True)
    visibility = models.CharField(
        _("Visibility"), max_length=20, choices=Visibility, default=Visibility.PUBLIC
    )
    organizations = models.ManyToManyField(
        Organization, through="PartnershipParty", related_name="partnerships"
    )
    sources = models.ManyToManyField(Source, related_name="partnerships", blank=True)

    # Facts of its public agreements, stored so that the public lists filter by them from
    # columns; never edited: ``agreements.derived`` keeps them with every write that
    # changes an agreement's stored facts or whether it is public.
    highest_risk_level = models.CharField(
        max_length=10,
        # An agreement's ``RiskLevel`` (the partnerships' layer is below its declaration).
        default="low",
        db_default="low",
        editable=False,
        help_text="The highest risk level among its public agreements; low without any.",
    )
    has_independent_auditor = models.BooleanField(
        default=False,
        db_default=False,
        editable=False,
        help_text="One of its public agreements has an auditor that is not a party.",
    )
    DERIVED_FIELDS = ("highest_risk_level", "has_independent_auditor")

    # What a staff form edits (the slug is made from the title, once).
    EDITABLE_FIELDS = (
        "title",
        "status",
        "region",
        "country",
        "established_on",
        "established_precision",
        "ended_on",
        "objectives",
        "roles_and_responsibilities",
        "public_summary",
        "visibility",
    )
    # What the public may see of it, and see change: the API and the public history.
    PUBLIC_FIELDS = (
        "title",
        "slug",
        "status",
        "region",
        "country",
        "established_on",
        "established_precision",
        "ended_on",
        "objectives",
        "roles_and_responsibilities",
        "public_summary",
    )

    # What an editor may withhold from the public, with a reason. The title and slug name
    # the record everywhere (its address, feeds, citations): a title must be fit to publish.
    WITHHOLDABLE_FIELDS = (
        "region",
        "country",
        "established_on",
        "ended_on",
        "objectives",
        "roles_and_responsibilities",
        "public_summary",
    )

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [
            *Publishable.Meta.indexes,
            # ?risk_level=... of the public registry, in its order (title, id).
            models.Index(
                fields=["highest_risk_level", "title", "id"],
                condition=Q(**public_values()),
                name="partnership_public_risk_idx",
            ),
            # The registry's default order (title, id): its first page, and any page by
            # cursor, read in order instead of a sort of every public partnership.
            models.Index(
                fields=["title", "id"],
                condition=Q(**public_values()),
                name="partnership_public_title_idx",
            ),
        ]
        constraints = [
            *Publishable.Meta.constraints,
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(established_on__isnull=True)
                | Q(ended_on__gte=F("established_on")),
                name="partnership_ended_on_after_established_on",
                violation_error_message=_("A partnership cannot end before it was established."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("public:partnership", kwargs={"slug": self.slug})

    def clean(self):
        # The same rule as the check constraint, as a field error the form can show.
        if self.established_on and self.ended_on and self.ended_on < self.established_on:
            raise ValidationError(
                {"ended_on": _("A partnership cannot end before it was established.")}
            )

    def missing_party_roles(self) -> list[str]:
        """What the partnership still lacks of "at least one NGO and one police agency"."""
        return PartnershipParty.missing_roles({party.role for party in self.parties.all()})


class PartnershipParty(TimeStampedModel):
    class Role(models.TextChoices):
        LEAD_NGO = "lead_ngo", _("Lead NGO")
        PARTNER_NGO = "partner_ngo", _("Partner NGO")
        POLICE_AGENCY = "police_agency", _("Police agency")
        FUNDER = "funder", _("Funder")
        OTHER = "other", _("Other")

    NGO_ROLES = (Role.LEAD_NGO, Role.PARTNER_NGO)

    @classmethod
    def missing_roles(cls, roles) -> list[str]:
        """What parties of these ``roles`` lack of "at least one NGO and one police
        agency" (the rule of ``Partnership.missing_party_roles``, for parties not saved
        yet: an import checks a new partnership's before creating it)."""
        missing = []
        if not set(roles) & set(cls.NGO_ROLES):
            missing.append(_("an NGO"))
        if cls.Role.POLICE_AGENCY not in roles:
            missing.append(_("a police agency"))
        return missing

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="parties")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="party_roles",
        verbose_name=_("Organization"),
    )
    role = models.CharField(_("Role"), max_length=20, choices=Role)

    objects = PartnershipPartyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "partnership parties"
        ordering = ["partnership", "role", "organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organization"], name="party_once_per_partnership"
            ),
        ]

    def __str__(self):
        return f"{self.organization} ({self.get_role_display()}) in {self.partnership}"


class Membership(TimeStampedModel):
    """A person acting for an organization. People are private: never published."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("Role"), max_length=10, choices=Role, default=Role.VIEWER)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_once_per_organization"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} of {self.organization}"


# Links of the many-to-many fields, audited through proxies of their tables (the tables
# Django creates cannot carry triggers of their own in migrations).
class PartnershipFocusArea(Partnership.focus_areas.through):
    class Meta:
        proxy = True


class PartnershipSource(Partnership.sources.through):
    class Meta:
        proxy = True


# The audit trail: every create, update and delete of these records, written by database
# triggers, and what the histories show of them (see ``audit.registry``).
OrganizationEvent = track(
    Organization,
    record=_("Organization"),
    slug="organization",
    named_by="name",
    named_among=Organization.objects.public,
    acting_for="organizations",
)
SourceEvent = track(Source, record=_("Source"), slug="source", named_by="title")
PartnershipEvent = track(
    Partnership,
    record=_("Partnership"),
    derived=Partnership.DERIVED_FIELDS,
    slug="partnership",
    public_fields=Partnership.PUBLIC_FIELDS,
    public_if=public_values(),
    withheld=withheld_by_record,
)
PartnershipPartyEvent = track(
    PartnershipParty,
    record=_("Party"),
    slug="party",
    parent="partnership",
    public_fields=("organization", "role"),
)
MembershipEvent = track(Membership, record=_("Membership"), slug="membership")
PartnershipFocusAreaEvent = track(
    PartnershipFocusArea,
    record=_("Focus area"),
    slug="focus-area-link",
    parent="partnership",
    public_fields=("focusarea",),
)
PartnershipSourceEvent = track(
    PartnershipSource,
    record=_("Source"),
    slug="partnership-source-link",
    parent="partnership",
    public_fields=("source",),
)
name_publicly(FocusArea, by="name")
