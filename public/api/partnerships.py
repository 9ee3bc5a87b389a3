"""``/api/v1/organizations/`` and ``/api/v1/partnerships/``: public records only."""

from operator import itemgetter

from django.db.models import Min, OuterRef, Subquery
from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.utils import extend_schema_view

from agreements.models import Agreement
from audit.api import PublicHistoryMixin
from audit.history import partnership_public_history
from core.api.viewsets import (
    PublicViewSet,
    URLs,
    among,
    detail_schema,
    group_by,
    list_schema,
    ref_name,
)
from oversight.models import Flag
from partnerships.filters import OrganizationFilter
from partnerships.models import Organization, Partnership, PartnershipParty
from public.filters import PartnershipFilter

from .serializers import OrganizationSerializer, PartnershipSerializer


def organization_refs(urls: URLs, rows, prefix: str = "organization") -> dict | None:
    """``{id, url, name, slug}`` of a confirmed organization, ``None`` for a proposed one."""
    pk = rows[f"{prefix}_id"]
    if pk is None or not rows[f"{prefix}__is_confirmed"]:
        return None
    return {
        "id": pk,
        "url": urls.detail("organization", pk),
        "name": rows[f"{prefix}__name"],
        "slug": rows[f"{prefix}__slug"],
    }


def sources_of(through_model, owner_field: str, ids) -> dict:
    rows = through_model.objects.filter(**{f"{owner_field}__in": among(ids)}).values(
        owner_field,
        "source__title",
        "source__url",
        "source__kind",
        "source__published_on",
        "source__archived_url",
    )
    return {
        owner: [
            {
                "title": row["source__title"],
                "url": row["source__url"],
                "kind": row["source__kind"],
                "published_on": row["source__published_on"],
                "archived_url": row["source__archived_url"],
            }
            for row in sorted(
                group, key=lambda r: (r["source__published_on"] is None, r["source__title"])
            )
        ]
        for owner, group in group_by(rows, owner_field).items()
    }


@extend_schema_view(
    list=list_schema(OrganizationSerializer), retrieve=detail_schema(OrganizationSerializer)
)
class OrganizationViewSet(PublicViewSet):
    """Organizations: NGOs, police agencies, oversight bodies. No people."""

    basename = "organization"
    export_name = "organizations"
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    queryset = Organization.objects.none()  # for the schema; requests use base_queryset()
    row_fields = (
        "id",
        "slug",
        "name",
        "kind",
        "ngo_type",
        "scope",
        "country",
        "region",
        "city",
        "website",
        "description",
        "ori",
        "registration_number",
        "updated_at",
    )
    csv_columns = (
        ("id", itemgetter("id")),
        ("url", itemgetter("url")),
        *((field, itemgetter(field)) for field in row_fields[1:]),
        ("partnerships", itemgetter("partnerships")),
    )

    def base_queryset(self):
        return Organization.objects.public().order_by("name", "pk")

    def present(self, rows, urls):
        partnerships = urls.absolute(reverse("api:partnership-list"))
        return [
            {
                "id": row["id"],
                "url": urls.detail("organization", row["id"]),
                **{field: row[field] for field in self.row_fields[1:-1]},
                "partnerships": f"{partnerships}?{urlencode({'organization': row['slug']})}",
                "updated_at": row["updated_at"],
            }
            for row in rows
        ]


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
        .with_risk_level(public_agreements)
        .annotate(next_review_due=Subquery(next_review))
        .order_by("title", "pk")
    )


