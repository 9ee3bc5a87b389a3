"""Recording the security events of staff accounts (``AuthenticationEvent``), each one a
row the audit trail chains."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import AuthenticationEvent


@transaction.atomic
def authentication_event_record(
    *,
    kind: AuthenticationEvent.Kind,
    ip_address: str | None,
    user=None,
    username: str = "",
    factor: str = "",
) -> AuthenticationEvent:
    """Record ``kind`` for ``user``, or for the account that ``username`` names exactly
    (as the login does). A name that names no account is left out: it may be a password
    typed in the user name field, which the append-only trail would keep for ever."""
    if user is None and username:
        User = get_user_model()
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
    event = AuthenticationEvent(
        kind=kind,
        user=user,
        username=user.get_username() if user is not None else "",
        factor=factor,
        ip_address=ip_address,
    )
    event.full_clean()
    event.save()
    return event
