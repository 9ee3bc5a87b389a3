"""``/api/v1/agreements/``: public agreements with their terms, auditor, signatories and
public document versions. No uploader, no non-public document version, no private field."""

import json

import orjson
from django.utils import timezone
from rest_framework import serializers

from agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementSignatory,
    DataSharingTerm,
    RiskLevel,
    term_risk_level,
)
from agreements.querysets import public_agreement_values
from audit.api import PublicHistoryMixin
from core.api.columns import (
    ApiUrl,
    Column,
    Computed,
    Link,
    Many,
    ManyValues,
    One,
    ReadBack,
    Shape,
    among,
    each,
    is_true,
    model_columns,
    ref_id,
    ref_name,
    ref_slug,
)
from core.api.viewsets import PublicViewSet
from oversight.models import Flag
from public.filters import AgreementFilter

from .comparison import DocumentComparisonMixin
from .references import ID, PUBLISHED_AT, RELATED, organization, related, sources, withheld


def row_risk_level(row: dict) -> str:
    """The risk rule of ``DataSharingTerm.risk_level``, applied to a ``.values()`` row."""
    return term_risk_level(
        data_category=row["data_category"],
        direction=row["direction"],
        surveillance_practice=row["surveillance_practice"],
        onward_sharing_allowed=row["onward_sharing_allowed"],
    )


DATA_SHARING_TERM = Shape(
    "DataSharingTerm",
    *model_columns(
        DataSharingTerm,
        DataSharingTerm.FIELDS,
        retention_days={"help_text": "Null when the agreement states no retention period."},
    ),
    Computed(
        "risk_level",
        serializers.ChoiceField(choices=RiskLevel.choices),
        reads=("data_category", "direction", "surveillance_practice", "onward_sharing_allowed"),
        value=row_risk_level,
    ),
    withheld(DataSharingTerm, label=lambda term, position: f"term {position}"),
)


def terms_cell(terms: list[dict]) -> str:
    """The data-sharing terms in one CSV cell, as a JSON list: each term's fields
    (``DataSharingTerm.FIELDS``), null where withheld, and ``withheld`` naming those. What
    an import reads back; the lists of categories, directions... are for spreadsheets."""
    cell = []
    for term in terms:
        item = {name: term[name] for name in DataSharingTerm.FIELDS}
        if term["withheld"]:
            item["withheld"] = [entry["field"] for entry in term["withheld"]]
        cell.append(item)
    # orjson writes what ``json.dumps(cell, ensure_ascii=False, separators=(",", ":"))``
    # would, a good deal sooner.
    return orjson.dumps(cell).decode()


SIGNATORY = Shape(
    "Signatory",
    organization("organization"),
    Column("signed_on", serializers.DateField(allow_null=True)),
)

DOCUMENT = Shape(
    "Document",
    Column("version", serializers.IntegerField()),
    Column("sha256", serializers.CharField(help_text="SHA-256 of the file, hex.")),
    Column("size_bytes", serializers.IntegerField()),
    Column("uploaded_at", serializers.DateTimeField()),
    Link(
        "url",
        serializers.URLField(help_text="Download (PDF)."),
        route="agreements:document_download",
        args={"pk": "agreement_id", "version": "version"},
    ),
    # A withheld text: the version, its size and hash stay public, the download does not.
    withheld(
        AgreementDocument,
        covers={"file": ("url",)},
        label=lambda document, position: f"document version {document['version']}",
    ),
)

