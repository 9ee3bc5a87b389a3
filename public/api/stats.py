"""``/api/v1/stats/``: the registry's headline figures (``public.stats``), and their shape."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core.api.viewsets import public_view
from core.licence import add_licence_headers
from public.stats import COUNTRY_MEASURES
from public.summary import current_figures


class BreakdownSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text='The value counted (a choice, a slug or a year); "withheld" counts the '
        "records whose value is withheld from the public, whatever it is."
    )
    label = serializers.CharField()
    count = serializers.IntegerField()


class PartnershipFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_region = BreakdownSerializer(
        many=True,
        help_text='Every region, zeros included; then "withheld", when the region of some '
        "partnerships is withheld from the public.",
    )
    by_focus_area = BreakdownSerializer(many=True)
    by_status = BreakdownSerializer(many=True)
    by_year_established = BreakdownSerializer(
        many=True,
        help_text='By year; "unknown" for partnerships without a date; "withheld" for those '
        "whose date is withheld from the public.",
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


class ReviewFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    completed = serializers.IntegerField()
    completed_independent = serializers.IntegerField(
        help_text="Completed reviews that are independent: the reviewer is not a party to the "
        "partnership and declared no ties to a party."
    )
    share_completed_independent = serializers.FloatField(
        allow_null=True, help_text="From 0 to 1; null when no review is completed."
    )
    by_conflict_of_interest = BreakdownSerializer(
        many=True,
        help_text="Reviews by the reviewer's declaration of ties to a party: none, declared, "
        "or not_declared (recorded before reviewers were asked).",
    )


class FlagMonthSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The month, YYYY-MM.")
    label = serializers.CharField(
        help_text="The month in words, in the language asked for (Accept-Language: en, es or "
        'fr): "January 2026", "enero de 2026", "janvier 2026".'
    )
    raised = serializers.IntegerField(help_text="Flags raised in the month.")
    closed = serializers.IntegerField(help_text="Flags closed in the month.")


class FlagFiguresSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    closed = serializers.IntegerField()
    open_by_kind = BreakdownSerializer(many=True)
    by_month = FlagMonthSerializer(
        many=True, help_text="The last twelve months, oldest first, in the registry's time zone."
    )


class FeedbackFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField(
        help_text="Public feedback: published, and hidden by moderators (spam aside)."
    )
    published = serializers.IntegerField()
    answered = serializers.IntegerField(help_text="Items a party has answered on the record.")
    by_category = BreakdownSerializer(many=True)


class IncidentFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Published incidents on public agreements.")
    by_kind = BreakdownSerializer(many=True)
    by_how_found = BreakdownSerializer(many=True)
    by_status = BreakdownSerializer(many=True)
    by_year_discovered = BreakdownSerializer(
        many=True, help_text="By year of discovery, in the registry's time zone."
    )
    data_breaches = serializers.IntegerField()
    data_breaches_notified_late = serializers.IntegerField(
        help_text="Data breaches notified to the authority more than 72 hours after their "
        "discovery, or not notified 72 hours after it, with no reason given for the delay."
    )


# ``public.stats.country_figures``: one breakdown per measure it counts.
CountryFiguresSerializer = type(
    "CountryFiguresSerializer",
    (serializers.Serializer,),
    {
        measure: BreakdownSerializer(many=True, help_text=label)
        for measure, label in COUNTRY_MEASURES.items()
    },
)


class StatsSerializer(serializers.Serializer):
    partnerships = PartnershipFiguresSerializer()
    agreements = AgreementFiguresSerializer()
    reviews = ReviewFiguresSerializer()
    flags = FlagFiguresSerializer()
    feedback = FeedbackFiguresSerializer()
    incidents = IncidentFiguresSerializer()
    by_country = CountryFiguresSerializer(
        help_text="Public partnerships, their public agreements, the high-risk ones, the open "
        "flags of public agreements and the public incidents, by the partnership's country "
        "(an incident on agreements of partnerships in two countries counts in both): the "
        'countries with at least one, by ISO 3166-1 alpha-2 code, then "withheld" for the '
        "records whose partnership's country is withheld from the public (when there are "
        "some)."
    )


@extend_schema(
    summary="Headline figures",
    description="Counts of published partnerships by region, focus area, status and year "
    "established; published agreements by status and risk level, with the share of active "
    "agreements that have an independent auditor; reviews of published agreements, the "
    "share of completed ones that are independent, and their conflict-of-interest "
    "declarations; open and closed flags of published "
    "agreements, open ones by kind; and partnerships, agreements, high-risk agreements, "
    "open flags and incidents by country. Each breakdown lists every key, zeros included "
    "(by country: the countries with at least one). A "
    "partnership whose region, country or date of establishment is withheld from the public is "
    'counted under the key "withheld" of that breakdown, never under its value. Drafts, '
    "submissions, embargoed and retracted records are not counted.",
    responses={200: StatsSerializer},
)
@api_view(["GET"])
@public_view
def stats(request):
    return add_licence_headers(Response(current_figures()))
