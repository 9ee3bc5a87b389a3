"""``/api/v1/reviews/`` and ``/api/v1/flags/``: those of public agreements only. A review's
private ``notes`` are never part of them."""

from rest_framework import serializers

from agreements.models import Agreement
from core.api.columns import (
    ApiUrl,
    Column,
    Many,
    Shape,
    among,
    each,
    is_none,
    model_columns,
    ref_name,
)
from core.api.viewsets import PublicViewSet
from oversight.feeds import public_flag_detail
from oversight.filters import FlagFilter, ReviewFilter
from oversight.models import REVIEW_INDEPENDENCE, Finding, Flag, Review
from publication.withholding import withheld_by_record

from .references import ID, organization, related, withheld

FINDING = Shape("Finding", *model_columns(Finding, Finding.PUBLIC_FIELDS))


def open_findings(findings: list[dict]) -> int:
    return sum(finding["status"] == Finding.Status.OPEN for finding in findings)


REVIEW = Shape(
    "Review",
    ID,
    ApiUrl(),
    related("agreement", "agreement"),
    related("partnership", "partnership", via="agreement__partnership"),
    organization("reviewer", nullable=True, csv=(("reviewer", ref_name),)),
    Column(
        "is_independent",
        serializers.BooleanField(help_text=REVIEW_INDEPENDENCE),
        source="reviewer_is_independent",
    ),
    Column(
        "conflict_of_interest",
        serializers.ChoiceField(
            choices=Review.ConflictOfInterest.choices,
            help_text="The reviewer's declaration of funding, staff or contractual ties to a "
            "party to the partnership: none, declared (a review with declared ties is not "
            "independent), or not_declared (recorded before reviewers were asked).",
        ),
    ),
    Column(
        "declared_ties",
        serializers.CharField(
            allow_blank=True,
            help_text="The ties the reviewer declared, in its words; empty unless "
            "conflict_of_interest is declared.",
        ),
    ),
    Column("kind", serializers.ChoiceField(choices=Review.Kind.choices)),
    Column("status", serializers.ChoiceField(choices=Review.Status.choices)),
    Column("started_on", serializers.DateField(allow_null=True)),
    Column("completed_on", serializers.DateField(allow_null=True)),
    Column("outcome", serializers.ChoiceField(choices=Review.Outcome.choices, allow_blank=True)),
    Column("public_summary", serializers.CharField(allow_blank=True)),
    withheld(Review),
    Many(
        "findings",
        FINDING,
        rows=lambda ids: Finding.objects.filter(review_id__in=among(ids)).order_by("due_on", "pk"),
        owner="review_id",
        csv=(("finding_severities", each("severity")), ("open_findings", open_findings)),
    ),
    Column("updated_at", serializers.DateTimeField()),
)


class ReviewViewSet(PublicViewSet):
    """Reviews, audits and DPIAs of public agreements, with their findings."""

    basename = "review"
    export_name = "reviews"
    shape = REVIEW
    filterset_class = ReviewFilter
    queryset = Review.objects.none()

    def base_queryset(self):
        return (
            Review.objects.public()
            .with_reviewer_independence()
            .order_by("-completed_on", "-started_on", "pk")
        )


class FlagDetail(Column):
    """A flag's text, unless it names a value of its agreement that is withheld from the
    public (``oversight.feeds.public_flag_detail``): the withheld fields of the batch's
    agreements are read in one query."""

    def reads(self, prefix):
        return (prefix + "detail", prefix + "kind", prefix + "agreement_id")

    def bind(self, batch):
        prefix = batch.prefix
        agreements = {row[prefix + "agreement_id"] for row in batch.rows}
        withheld = withheld_by_record(Agreement, agreements) if agreements else {}
        return lambda row: public_flag_detail(
            row[prefix + "kind"],
            row[prefix + "detail"],
            withheld.get(row[prefix + "agreement_id"], ()),
        )


FLAG = Shape(
    "Flag",
    ID,
    ApiUrl(),
    related("agreement", "agreement"),
    related("partnership", "partnership", via="agreement__partnership"),
    Column("kind", serializers.ChoiceField(choices=Flag.Kind.choices)),
    Column("is_open", serializers.BooleanField(), source="resolved_at", convert=is_none),
    Column("raised_at", serializers.DateTimeField()),
    Column("resolved_at", serializers.DateTimeField(allow_null=True)),
    Column(
        "resolution",
        serializers.CharField(allow_blank=True, help_text="Why the flag was closed."),
    ),
    FlagDetail(
        "detail",
        serializers.CharField(
            allow_blank=True,
            help_text="What the registry found, in words (without a value of the agreement "
            "that is withheld from the public).",
        ),
    ),
)


class FlagViewSet(PublicViewSet):
    """Flags the nightly job raised on public agreements, open and closed."""

    basename = "flag"
    export_name = "flags"
    shape = FLAG
    filterset_class = FlagFilter
    queryset = Flag.objects.none()

    def base_queryset(self):
        return Flag.objects.public().order_by("-raised_at", "pk")

    def last_modified(self, item):
        return item["resolved_at"] or item["raised_at"]
