"""Who must log in with a second factor."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.db.models import Q

from partnerships.models import Membership, Organization

# The second factors that protect a login; recovery codes only stand in for them.
LOGIN_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def must_use_mfa(user) -> bool:
    """While STAFF_MFA_REQUIRED is on: the accounts that change the registry or see every
    restricted record, that is editors of any organization, members of oversight
    organizations (whatever their role) and administrators (staff or superusers)."""
    if not settings.STAFF_MFA_REQUIRED or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(
        Q(role=Membership.Role.EDITOR) | Q(organization__kind__in=Organization.OVERSIGHT_KINDS),
        user=user,
    ).exists()


def has_mfa(user) -> bool:
    """The account logs in with an authenticator app or a security key."""
    return is_mfa_enabled(user, LOGIN_FACTORS)


def lacks_required_mfa(user) -> bool:
    """The account must use a second factor and has none yet."""
    if not settings.STAFF_MFA_REQUIRED or not user.is_authenticated:
        return False
    # Most accounts that must have one do: one query for them.
    return not has_mfa(user) and must_use_mfa(user)
