"""How a public record points to others: a related record, an organization, its sources.
Each is one shape, shown the same way by every endpoint that has one."""

from rest_framework import serializers

from core.api.columns import (
    ApiUrl,
    Column,
    Many,
    One,
    Shape,
    among,
    ref_id,
    ref_name,
)
from partnerships.models import Source

ID = Column("id", serializers.IntegerField())
API_URL = ApiUrl(help_text="Its address in this API.")
FOLLOW = "A related record, given so that a client can follow it."

# Partnerships and agreements are named by their title.
RELATED = Shape(
    "Related",
    ID,
    API_URL,
    Column("name", serializers.CharField(), source="title"),
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
    return One(key, RELATED, via=via or key, basename=basename, **kw)


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
