"""Public shapes of organizations and partnerships, for the OpenAPI schema.

The API presents rows with ``partnerships.api`` (from ``.values()``, for speed); these
serializers describe exactly that shape, and the schema tests hold the two together.
They carry no person and no private field.
"""

from rest_framework import serializers

from agreements.models import RiskLevel
from core.api.viewsets import RelatedSerializer
from oversight.models import Flag
from partnerships.models import Organization, Partnership, PartnershipParty, Region, Source


class OrganizationRefSerializer(RelatedSerializer):
    slug = serializers.SlugField()


class OrganizationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    slug = serializers.SlugField(help_text="Stable public identifier.")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Organization.Kind.choices)
    ngo_type = serializers.ChoiceField(
        choices=Organization.NgoType.choices, allow_blank=True, help_text="For NGOs only."
    )
    scope = serializers.ChoiceField(choices=Organization.Scope.choices, allow_blank=True)
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code, or empty.")
    region = serializers.ChoiceField(choices=Region.choices, allow_blank=True)
    city = serializers.CharField(allow_blank=True)
    website = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    ori = serializers.CharField(allow_blank=True, help_text="A police agency's ORI code.")
    registration_number = serializers.CharField(
        allow_blank=True, help_text="An NGO's charity or company registry number."
    )
    partnerships = serializers.URLField(
        help_text="The public partnerships it is a party to (the filtered list)."
    )
    updated_at = serializers.DateTimeField()


class FocusAreaSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.URLField(help_text="The partnerships in this focus area.")


class PartySerializer(serializers.Serializer):
    organization = OrganizationRefSerializer()
    role = serializers.ChoiceField(choices=PartnershipParty.Role.choices)


class SourceSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=Source.Kind.choices)
    published_on = serializers.DateField(allow_null=True)
    archived_url = serializers.CharField(allow_blank=True)


class PartnershipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    html_url = serializers.URLField(help_text="The partnership's public page.")
    slug = serializers.SlugField(help_text="Stable public identifier.")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Partnership.Status.choices)
    region = serializers.ChoiceField(choices=Region.choices)
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    established_on = serializers.DateField(allow_null=True)
    established_precision = serializers.ChoiceField(
        choices=Partnership.DatePrecision.choices,
        help_text="year: only the year of established_on is known (stored as 1 January).",
    )
    ended_on = serializers.DateField(allow_null=True)
    objectives = serializers.CharField(allow_blank=True)
    roles_and_responsibilities = serializers.CharField(allow_blank=True)
    public_summary = serializers.CharField(allow_blank=True)
    focus_areas = FocusAreaSerializer(many=True)
    parties = PartySerializer(many=True)
    risk_level = serializers.ChoiceField(
        choices=RiskLevel.choices,
        help_text="The highest risk among its public agreements; low when it has none.",
    )
    open_flags = serializers.ListField(
        child=serializers.ChoiceField(choices=Flag.Kind.choices),
        help_text="Kinds of the open flags of its public agreements.",
    )
    next_review_due = serializers.DateField(
        allow_null=True,
        help_text="The earliest review date of its signed or active public agreements.",
    )
    agreements = RelatedSerializer(many=True, help_text="Its public agreements.")
    sources = SourceSerializer(many=True)
    updated_at = serializers.DateTimeField()


class BreakdownSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The value counted (a choice, a slug or a year).")
    label = serializers.CharField()
    count = serializers.IntegerField()


class PartnershipFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_region = BreakdownSerializer(many=True)
    by_focus_area = BreakdownSerializer(many=True)
    by_status = BreakdownSerializer(many=True)
    by_year_established = BreakdownSerializer(
        many=True, help_text='By year; "unknown" for partnerships without a date.'
    )


class AgreementFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = BreakdownSerializer(many=True)
    by_risk_level = BreakdownSerializer(many=True)
    active = serializers.IntegerField()
    active_with_independent_auditor = serializers.IntegerField()
    share_active_with_independent_auditor = serializers.FloatField(
        allow_null=True, help_text="From 0 to 1; null when no agreement is active."
    )
    review_overdue = serializers.IntegerField(
        help_text="Signed or active agreements whose next review was due before today."
    )


class FlagMonthSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The month, YYYY-MM.")
    label = serializers.CharField()
    raised = serializers.IntegerField(help_text="Flags raised in the month.")
    closed = serializers.IntegerField(help_text="Flags closed in the month.")


class FlagFiguresSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    closed = serializers.IntegerField()
    open_by_kind = BreakdownSerializer(many=True)
    by_month = FlagMonthSerializer(
        many=True, help_text="The last twelve months, oldest first, in the registry's time zone."
    )


class StatsSerializer(serializers.Serializer):
    partnerships = PartnershipFiguresSerializer()
    agreements = AgreementFiguresSerializer()
    flags = FlagFiguresSerializer()
