"""Public shapes of reviews and flags, for the OpenAPI schema (presented by
``oversight.api``). A review's private ``notes`` are never part of them."""

from rest_framework import serializers

from core.api.viewsets import RelatedSerializer
from oversight.models import Finding, Flag, Review

from .serializers import OrganizationRefSerializer


class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    severity = serializers.ChoiceField(choices=Finding.Severity.choices)
    summary = serializers.CharField()
    corrective_action = serializers.CharField(allow_blank=True)
    due_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=Finding.Status.choices)
    resolved_on = serializers.DateField(allow_null=True)


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    agreement = RelatedSerializer()
    partnership = RelatedSerializer()
    reviewer = OrganizationRefSerializer(allow_null=True)
    is_independent = serializers.BooleanField(
        help_text="The reviewer is not a party to the partnership."
    )
    kind = serializers.ChoiceField(choices=Review.Kind.choices)
    status = serializers.ChoiceField(choices=Review.Status.choices)
    started_on = serializers.DateField(allow_null=True)
    completed_on = serializers.DateField(allow_null=True)
    outcome = serializers.ChoiceField(choices=Review.Outcome.choices, allow_blank=True)
    public_summary = serializers.CharField(allow_blank=True)
    findings = FindingSerializer(many=True)
    updated_at = serializers.DateTimeField()


class FlagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    agreement = RelatedSerializer()
    partnership = RelatedSerializer()
    kind = serializers.ChoiceField(choices=Flag.Kind.choices)
    is_open = serializers.BooleanField()
    raised_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution = serializers.CharField(allow_blank=True, help_text="Why the flag was closed.")
    detail = serializers.CharField(allow_blank=True)
