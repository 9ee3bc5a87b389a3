"""What every app's services share."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied


def apply_fields(instance, fields: Sequence[str], data: Mapping[str, Any]) -> None:
    """Set on ``instance`` the ``fields`` that ``data`` gives; the others stay as they are."""
    for name in fields:
        if name in data:
            setattr(instance, name, data[name])


def require(allowed: bool, message: str = "You may not do this.") -> None:
    """Refuse (403) unless ``allowed``: the permission check every service starts with."""
    if not allowed:
        raise PermissionDenied(message)
