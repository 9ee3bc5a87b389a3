"""``/api/v1/reviews/`` and ``/api/v1/flags/``: those of public agreements only."""

from django.db.models import Exists, OuterRef
from drf_spectacular.utils import extend_schema_view

from core.api.viewsets import PublicViewSet, among, detail_schema, group_by, list_schema, ref_name
from oversight.filters import FlagFilter, ReviewFilter
from oversight.models import Finding, Flag, Review
from partnerships.models import PartnershipParty

from .oversight_serializers import FlagSerializer, ReviewSerializer
from .partnerships import organization_refs


@extend_schema_view(list=list_schema(ReviewSerializer), retrieve=detail_schema(ReviewSerializer))
class ReviewViewSet(PublicViewSet):
    """Reviews, audits and DPIAs of public agreements, with their findings."""

    basename = "review"
    export_name = "reviews"
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    queryset = Review.objects.none()
    row_fields = (
        "id",
        "agreement_id",
        "agreement__title",
        "agreement__partnership_id",
        "agreement__partnership__title",
        "reviewer_id",
        "reviewer__name",
        "reviewer__slug",
        "reviewer__is_confirmed",
        "reviewer_is_party",
        "kind",
        "status",
        "started_on",
        "completed_on",
        "outcome",
        "public_summary",
        "updated_at",
    )
    csv_columns = (
        ("id", lambda r: r["id"]),
        ("url", lambda r: r["url"]),
        ("agreement_id", lambda r: r["agreement"]["id"]),
        ("agreement", lambda r: r["agreement"]["name"]),
        ("partnership_id", lambda r: r["partnership"]["id"]),
        ("partnership", lambda r: r["partnership"]["name"]),
        ("reviewer", lambda r: ref_name(r["reviewer"])),
        ("is_independent", lambda r: r["is_independent"]),
        ("kind", lambda r: r["kind"]),
        ("status", lambda r: r["status"]),
        ("started_on", lambda r: r["started_on"]),
        ("completed_on", lambda r: r["completed_on"]),
        ("outcome", lambda r: r["outcome"]),
        ("public_summary", lambda r: r["public_summary"]),
        ("finding_severities", lambda r: [f["severity"] for f in r["findings"]]),
        ("open_findings", lambda r: sum(f["status"] == "open" for f in r["findings"])),
        ("updated_at", lambda r: r["updated_at"]),
    )

    def base_queryset(self):
        party = PartnershipParty.objects.filter(
            partnership=OuterRef("agreement__partnership"), organization=OuterRef("reviewer")
        )
        return (
            Review.objects.public()
            .annotate(reviewer_is_party=Exists(party))
            .order_by("-completed_on", "-started_on", "pk")
        )

    def present(self, rows, urls):
        findings = group_by(
            Finding.objects.filter(review_id__in=among(row["id"] for row in rows))
            .order_by("due_on", "pk")
            .values("review_id", *Finding.PUBLIC_FIELDS),
            "review_id",
        )
        return [
            {
                "id": row["id"],
                "url": urls.detail("review", row["id"]),
                "agreement": urls.ref("agreement", row["agreement_id"], row["agreement__title"]),
                "partnership": urls.ref(
                    "partnership",
                    row["agreement__partnership_id"],
                    row["agreement__partnership__title"],
                ),
                "reviewer": organization_refs(urls, row, "reviewer"),
                "is_independent": not row["reviewer_is_party"],
                "kind": row["kind"],
                "status": row["status"],
                "started_on": row["started_on"],
                "completed_on": row["completed_on"],
                "outcome": row["outcome"],
                "public_summary": row["public_summary"],
                "findings": [
                    {field: finding[field] for field in Finding.PUBLIC_FIELDS}
                    for finding in findings.get(row["id"], ())
                ],
                "updated_at": row["updated_at"],
            }
            for row in rows
        ]


@extend_schema_view(list=list_schema(FlagSerializer), retrieve=detail_schema(FlagSerializer))
class FlagViewSet(PublicViewSet):
    """Flags the nightly job raised on public agreements, open and closed."""

    basename = "flag"
    export_name = "flags"
    serializer_class = FlagSerializer
    filterset_class = FlagFilter
    queryset = Flag.objects.none()
    row_fields = (
        "id",
        "agreement_id",
        "agreement__title",
        "agreement__partnership_id",
        "agreement__partnership__title",
        "kind",
        "raised_at",
        "resolved_at",
        "resolution",
        "detail",
    )
    csv_columns = (
        ("id", lambda f: f["id"]),
        ("url", lambda f: f["url"]),
        ("agreement_id", lambda f: f["agreement"]["id"]),
        ("agreement", lambda f: f["agreement"]["name"]),
        ("partnership_id", lambda f: f["partnership"]["id"]),
        ("partnership", lambda f: f["partnership"]["name"]),
        ("kind", lambda f: f["kind"]),
        ("is_open", lambda f: f["is_open"]),
        ("raised_at", lambda f: f["raised_at"]),
        ("resolved_at", lambda f: f["resolved_at"]),
        ("resolution", lambda f: f["resolution"]),
        ("detail", lambda f: f["detail"]),
    )

    def base_queryset(self):
        return Flag.objects.public().order_by("-raised_at", "pk")

    def last_modified(self, item):
        return item["resolved_at"] or item["raised_at"]

    def present(self, rows, urls):
        return [
            {
                "id": row["id"],
                "url": urls.detail("flag", row["id"]),
                "agreement": urls.ref("agreement", row["agreement_id"], row["agreement__title"]),
                "partnership": urls.ref(
                    "partnership",
                    row["agreement__partnership_id"],
                    row["agreement__partnership__title"],
                ),
                "kind": row["kind"],
                "is_open": row["resolved_at"] is None,
                "raised_at": row["raised_at"],
                "resolved_at": row["resolved_at"],
                "resolution": row["resolution"],
                "detail": row["detail"],
            }
            for row in rows
        ]
