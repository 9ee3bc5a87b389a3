"""Who may do what with joint activities, written once; views and services ask these."""

from partnerships.models import Partnership
from partnerships.permissions import can_edit_partnership, can_see_private_records


def can_record_activity(user, partnership: Partnership) -> bool:
    """Record and edit a partnership's activities and their results: its parties' editors
    (and site administrators)."""
    return can_edit_partnership(user, partnership)


def can_see_activity_publication(user, partnership: Partnership) -> bool:
    """An activity's publication page (its state, withheld values): the parties' members
    and those who see every record."""
    return can_see_private_records(user, partnership)
