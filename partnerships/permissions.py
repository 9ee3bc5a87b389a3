"""Who may change what, written once; views and services ask these functions.

Seeing is decided by the querysets (``Partnership.objects.visible_to(user)``):
a record a user may not see is a 404 before any of these is asked. These
functions decide the rest:

- an *editor* of an organization may create partnerships in which that
  organization is a party, and edit everything belonging to such partnerships;
- a *viewer* sees the restricted records of those partnerships but changes nothing;
- members of oversight bodies, community boards and auditors see every record
  and edit none of the parties' records;
- site administrators (superusers) may do everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Membership, Organization, Partnership, PartnershipParty
from .querysets import sees_every_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def editor_organizations(user: User):
    """The organizations the user may act for as an editor."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.EDITOR
    )


def member_organizations(user: User):
    """The organizations the user belongs to, as editor or viewer."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user)


def can_create_partnership(user: User) -> bool:
    """Editors of an organization that can be a party (not an oversight organization)."""
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or editor_organizations(user).exclude(kind__in=Organization.OVERSIGHT_KINDS).exists()
    )


def organizations_acting_for(user: User):
    """The organizations a user may create a partnership for: their own as an editor
    (not oversight ones); for a site administrator, any confirmed one."""
    if user.is_authenticated and user.is_superuser:
        organizations = Organization.objects.confirmed()
    else:
        organizations = editor_organizations(user)
    return organizations.exclude(kind__in=Organization.OVERSIGHT_KINDS).order_by("name")


def is_editor_of_party(user: User, partnership: Partnership) -> bool:
    if not user.is_authenticated or partnership.pk is None:
        return False
    return PartnershipParty.objects.filter(
        partnership=partnership,
        organization__memberships__user=user,
        organization__memberships__role=Membership.Role.EDITOR,
    ).exists()


def is_member_of_party(user: User, partnership: Partnership) -> bool:
    """Editor or viewer of one of the partnership's parties."""
    if not user.is_authenticated or partnership.pk is None:
        return False
    return PartnershipParty.objects.of_member(user).filter(partnership=partnership).exists()


def can_edit_partnership(user: User, partnership: Partnership) -> bool:
    """The partnership, its parties, agreements, data-sharing terms and documents."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or is_editor_of_party(user, partnership)


def can_see_private_records(user: User, partnership: Partnership) -> bool:
    """Unpublished documents and other records kept from the public: the parties'
    members, and those who see every record (``sees_every_record``)."""
    return sees_every_record(user) or is_member_of_party(user, partnership)


def can_see_review_notes(user: User) -> bool:
    """Reviewers' private notes are for those who see every record: oversight members and
    site administrators."""
    return sees_every_record(user)


def can_remove_party(user: User, party: PartnershipParty) -> bool:
    """An editor may remove other parties, never their own organization (which would
    take the partnership out of their hands); administrators may remove any."""
    if not can_edit_partnership(user, party.partnership):
        return False
    if user.is_superuser:
        return True
    return not editor_organizations(user).filter(pk=party.organization_id).exists()


def can_propose_organization(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or can_create_partnership(user))


def can_manage_members(user: User, organization: Organization) -> bool:
    """Editors invite and remove the members of their own organization."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or editor_organizations(user).filter(pk=organization.pk).exists()
