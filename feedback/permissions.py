"""Who moderates and who answers public feedback, written once.

- *Moderators* are the editors of oversight bodies and community boards (and site
  administrators). A moderator who is a member of one of a partnership's parties never
  moderates feedback on it: a party does not judge what is said about it.
- An *editor of a party* answers feedback on its partnership, in the party's name.
"""

from __future__ import annotations

from partnerships.models import Organization, Partnership
from partnerships.permissions import editor_organizations, is_member_of_party

MODERATING_KINDS = (Organization.Kind.OVERSIGHT_BODY, Organization.Kind.COMMUNITY_BOARD)


def moderator_organizations(user):
    return editor_organizations(user).filter(kind__in=MODERATING_KINDS)


def is_feedback_moderator(user) -> bool:
    """May see the moderation queue (of the partnerships they may moderate)."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or moderator_organizations(user).exists()


def can_moderate_feedback(user, partnership: Partnership) -> bool:
    """Publish, hide, and close a partnership to feedback."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return is_feedback_moderator(user) and not is_member_of_party(user, partnership)


def responding_organizations(user, partnership: Partnership):
    """The parties of ``partnership`` ``user`` may answer for: those they are an editor of
    (any party, for a site administrator)."""
    parties = Organization.objects.filter(party_roles__partnership=partnership)
    if not user.is_authenticated:
        return Organization.objects.none()
    if user.is_superuser:
        return parties.order_by("name")
    return parties.filter(pk__in=editor_organizations(user).values("pk")).order_by("name")


def can_respond_to_feedback(user, partnership: Partnership) -> bool:
    return responding_organizations(user, partnership).exists()