AGREEMENT = Shape(
    "Agreement",
    ID,
    ApiUrl(),
    Link(
        "html_url",
        serializers.URLField(help_text="The agreement's public page."),
        route="public:agreement",
        args={"pk": "id"},
    ),
    related(
        "partnership",
        "partnership",
        csv=(
            ("partnership_id", ref_id),
            ("partnership", ref_name),
            ("partnership_slug", ref_slug, ReadBack("partnership", key="slug")),
        ),
    ),
    Column("kind", serializers.ChoiceField(choices=Agreement.Kind.choices)),
    Column("reference", serializers.CharField(allow_blank=True)),
    Column("title", serializers.CharField()),
    Column("status", serializers.ChoiceField(choices=Agreement.Status.choices)),
    Column("signed_on", serializers.DateField(allow_null=True)),
    Column("effective_from", serializers.DateField(allow_null=True)),
    Column("expires_on", serializers.DateField(allow_null=True)),
    Column("review_interval_months", serializers.IntegerField()),
    Column("next_review_due", serializers.DateField(allow_null=True)),
    Column(
        "review_overdue",
        serializers.BooleanField(
            help_text="Signed or active and the next review was due before today."
        ),
        source="review_is_overdue",
        convert=is_true,
    ),
    One(
        "supersedes",
        RELATED,
        via="supersedes",
        basename="agreement",
        when=public_agreement_values(),
        nullable=True,
        help_text="Null unless it is public.",
        # Named by its title among the partnership's agreements.
        csv=(
            ("supersedes_id", ref_id),
            ("supersedes", ref_name, ReadBack("supersedes", key="title")),
        ),
    ),
    organization(
        "independent_auditor",
        nullable=True,
        csv=(
            ("independent_auditor", ref_name),
            (
                "independent_auditor_slug",
                ref_slug,
                ReadBack("independent_auditor", key="slug"),
            ),
        ),
    ),
    Column(
        "has_independent_auditor",
        serializers.BooleanField(help_text="An auditor that is not a party to the partnership."),
        source="auditor_is_independent",
        convert=is_true,
    ),
    Column(
        "risk_level",
        serializers.ChoiceField(
            choices=RiskLevel.choices, help_text="Derived from the data-sharing terms."
        ),
        source="derived_risk_level",
    ),
    Column("public_summary", serializers.CharField(allow_blank=True), csv_last=True),
    withheld(Agreement),
    Many(
        "signatories",
        SIGNATORY,
        rows=lambda ids: AgreementSignatory.objects.filter(
            agreement_id__in=among(ids), organization__is_confirmed=True
        ).order_by("signed_on", "organization__name", "pk"),
        owner="agreement_id",
        csv=(
            (
                "signatories",
                lambda signatories: [ref_name(s["organization"]) for s in signatories],
            ),
        ),
    ),
    Many(
        "data_sharing_terms",
        DATA_SHARING_TERM,
        rows=lambda ids: DataSharingTerm.objects.filter(agreement_id__in=among(ids)).order_by(
            "data_category", "pk"
        ),
        owner="agreement_id",
        csv=(
            ("data_categories", each("data_category")),
            ("directions", each("direction")),
            ("legal_bases", each("legal_basis")),
            ("surveillance_practices", each("surveillance_practice")),
            ("data_sharing_terms", terms_cell, ReadBack("data_sharing_terms", parse=json.loads)),
        ),
    ),
    Many(
        "documents",
        DOCUMENT,
        rows=lambda ids: (
            AgreementDocument.objects.public()
            .filter(agreement_id__in=among(ids))
            .order_by("-version")
        ),
        owner="agreement_id",
        help_text="The public versions of its text.",
        csv=(("document_versions", each("version")), ("document_sha256", each("sha256"))),
    ),
    ManyValues(
        "open_flags",
        serializers.ListField(child=serializers.ChoiceField(choices=Flag.Kind.choices)),
        rows=lambda ids: Flag.objects.open().filter(agreement_id__in=among(ids)).order_by("kind"),
        owner="agreement_id",
        field="kind",
    ),
    sources(Agreement.sources.through, "agreement_id"),
    PUBLISHED_AT,
    Column("updated_at", serializers.DateTimeField(), csv_last=True),
)


class AgreementViewSet(PublicHistoryMixin, DocumentComparisonMixin, PublicViewSet):
    """Agreements (MOUs, data-sharing agreements...) of public partnerships."""

    basename = "agreement"
    export_name = "agreements"
    shape = AGREEMENT
    filterset_class = AgreementFilter
    queryset = Agreement.objects.none()

    def base_queryset(self):
        return (
            Agreement.objects.public()
            .with_risk_level()
            .with_review_overdue(timezone.localdate())
            .order_by("title", "pk")
        )

    def last_modified(self, item):
        stamps = [item["updated_at"], *(d["uploaded_at"] for d in item["documents"])]
        return max(stamps)
