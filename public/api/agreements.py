"""``/api/v1/agreements/``: public agreements with their terms, auditor, signatories and
public document versions."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_view

from agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementSignatory,
    DataSharingTerm,
    term_risk_level,
)
from audit.api import PublicHistoryMixin
from audit.history import agreement_public_history
from core.api.viewsets import (
    PublicViewSet,
    URLs,
    among,
    detail_schema,
    group_by,
    list_schema,
    ref_id,
    ref_name,
)
from oversight.models import Flag
from partnerships.models import Visibility
from public.filters import AgreementFilter

from .agreement_serializers import AgreementSerializer
from .partnerships import organization_refs, sources_of


def row_risk_level(row: dict) -> str:
    """The risk rule of ``DataSharingTerm.risk_level``, applied to a ``.values()`` row."""
    return term_risk_level(
        data_category=row["data_category"],
        direction=row["direction"],
        surveillance_practice=row["surveillance_practice"],
        onward_sharing_allowed=row["onward_sharing_allowed"],
    )


def _terms(rows, key):
    return [term[key] for term in rows]


@extend_schema_view(
    list=list_schema(AgreementSerializer), retrieve=detail_schema(AgreementSerializer)
)
class AgreementViewSet(PublicHistoryMixin, PublicViewSet):
    """Agreements (MOUs, data-sharing agreements...) of public partnerships."""

    basename = "agreement"
    export_name = "agreements"
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter
    queryset = Agreement.objects.none()
    row_fields = (
        "id",
        "partnership_id",
        "partnership__title",
        "kind",
        "reference",
        "title",
        "status",
        "signed_on",
        "effective_from",
        "expires_on",
        "review_interval_months",
        "next_review_due",
        "review_is_overdue",
        "supersedes_id",
        "supersedes__title",
        "supersedes__visibility",
        "supersedes__partnership__visibility",
        "independent_auditor_id",
        "independent_auditor__name",
        "independent_auditor__slug",
        "independent_auditor__is_confirmed",
        "auditor_is_independent",
        "derived_risk_level",
        "public_summary",
        "updated_at",
    )
    csv_columns = (
        ("id", lambda a: a["id"]),
        ("url", lambda a: a["url"]),
        ("html_url", lambda a: a["html_url"]),
        ("partnership_id", lambda a: a["partnership"]["id"]),
        ("partnership", lambda a: a["partnership"]["name"]),
        ("kind", lambda a: a["kind"]),
        ("reference", lambda a: a["reference"]),
        ("title", lambda a: a["title"]),
        ("status", lambda a: a["status"]),
        ("signed_on", lambda a: a["signed_on"]),
        ("effective_from", lambda a: a["effective_from"]),
        ("expires_on", lambda a: a["expires_on"]),
        ("review_interval_months", lambda a: a["review_interval_months"]),
        ("next_review_due", lambda a: a["next_review_due"]),
        ("review_overdue", lambda a: a["review_overdue"]),
        ("supersedes_id", lambda a: ref_id(a["supersedes"])),
        ("independent_auditor", lambda a: ref_name(a["independent_auditor"])),
        ("has_independent_auditor", lambda a: a["has_independent_auditor"]),
        ("risk_level", lambda a: a["risk_level"]),
        ("signatories", lambda a: [ref_name(s["organization"]) for s in a["signatories"]]),
        ("data_categories", lambda a: _terms(a["data_sharing_terms"], "data_category")),
        ("directions", lambda a: _terms(a["data_sharing_terms"], "direction")),
        ("legal_bases", lambda a: _terms(a["data_sharing_terms"], "legal_basis")),
        (
            "surveillance_practices",
            lambda a: _terms(a["data_sharing_terms"], "surveillance_practice"),
        ),
        ("document_versions", lambda a: [d["version"] for d in a["documents"]]),
        ("document_sha256", lambda a: [d["sha256"] for d in a["documents"]]),
        ("open_flags", lambda a: a["open_flags"]),
        ("public_summary", lambda a: a["public_summary"]),
        ("updated_at", lambda a: a["updated_at"]),
    )

    def base_queryset(self):
        return (
            Agreement.objects.public()
            .with_risk_level()
            .with_auditor_independence()
            .with_review_overdue(timezone.localdate())
            .order_by("title", "pk")
        )

    def public_history(self, record):
        return agreement_public_history(record)

    def last_modified(self, item):
        stamps = [item["updated_at"], *(d["uploaded_at"] for d in item["documents"])]
        return max(stamps)

    def present(self, rows, urls: URLs):
        ids = [row["id"] for row in rows]
        terms = group_by(
            DataSharingTerm.objects.filter(agreement_id__in=among(ids))
            .order_by("data_category", "pk")
            .values("agreement_id", *DataSharingTerm.FIELDS),
            "agreement_id",
        )
        documents = group_by(
            AgreementDocument.objects.filter(agreement_id__in=among(ids), is_public=True)
            .order_by("-version")
            .values("agreement_id", "version", "sha256", "size_bytes", "uploaded_at"),
            "agreement_id",
        )
        signatories = group_by(
            AgreementSignatory.objects.filter(agreement_id__in=among(ids))
            .order_by("signed_on", "organization__name", "pk")
            .values(
                "agreement_id",
                "signed_on",
                "organization_id",
                "organization__name",
                "organization__slug",
                "organization__is_confirmed",
            ),
            "agreement_id",
        )
        open_flags = group_by(
            Flag.objects.open()
            .filter(agreement_id__in=among(ids))
            .order_by("kind")
            .values("agreement_id", "kind"),
            "agreement_id",
        )
        sources = sources_of(Agreement.sources.through, "agreement_id", ids)
        download = reverse("agreements:document_download", kwargs={"pk": 0, "version": 1})
        download = urls.absolute(download)[: -len("0/documents/1/")]
        html = urls.absolute(reverse("public:agreement", kwargs={"pk": 0}))[: -len("0/")]
        public = Visibility.PUBLIC
        return [
            {
                "id": row["id"],
                "url": urls.detail("agreement", row["id"]),
                "html_url": f"{html}{row['id']}/",
                "partnership": urls.ref(
                    "partnership", row["partnership_id"], row["partnership__title"]
                ),
                "kind": row["kind"],
                "reference": row["reference"],
                "title": row["title"],
                "status": row["status"],
                "signed_on": row["signed_on"],
                "effective_from": row["effective_from"],
                "expires_on": row["expires_on"],
                "review_interval_months": row["review_interval_months"],
                "next_review_due": row["next_review_due"],
                "review_overdue": row["review_is_overdue"] is True,
                "supersedes": (
                    urls.ref("agreement", row["supersedes_id"], row["supersedes__title"])
                    if row["supersedes__visibility"] == public
                    and row["supersedes__partnership__visibility"] == public
                    else None
                ),
                "independent_auditor": organization_refs(urls, row, "independent_auditor"),
                "has_independent_auditor": row["auditor_is_independent"] is True,
                "risk_level": row["derived_risk_level"],
                "public_summary": row["public_summary"],
                "signatories": [
                    {
                        "organization": organization_refs(urls, signatory),
                        "signed_on": signatory["signed_on"],
                    }
                    for signatory in signatories.get(row["id"], ())
                    if signatory["organization__is_confirmed"]
                ],
                "data_sharing_terms": [
                    {
                        **{field: term[field] for field in DataSharingTerm.FIELDS},
                        "risk_level": row_risk_level(term),
                    }
                    for term in terms.get(row["id"], ())
                ],
                "documents": [
                    {
                        "version": document["version"],
                        "sha256": document["sha256"],
                        "size_bytes": document["size_bytes"],
                        "uploaded_at": document["uploaded_at"],
                        "url": f"{download}{row['id']}/documents/{document['version']}/",
                    }
                    for document in documents.get(row["id"], ())
                ],
                "open_flags": [flag["kind"] for flag in open_flags.get(row["id"], ())],
                "sources": sources.get(row["id"], []),
                "updated_at": row["updated_at"],
            }
            for row in rows
        ]