@extend_schema_view(
    list=list_schema(PartnershipSerializer), retrieve=detail_schema(PartnershipSerializer)
)
class PartnershipViewSet(PublicHistoryMixin, PublicViewSet):
    """Partnerships with their parties, focus areas, risk, open flags and next review."""

    basename = "partnership"
    export_name = "partnerships"
    serializer_class = PartnershipSerializer
    filterset_class = PartnershipFilter
    queryset = Partnership.objects.none()
    row_fields = (
        "id",
        "slug",
        "title",
        "status",
        "region",
        "country",
        "established_on",
        "established_precision",
        "ended_on",
        "objectives",
        "roles_and_responsibilities",
        "public_summary",
        "derived_risk_level",
        "next_review_due",
        "updated_at",
    )
    csv_columns = (
        ("id", lambda p: p["id"]),
        ("url", lambda p: p["url"]),
        ("html_url", lambda p: p["html_url"]),
        ("slug", lambda p: p["slug"]),
        ("title", lambda p: p["title"]),
        ("status", lambda p: p["status"]),
        ("region", lambda p: p["region"]),
        ("country", lambda p: p["country"]),
        ("established_on", lambda p: p["established_on"]),
        ("established_precision", lambda p: p["established_precision"]),
        ("ended_on", lambda p: p["ended_on"]),
        ("focus_areas", lambda p: [f["slug"] for f in p["focus_areas"]]),
        (
            "ngo_parties",
            lambda p: [
                ref_name(x["organization"])
                for x in p["parties"]
                if x["role"] in PartnershipParty.NGO_ROLES
            ],
        ),
        (
            "police_parties",
            lambda p: [
                ref_name(x["organization"])
                for x in p["parties"]
                if x["role"] == PartnershipParty.Role.POLICE_AGENCY
            ],
        ),
        (
            "other_parties",
            lambda p: [
                ref_name(x["organization"])
                for x in p["parties"]
                if x["role"] in (PartnershipParty.Role.FUNDER, PartnershipParty.Role.OTHER)
            ],
        ),
        ("risk_level", lambda p: p["risk_level"]),
        ("open_flags", lambda p: p["open_flags"]),
        ("next_review_due", lambda p: p["next_review_due"]),
        ("agreement_ids", lambda p: [a["id"] for a in p["agreements"]]),
        ("public_summary", lambda p: p["public_summary"]),
        ("source_urls", lambda p: [s["url"] for s in p["sources"]]),
        ("updated_at", lambda p: p["updated_at"]),
    )

    def base_queryset(self):
        return partnership_queryset()

    def public_history(self, record):
        return partnership_public_history(record)

    def present(self, rows, urls):
        ids = [row["id"] for row in rows]
        parties = group_by(
            PartnershipParty.objects.filter(partnership_id__in=among(ids))
            .order_by("role", "organization__name")
            .values(
                "partnership_id",
                "role",
                "organization_id",
                "organization__name",
                "organization__slug",
                "organization__is_confirmed",
            ),
            "partnership_id",
        )
        focus_areas = group_by(
            Partnership.focus_areas.through.objects.filter(partnership_id__in=among(ids))
            .order_by("focusarea__name")
            .values("partnership_id", "focusarea__slug", "focusarea__name"),
            "partnership_id",
        )
        agreements = group_by(
            Agreement.objects.public()
            .filter(partnership_id__in=among(ids))
            .order_by("-effective_from", "title", "pk")
            .values("partnership_id", "id", "title"),
            "partnership_id",
        )
        open_flags = group_by(
            Flag.objects.open()
            .filter(agreement__in=Agreement.objects.public().filter(partnership_id__in=among(ids)))
            .order_by("kind")
            .values("agreement__partnership_id", "kind")
            .distinct(),
            "agreement__partnership_id",
        )
        sources = sources_of(Partnership.sources.through, "partnership_id", ids)
        partnership_list = urls.absolute(reverse("api:partnership-list"))
        return [
            {
                "id": row["id"],
                "url": urls.detail("partnership", row["id"]),
                "html_url": urls.absolute(f"/partnerships/{row['slug']}/"),
                "slug": row["slug"],
                "title": row["title"],
                "status": row["status"],
                "region": row["region"],
                "country": row["country"],
                "established_on": row["established_on"],
                "established_precision": row["established_precision"],
                "ended_on": row["ended_on"],
                "objectives": row["objectives"],
                "roles_and_responsibilities": row["roles_and_responsibilities"],
                "public_summary": row["public_summary"],
                "focus_areas": [
                    {
                        "slug": f["focusarea__slug"],
                        "name": f["focusarea__name"],
                        "url": f"{partnership_list}?focus_area={f['focusarea__slug']}",
                    }
                    for f in focus_areas.get(row["id"], ())
                ],
                "parties": [
                    {"organization": organization_refs(urls, party), "role": party["role"]}
                    for party in parties.get(row["id"], ())
                    if party["organization__is_confirmed"]
                ],
                "risk_level": row["derived_risk_level"],
                "open_flags": [flag["kind"] for flag in open_flags.get(row["id"], ())],
                "next_review_due": row["next_review_due"],
                "agreements": [
                    urls.ref("agreement", a["id"], a["title"])
                    for a in agreements.get(row["id"], ())
                ],
                "sources": sources.get(row["id"], []),
                "updated_at": row["updated_at"],
            }
            for row in rows
        ]
