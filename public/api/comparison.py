"""``/api/v1/agreements/<id>/documents/compare/?from=1&to=2``: what changed between two
public versions of an agreement's text, clause by clause (``agreements.clauses``).

The serializers below are the answer's one declaration: they render the comparison and
are its OpenAPI schema."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from agreements import permissions
from agreements.clauses import TOPIC_NAMES, Span, Status
from agreements.documents import compare_versions
from agreements.forms import VersionCompareForm
from agreements.models import Agreement, DocumentText
from core.api.viewsets import UNKNOWN_PARAMETER, ErrorSerializer

NOT_PUBLIC = "No public version with this number (or its text is withheld)."


class WordSpanSerializer(serializers.Serializer):
    op = serializers.ChoiceField(
        choices=Span.ALL,
        help_text="equal: in both versions; delete: only in the older; insert: only in the "
        "newer. A replaced run of words is its deletion, then its insertion.",
    )
    text = serializers.CharField(help_text="The words, separated by single spaces.")


class ClauseChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Status.ALL,
        help_text="moved: matched, but out of the order of the clauses around it (its words "
        "may have changed too).",
    )
    label = serializers.CharField(help_text="The clause's first line, in the newer version if any.")
    old_number = serializers.CharField(
        allow_null=True,
        help_text='Its number in the older version ("" for a heading or the preamble); null '
        "when added.",
    )
    new_number = serializers.CharField(
        allow_null=True, help_text="Its number in the newer version; null when removed."
    )
    renumbered = serializers.BooleanField()
    topics = serializers.ListField(
        child=serializers.ChoiceField(choices=TOPIC_NAMES),
        help_text="The topics its words touch, in either version.",
    )
    spans = WordSpanSerializer(many=True, help_text="Its words, with what changed.")


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="SHA-256 of the PDF, hex.")
    text_status = serializers.ChoiceField(
        choices=DocumentText.Status.choices,
        allow_null=True,
        source="stored_text.status",
        help_text="null: not read yet. no_text_layer: a scan, with no text to compare.",
    )


class SummarySerializer(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    changed = serializers.IntegerField()
    moved = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class DocumentComparisonSerializer(serializers.Serializer):
    agreement = serializers.URLField()
    older = VersionSerializer(source="older_document")
    newer = VersionSerializer(source="newer_document")
    comparable = serializers.BooleanField(
        help_text="false when either version has no text (a scan, or not read yet): then "
        "there are no clauses."
    )
    summary = SummarySerializer(allow_null=True, source="comparison.summary")
    changed_topics = serializers.ListField(
        child=serializers.ChoiceField(choices=TOPIC_NAMES),
        source="comparison.changed_topics",
        allow_null=True,
        help_text="The topics of the clauses that are not unchanged.",
    )
    clauses = ClauseChangeSerializer(
        many=True,
        source="comparison.clauses",
        allow_null=True,
        help_text="In the newer version's order; a removed clause where it was.",
    )


class DocumentComparisonMixin:
    """Adds ``<id>/documents/compare/`` to the agreements' viewset."""

    @extend_schema(
        summary="Compare two public versions of the agreement's text",
        description="What changed between the two versions, clause by clause: each clause "
        "(numbered: 1., 1.2, Clause 4, Section 5, Article 6; or a heading) with its status "
        "and its words, with the words deleted and inserted. A renumbered clause is matched "
        "with its old self; a clause out of the order of the others is moved.",
        parameters=[
            OpenApiParameter(
                name, OpenApiTypes.INT, required=True, description=f"Version number ({role})."
            )
            for name, role in zip(
                VersionCompareForm.FIELDS, ("the older", "the newer"), strict=True
            )
        ],
        responses={
            200: DocumentComparisonSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A missing or bad parameter: the JSON names it.",
            ),
            404: OpenApiResponse(
                ErrorSerializer,
                description="No public agreement with this id, or no public version with "
                "one of the numbers.",
            ),
        },
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="documents/compare",
        filter_backends=[],
        pagination_class=None,
    )
    def compare(self, request, pk=None):
        unknown = sorted(set(request.query_params) - set(VersionCompareForm.FIELDS))
        if unknown:
            raise ValidationError({name: [UNKNOWN_PARAMETER] for name in unknown})
        form = VersionCompareForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {
                    name: [error["message"] for error in errors]
                    for name, errors in form.errors.get_json_data().items()
                }
            )
        agreement = Agreement.objects.public().select_related("partnership").filter(pk=pk).first()
        if agreement is None:
            raise NotFound("No public record with this id.")
        documents = {
            d.version: d
            for d in agreement.documents.public()
            .select_related("text")
            .filter(version__in=[form.cleaned_data[name] for name in form.FIELDS])
        }
        older, newer = (documents.get(form.cleaned_data[name]) for name in form.FIELDS)
        for document in (older, newer):
            if document is None:
                raise NotFound(NOT_PUBLIC)
            document.agreement = agreement
            if not permissions.document_is_public(document):
                raise NotFound(NOT_PUBLIC)
        comparison = compare_versions(older, newer)
        answer = {
            "agreement": request.build_absolute_uri(reverse("api:agreement-detail", args=[pk])),
            "older_document": older,
            "newer_document": newer,
            "comparable": comparison is not None,
            "comparison": comparison,
        }
        return Response(DocumentComparisonSerializer(answer).data)
