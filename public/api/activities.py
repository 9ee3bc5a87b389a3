"""``/api/v1/activities/``: the published joint activities of public partnerships, with
their results (a withheld value is null, and listed in ``withheld`` with its reason), and
``/api/v1/activities/totals/``: their results summed per partnership, year and
indicator (withheld values left out)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from activities.filters import ActivityFilter
from activities.models import Activity, ActivityResult, Indicator
from core.api.columns import ApiUrl, Column, Many, Shape, among, each, model_columns
from core.api.viewsets import PublicViewSet
from partnerships.models import Partnership

from .references import ID, PUBLISHED_AT, related, withheld

RESULT = Shape(
    "ActivityResult",
    *model_columns(
        ActivityResult,
        ActivityResult.PUBLIC_FIELDS,
        other_name={"help_text": "The indicator's name when it is other."},
        value={
            "schema": serializers.DecimalField(
                max_digits=14,
                decimal_places=2,
                coerce_to_string=True,
                help_text="The indicator's value, as a decimal string.",
            )
        },
    ),
    withheld(ActivityResult, label=lambda result, position: f"result {position}"),
)

ACTIVITY = Shape(
    "Activity",
    ID,
    ApiUrl(),
    related("partnership", "partnership"),
    *model_columns(Activity, Activity.PUBLIC_FIELDS),
    Many(
        "organizations",
        Shape(
            "ActivityOrganization",
            Column("name", serializers.CharField()),
            Column("slug", serializers.SlugField()),
        ),
        rows=lambda ids: Activity.organizations.through.objects.filter(
            activity_id__in=among(ids), organization__is_confirmed=True
        ).order_by("organization__name"),
        owner="activity_id",
        via="organization",
        help_text="The parties of the partnership involved.",
        csv=(("organizations", each("slug")),),
    ),
    Many(
        "results",
        RESULT,
        rows=lambda ids: ActivityResult.objects.filter(activity_id__in=among(ids)).order_by(
            "period_start", "pk"
        ),
        owner="activity_id",
        help_text="Its results: named indicators with their values, units and periods.",
        csv=(("indicators", each("indicator")),),
    ),
    withheld(Activity),
    Column("updated_at", serializers.DateTimeField()),
    PUBLISHED_AT,
)

TOTALS = inline_serializer(
    "ActivityTotal",
    many=True,
    fields={
        "partnership": serializers.SlugField(),
        "year": serializers.IntegerField(help_text="The year the results' periods end in."),
        "indicator": serializers.ChoiceField(choices=Indicator.choices),
        "name": serializers.CharField(help_text="The indicator's name."),
        "unit": serializers.CharField(),
        "total": serializers.DecimalField(max_digits=20, decimal_places=2),
        "results": serializers.IntegerField(help_text="How many results are summed."),
    },
)


class ActivityViewSet(PublicViewSet):
    """Joint activities (trainings, joint operations, campaigns, referral programmes, task
    forces) of public partnerships, published by the workflow, with their results."""

    basename = "activity"
    export_name = "activities"
    shape = ACTIVITY
    filterset_class = ActivityFilter
    queryset = Activity.objects.none()

    def base_queryset(self):
        return Activity.objects.public().order_by("-started_on", "pk")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "partnership", str, required=True, description="Slug of the partnership."
            )
        ],
        responses={
            200: TOTALS,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="No partnership given, or an unknown parameter: the JSON names it.",
            ),
        },
        filters=False,
    )
    @action(detail=False, url_path="totals", filterset_class=None, pagination_class=None)
    def totals(self, request):
        """A partnership's published results summed per year (the year their period ends),
        indicator and unit; a value withheld from the public is left out of the sums."""
        unknown = sorted(set(request.query_params) - {"partnership"})
        if unknown:
            raise ValidationError({name: ["Not a parameter of this endpoint."] for name in unknown})
        slug = request.query_params.get("partnership", "").strip()
        if not slug:
            raise ValidationError({"partnership": ["Give the slug of a partnership."]})
        partnership = Partnership.objects.public().filter(slug=slug).first()
        if partnership is None:
            return Response([])
        labels = dict(Indicator.choices)
        rows = (
            ActivityResult.objects.public()
            .filter(activity__partnership=partnership)
            .totals_by_year()
        )
        return Response(
            [
                {
                    "partnership": slug,
                    "year": row["year"],
                    "indicator": row["indicator"],
                    "name": row["other_name"] or str(labels[row["indicator"]]),
                    "unit": row["unit"],
                    "total": row["total"],
                    "results": row["results"],
                }
                for row in rows
            ]
        )
