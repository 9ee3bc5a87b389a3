"""Who may see which partnership, written once.

``.public()`` is exactly what an anonymous reader may see; every public page,
feed, export and API endpoint starts from it. ``.visible_to(user)`` adds what a
signed-in user may see besides.
"""

from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Value, When


class MembershipQuerySet(models.QuerySet):
    def of_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def in_oversight(self):
        from .models import Organization

        return self.filter(organization__kind__in=Organization.OVERSIGHT_KINDS)


def sees_every_record(user) -> bool:
    """Site administrators and members of oversight organizations see restricted records."""
    from .models import Membership

    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.of_user(user).in_oversight().exists()


def party_of_partnership_with_member(user, partnership_ref: str = "pk"):
    """Exists(): one of the user's organizations is a party to that partnership."""
    from .models import PartnershipParty

    return Exists(
        PartnershipParty.objects.filter(
            partnership=OuterRef(partnership_ref), organization__memberships__user=user
        )
    )


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


class PartnershipQuerySet(models.QuerySet):
    def public(self):
        from .models import Visibility

        return self.filter(visibility=Visibility.PUBLIC)

    def visible_to(self, user):
        """Public partnerships, plus restricted ones of the user's organizations.

        Administrators and members of oversight organizations see all of them.
        """
        from .models import Visibility

        if not user.is_authenticated:
            return self.public()
        if sees_every_record(user):
            return self.all()
        return self.filter(
            Q(visibility=Visibility.PUBLIC) | Q(party_of_partnership_with_member(user))
        )

    def with_party(self, organization):
        return self.filter(parties__organization=organization)

    def with_risk_level(self, agreements=None):
        """Annotate ``derived_risk_level``: the highest risk among ``agreements`` of each
        partnership (all its agreements by default; the public pages pass the public
        ones), low when it has none."""
        from agreements.models import Agreement, DataSharingTerm, RiskLevel

        if agreements is None:
            agreements = Agreement.objects.all()
        terms = DataSharingTerm.objects.filter(
            agreement__in=agreements, agreement__partnership=OuterRef("pk")
        )
        return self.annotate(
            derived_risk_level=Case(
                When(Exists(terms.high_risk()), then=Value(RiskLevel.HIGH)),
                When(Exists(terms.medium_risk_or_higher()), then=Value(RiskLevel.MEDIUM)),
                default=Value(RiskLevel.LOW),
                output_field=models.CharField(),
            )
        )
