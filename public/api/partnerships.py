"""``/api/v1/organizations/`` and ``/api/v1/partnerships/``: public records only."""

from django.db.models import F, Min, OuterRef, Subquery
from rest_framework import serializers

from agreements.models import Agreement, RiskLevel
from audit.api import PublicHistoryMixin
from core.api.columns import (
    ApiUrl,
    Column,
    Link,
    ListUrl,
    Many,
    ManyValues,
    ReadBack,
    Shape,
    among,
    each,
    model_columns,
    ref_name,
    ref_slug,
)
from core.api.viewsets import PublicViewSet
from oversight.models import Flag
from partnerships.filters import OrganizationFilter
from partnerships.models import Organization, Partnership, PartnershipParty, Region
from public.filters import PartnershipFilter

from .references import ID, PUBLISHED_AT, RELATED, organization, sources, withheld

ORGANIZATION = Shape(
    "Organization",
    ID,
    ApiUrl(),
    Column("slug", serializers.SlugField(help_text="Stable public identifier.")),
    Column("name", serializers.CharField()),
    Column("kind", serializers.ChoiceField(choices=Organization.Kind.choices)),
    Column(
        "ngo_type",
        serializers.ChoiceField(
            choices=Organization.NgoType.choices, allow_blank=True, help_text="For NGOs only."
        ),
    ),
    Column("scope", serializers.ChoiceField(choices=Organization.Scope.choices, allow_blank=True)),
    Column("country", serializers.CharField(help_text="ISO 3166-1 alpha-2 code, or empty.")),
    Column("region", serializers.ChoiceField(choices=Region.choices, allow_blank=True)),
    Column("city", serializers.CharField(allow_blank=True)),
    Column("website", serializers.CharField(allow_blank=True)),
    Column("description", serializers.CharField(allow_blank=True)),
    Column("ori", serializers.CharField(allow_blank=True, help_text="A police agency's ORI code.")),
    Column(
        "registration_number",
        serializers.CharField(
            allow_blank=True, help_text="An NGO's charity or company registry number."
        ),
    ),
    Column(
        "registry_name",
        serializers.CharField(
            allow_blank=True, help_text="The registry that issued the registration number."
        ),
    ),
    ListUrl(
        "partnerships",
        serializers.URLField(
            help_text="The public partnerships it is a party to (the filtered list)."
        ),
        basename="partnership",
        param="organization",
        source="slug",
        csv_last=True,
    ),
    Column("updated_at", serializers.DateTimeField()),
)


class OrganizationViewSet(PublicViewSet):
    """Organizations: NGOs, police agencies, oversight bodies. No people."""

    basename = "organization"
    export_name = "organizations"
    shape = ORGANIZATION
    filterset_class = OrganizationFilter
    queryset = Organization.objects.none()  # for the schema; requests use base_queryset()

    def base_queryset(self):
        return Organization.objects.public().order_by("name", "pk")


def partnership_queryset():
    """Public partnerships with the facts of their public agreements annotated."""
    public_agreements = Agreement.objects.public()
    next_review = (
        public_agreements.in_force()
        .filter(partnership=OuterRef("pk"), next_review_due__isnull=False)
        .order_by()
        .values("partnership")
        .annotate(due=Min("next_review_due"))
        .values("due")
    )
    return (
        Partnership.objects.public()
        # Stored by ``agreements.derived``: the highest among its public agreements.
        .annotate(derived_risk_level=F("highest_risk_level"))
        .annotate(next_review_due=Subquery(next_review))
        .order_by("title", "pk")
    )


FOCUS_AREA = Shape(
    "FocusArea",
    Column("slug", serializers.SlugField()),
    Column("name", serializers.CharField()),
    ListUrl(
        "url",
        serializers.URLField(help_text="The partnerships in this focus area."),
        basename="partnership",
        param="focus_area",
        source="slug",
    ),
)

PARTY = Shape(
    "Party",
    organization("organization"),
    Column("role", serializers.ChoiceField(choices=PartnershipParty.Role.choices)),
)


def party_names(*roles):
    """The names of the parties of these roles, for one CSV cell."""
    return lambda parties: [
        ref_name(party["organization"]) for party in parties if party["role"] in roles
    ]


