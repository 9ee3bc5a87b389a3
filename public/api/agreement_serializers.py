"""The public shape of an agreement, for the OpenAPI schema (presented by
``agreements.api``). No uploader, no non-public document version, no private field."""

from rest_framework import serializers

from agreements.models import Agreement, DataSharingTerm, RiskLevel
from core.api.viewsets import RelatedSerializer
from oversight.models import Flag

from .serializers import OrganizationRefSerializer, SourceSerializer


class DataSharingTermSerializer(serializers.Serializer):
    data_category = serializers.ChoiceField(choices=DataSharingTerm.DataCategory.choices)
    direction = serializers.ChoiceField(choices=DataSharingTerm.Direction.choices)
    purpose = serializers.CharField()
    legal_basis = serializers.ChoiceField(choices=DataSharingTerm.LegalBasis.choices)
    legal_instrument = serializers.CharField(allow_blank=True)
    consent_required = serializers.BooleanField()
    retention_days = serializers.IntegerField(
        allow_null=True, help_text="Null when the agreement states no retention period."
    )
    onward_sharing_allowed = serializers.BooleanField()
    access_controls = serializers.CharField(allow_blank=True)
    surveillance_practice = serializers.ChoiceField(
        choices=DataSharingTerm.SurveillancePractice.choices
    )
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)


class SignatorySerializer(serializers.Serializer):
    organization = OrganizationRefSerializer()
    signed_on = serializers.DateField(allow_null=True)


class DocumentSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="SHA-256 of the file, hex.")
    size_bytes = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.URLField(help_text="Download (PDF).")


class AgreementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    html_url = serializers.URLField(help_text="The agreement's public page.")
    partnership = RelatedSerializer()
    kind = serializers.ChoiceField(choices=Agreement.Kind.choices)
    reference = serializers.CharField(allow_blank=True)
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Agreement.Status.choices)
    signed_on = serializers.DateField(allow_null=True)
    effective_from = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    review_interval_months = serializers.IntegerField()
    next_review_due = serializers.DateField(allow_null=True)
    review_overdue = serializers.BooleanField(
        help_text="Signed or active and the next review was due before today."
    )
    supersedes = RelatedSerializer(allow_null=True, help_text="Null unless it is public.")
    independent_auditor = OrganizationRefSerializer(allow_null=True)
    has_independent_auditor = serializers.BooleanField(
        help_text="An auditor that is not a party to the partnership."
    )
    risk_level = serializers.ChoiceField(
        choices=RiskLevel.choices, help_text="Derived from the data-sharing terms."
    )
    public_summary = serializers.CharField(allow_blank=True)
    signatories = SignatorySerializer(many=True)
    data_sharing_terms = DataSharingTermSerializer(many=True)
    documents = DocumentSerializer(many=True, help_text="The public versions of its text.")
    open_flags = serializers.ListField(child=serializers.ChoiceField(choices=Flag.Kind.choices))
    sources = SourceSerializer(many=True)
    updated_at = serializers.DateTimeField()
