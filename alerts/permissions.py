"""Who is a follower."""

from __future__ import annotations

from .models import Follower


def is_follower(user) -> bool:
    """A signed-in follower account (with no staff role whatever)."""
    if not user.is_authenticated:
        return False
    return Follower.objects.filter(user=user).exists()