def party_keys(parties: list[dict]) -> list[str]:
    """Every party as ``<organization slug>:<role>``, for the cell an import reads back."""
    return [f"{ref_slug(party['organization'])}:{party['role']}" for party in parties]


def party_key(item: str) -> tuple[str, str]:
    """``(organization slug, role)`` from an item of ``party_keys``."""
    slug, _, role = item.rpartition(":")
    return slug, role


PARTNERSHIP = Shape(
    "Partnership",
    ID,
    ApiUrl(),
    Link(
        "html_url",
        serializers.URLField(help_text="The partnership's public page."),
        route="public:partnership",
        args={"slug": "slug"},
    ),
    # The identifiers first, then the partnership's public fields.
    Column("slug", serializers.SlugField(help_text="Stable public identifier.")),
    *model_columns(
        Partnership,
        Partnership.PUBLIC_FIELDS,
        exclude=("slug",),
        country={"schema": serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")},
        established_precision={
            "help_text": "year: only the year of established_on is known (stored as 1 January)."
        },
        objectives={"csv_last": True},
        roles_and_responsibilities={"csv_last": True},
        public_summary={"csv_last": True},
    ),
    withheld(Partnership),
    Many(
        "focus_areas",
        FOCUS_AREA,
        rows=lambda ids: Partnership.focus_areas.through.objects.filter(
            partnership_id__in=among(ids)
        ).order_by("focusarea__name"),
        owner="partnership_id",
        via="focusarea",
        csv=(("focus_areas", each("slug"), ReadBack("focus_areas", key="slug", many=True)),),
    ),
    Many(
        "parties",
        PARTY,
        rows=lambda ids: PartnershipParty.objects.filter(
            partnership_id__in=among(ids), organization__is_confirmed=True
        ).order_by("role", "organization__name"),
        owner="partnership_id",
        csv=(
            ("ngo_parties", party_names(*PartnershipParty.NGO_ROLES)),
            ("police_parties", party_names(PartnershipParty.Role.POLICE_AGENCY)),
            (
                "other_parties",
                party_names(PartnershipParty.Role.FUNDER, PartnershipParty.Role.OTHER),
            ),
            ("parties", party_keys, ReadBack("parties", key="slug", many=True, parse=party_key)),
        ),
    ),
    Column(
        "risk_level",
        serializers.ChoiceField(
            choices=RiskLevel.choices,
            help_text="The highest risk among its public agreements; low when it has none.",
        ),
        source="derived_risk_level",
    ),
    ManyValues(
        "open_flags",
        serializers.ListField(
            child=serializers.ChoiceField(choices=Flag.Kind.choices),
            help_text="Kinds of the open flags of its public agreements.",
        ),
        rows=lambda ids: (
            Flag.objects.open()
            .filter(agreement__in=Agreement.objects.public().filter(partnership_id__in=among(ids)))
            .order_by("kind")
            .distinct()
        ),
        owner="agreement__partnership_id",
        field="kind",
    ),
    Column(
        "next_review_due",
        serializers.DateField(
            allow_null=True,
            help_text="The earliest review date of its signed or active public agreements.",
        ),
    ),
    Many(
        "agreements",
        RELATED,
        rows=lambda ids: (
            Agreement.objects.public()
            .filter(partnership_id__in=among(ids))
            .order_by("-effective_from", "title", "pk")
        ),
        owner="partnership_id",
        basename="agreement",
        help_text="Its public agreements.",
        csv=(("agreement_ids", each("id")),),
    ),
    sources(
        Partnership.sources.through,
        "partnership_id",
        csv=(("source_urls", each("url")),),
        csv_last=True,
    ),
    PUBLISHED_AT,
    Column("updated_at", serializers.DateTimeField(), csv_last=True),
)


class PartnershipViewSet(PublicHistoryMixin, PublicViewSet):
    """Partnerships with their parties, focus areas, risk, open flags and next review."""

    basename = "partnership"
    export_name = "partnerships"
    shape = PARTNERSHIP
    filterset_class = PartnershipFilter
    queryset = Partnership.objects.none()

    def base_queryset(self):
        return partnership_queryset()
