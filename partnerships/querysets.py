"""Who may see which partnership, written once.

``.public()`` is exactly what an anonymous reader may see; every public page,
feed, export and API endpoint starts from it. ``.visible_to(user)`` adds what a
signed-in user may see besides.

``models.py`` imports this module, so a queryset reaches the other models through
its own model's relations.
"""

from django.db import models
from django.db.models import Exists, OuterRef, Q

from publication.choices import PublicationStatus

from .choices import Visibility
from .memo import remembered


def _related_model(queryset: models.QuerySet, relation: str):
    return queryset.model._meta.get_field(relation).related_model


class MembershipQuerySet(models.QuerySet):
    def of_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def in_oversight(self):
        organization = _related_model(self, "organization")
        return self.filter(organization__kind__in=organization.OVERSIGHT_KINDS)


def sees_every_record(user) -> bool:
    """Site administrators and members of oversight organizations see every record,
    restricted ones included."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return remembered(user, "sees_every_record", user.memberships.in_oversight().exists)


class OrganizationQuerySet(models.QuerySet):
    def oversight(self):
        return self.filter(kind__in=self.model.OVERSIGHT_KINDS)

    def confirmed(self):
        return self.filter(is_confirmed=True)

    def public(self):
        """Organizations an anonymous reader may see: proposed ones wait for confirmation."""
        return self.confirmed()

    def selectable_by(self, user):
        """Organizations a staff member may pick as a party: confirmed ones, and the ones
        they proposed themselves while those await confirmation."""
        if not user.is_authenticated:
            return self.confirmed()
        return self.filter(Q(is_confirmed=True) | Q(proposed_by=user))


class SourceQuerySet(models.QuerySet):
    def with_url(self, url: str):
        """The source recorded with this address: a source is one row however many
        records cite it. A source without an address is never found by it."""
        url = (url or "").strip()
        return self.filter(url=url).order_by("pk") if url else self.none()


def with_sources(queryset: models.QuerySet, present: bool = True) -> models.QuerySet:
    """The partnerships or agreements of ``queryset`` that cite at least one source (or,
    with ``present=False``, none): their own sources, never those of related records."""
    links = queryset.model.sources.through.objects.filter(
        **{queryset.model._meta.model_name: OuterRef("pk")}
    )
    return queryset.filter(Exists(links) if present else ~Exists(links))


class PartnershipPartyQuerySet(models.QuerySet):
    def of_member(self, user):
        """The parties the user is a member of (editor or viewer)."""
        return self.filter(organization__memberships__user=user)


def public_values(prefix: str = "") -> dict[str, str]:
    """The values that make a partnership's or an agreement's own state public (reached
    through ``prefix``, e.g. ``"partnership__"``): published by the workflow and not
    restricted by the parties. The one declaration of "public" every reader derives from:
    the querysets' ``.public()``, the audit registry's ``public_if``, the API's nested
    references."""
    return {
        f"{prefix}visibility": Visibility.PUBLIC,
        f"{prefix}publication_status": PublicationStatus.PUBLISHED,
    }


def public_partnership(prefix: str = "") -> Q:
    """Q: the partnership (through ``prefix``) is public: what ``.public()`` selects."""
    return Q(**public_values(prefix))


class PartnershipQuerySet(models.QuerySet):
    def public(self):
        """Published by the workflow and not restricted by the parties."""
        return self.filter(public_partnership())

    def visible_to(self, user):
        """Public partnerships, plus restricted ones of the user's organizations.

        Administrators and members of oversight organizations see all of them.
        """
        if not user.is_authenticated:
            return self.public()
        if sees_every_record(user):
            return self.all()
        return self.filter(public_partnership() | Q(self._with_member(user)))

    def with_sources(self, present: bool = True):
        return with_sources(self, present)

    def with_party(self, organization):
        return self.filter(parties__organization=organization)

    def with_member(self, user):
        """The partnerships one of the user's organizations is a party to."""
        return self.filter(self._with_member(user))

    def _with_member(self, user) -> Exists:
        parties = _related_model(self, "parties").objects.of_member(user)
        return Exists(parties.filter(partnership=OuterRef("pk")))
