"""How a public record points to others: a related record, an organization, its sources;
and what of it is withheld from the public. Each is one shape, shown the same way by every
endpoint that has one."""

from rest_framework import serializers

from core.api.columns import (
    ApiUrl,
    Column,
    Many,
    One,
    Shape,
    Withheld,
    among,
    ref_id,
    ref_name,
)
from partnerships.models import Source
from publication.choices import WithholdingReason
from publication.models import Withholding
from publication.querysets import derived_fields, with_derived

ID = Column("id", serializers.IntegerField())
API_URL = ApiUrl(help_text="Its address in this API.")
FOLLOW = "A related record, given so that a client can follow it."
PUBLISHED_AT = Column(
    "published_at",
    serializers.DateTimeField(
        allow_null=True,
        help_text="When the record was last published: a second editor approved it, or "
        "its embargo lifted (records public before the workflow: their last change then). "
        "Null where it was not recorded.",
    ),
    csv_last=True,
)

# Partnerships and agreements are named by their title; a partnership also by its slug,
# the natural key an import of an agreements export finds it by.
RELATED = Shape(
    "Related",
    ID,
    API_URL,
    Column("name", serializers.CharField(), source="title"),
    description=FOLLOW,
)
PARTNERSHIP_REF = Shape(
    "PartnershipRef",
    *RELATED.columns,
    Column("slug", serializers.SlugField(help_text="Stable public identifier.")),
    description=FOLLOW,
)

ORGANIZATION_REF = Shape(
    "OrganizationRef",
    ID,
    API_URL,
    Column("name", serializers.CharField()),
    Column("slug", serializers.SlugField()),
    description=FOLLOW,
)

SOURCE = Shape(
    "Source",
    Column("title", serializers.CharField()),
    Column("url", serializers.CharField(allow_blank=True)),
    Column("kind", serializers.ChoiceField(choices=Source.Kind.choices)),
    Column("published_on", serializers.DateField(allow_null=True)),
    Column("archived_url", serializers.CharField(allow_blank=True)),
)


def related(key: str, basename: str, *, via: str | None = None, **kw) -> One:
    """A partnership or agreement the row belongs to; in the CSV, its id and its name."""
    kw.setdefault("csv", ((f"{key}_id", ref_id), (key, ref_name)))
    shape = PARTNERSHIP_REF if basename == "partnership" else RELATED
    return One(key, shape, via=via or key, basename=basename, **kw)


def organization(key: str, **kw) -> One:
    """An organization, or null while it is only proposed (not confirmed, so not public)."""
    return One(
        key,
        ORGANIZATION_REF,
        via=key,
        basename="organization",
        when={"is_confirmed": True},
        **kw,
    )


def sources(through, owner: str, **kw) -> Many:
    """The record's sources (``through``: its sources' through model), dated ones first,
    then by title."""
    return Many(
        "sources",
        SOURCE,
        rows=lambda ids: through.objects.filter(**{f"{owner}__in": among(ids)}),
        owner=owner,
        via="source",
        order=lambda source: (source["published_on"] is None, source["title"]),
        **kw,
    )


def withheld_field_names(model) -> tuple[str, ...]:
    """The fields of ``model`` that may be withheld: its own, and those withheld with them."""
    return (*model.WITHHOLDABLE_FIELDS, *derived_fields(model))


def withheld_entry(model) -> Shape:
    """The schema of one entry of a ``withheld`` list of ``model``'s objects: what
    ``Withholding.as_public()`` gives (after OCDS ``withheldInformation``)."""
    fields = [
        (name, str(model._meta.get_field(name).verbose_name))
        for name in withheld_field_names(model)
    ]
    return Shape(
        f"{model.__name__}Withheld",
        Column(
            "field",
            serializers.ChoiceField(
                choices=fields, help_text="The field withheld: its value is null in the object."
            ),
        ),
        Column(
            "reason_code",
            serializers.ChoiceField(
                choices=WithholdingReason.choices,
                help_text="Why, from a controlled list (explained on the methodology page).",
            ),
        ),
        Column("reason_label", serializers.CharField(help_text="The reason code, for people.")),
        Column(
            "rationale",
            serializers.CharField(help_text="Why, in the words of the record's editors."),
        ),
        Column(
            "available_on",
            serializers.DateField(
                allow_null=True,
                help_text="The date the value is due to be published; null: withheld until "
                "its editors lift it.",
            ),
        ),
        description="A value withheld from the public, and why.",
        # Its reason_label is the reason's label already (Withholding.as_public()).
        labels=False,
    )


def withheld(model, **kw) -> Withheld:
    """``withheld``: the values of an object of ``model`` (one of its
    ``WITHHOLDABLE_FIELDS``) kept from the public, and why; one query per batch. In the
    CSV, the ``withheld_fields`` column (and a marker in each withheld cell)."""
    return Withheld(
        "withheld",
        withheld_entry(model).serializer(
            many=True,
            help_text="The values withheld from the public, each with its reason (their "
            "fields are null); empty when nothing is withheld.",
        ),
        rows=lambda ids: with_derived(
            model, Withholding.objects.of_model(model).filter(object_id__in=among(ids))
        ),
        fields=withheld_field_names(model),
        entry=Withholding.as_public,
        csv_last=True,
        **kw,
    )
