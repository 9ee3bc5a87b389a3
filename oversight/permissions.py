"""Who may do what in oversight, written once; views and services ask these functions.

- members (editors or viewers) of oversight bodies, community boards and auditors use the
  oversight dashboard, which lists every agreement, restricted ones included;
- their *editors* record reviews for their own organization, add and resolve the findings
  of their organization's reviews, and resolve flags by hand;
- site administrators (superusers) may do everything.

Seeing a single record is decided by the querysets (``.visible_to(user)``), as elsewhere.
"""

from __future__ import annotations

from agreements.models import Agreement
from partnerships.models import Organization
from partnerships.permissions import editor_organizations
from partnerships.querysets import sees_every_record

from .models import Flag, Review


def can_use_dashboard(user) -> bool:
    """The dashboard lists every record: for those who see every record."""
    return sees_every_record(user)


def reviewer_organizations(user):
    """The organizations a user may record reviews for: the oversight organizations they
    edit for; for a site administrator, every confirmed oversight organization."""
    if user.is_authenticated and user.is_superuser:
        organizations = Organization.objects.confirmed()
    else:
        organizations = editor_organizations(user)
    return organizations.oversight().order_by("name")


def can_record_review(user, agreement: Agreement) -> bool:
    return user.is_authenticated and reviewer_organizations(user).exists()


def can_change_review(user, review: Review) -> bool:
    """Complete the review, add findings to it and resolve them: editors of the reviewing
    organization."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or editor_organizations(user).filter(pk=review.reviewer_id).exists()


def can_resolve_flag(user, flag: Flag) -> bool:
    return user.is_authenticated and (
        user.is_superuser or editor_organizations(user).oversight().exists()
    )


def resolving_organization(user):
    """The oversight organization named on a flag a user resolves by hand (their first)."""
    if not user.is_authenticated:
        return None
    return editor_organizations(user).oversight().order_by("name").first()


def can_see_full_history(user) -> bool:
    """The full change history of any record (private fields, the people who made each
    change): oversight members and site administrators, like the dashboard."""
    return sees_every_record(user)
