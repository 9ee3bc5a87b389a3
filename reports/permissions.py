"""Who may do what with transparency reports, written once."""

from partnerships.models import Partnership
from partnerships.permissions import can_edit_partnership


def can_request_report(user, partnership: Partnership) -> bool:
    """Request a draft report of the year so far, publish a draft, correct a published
    report: the partnership's parties' editors (and site administrators)."""
    return can_edit_partnership(user, partnership)
