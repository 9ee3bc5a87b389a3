"""django-allauth tells of second factors added, removed, renewed, used and mistyped by its
signals (``allauth.mfa.signals``); each becomes an ``AuthenticationEvent``."""

from __future__ import annotations

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator

from . import services
from .models import AuthenticationEvent


def _record(kind, request, user, authenticator) -> None:
    services.authentication_event_record(
        kind=kind,
        user=user,
        factor=authenticator.type,
        ip_address=get_account_adapter().client_ip(request) if request is not None else None,
    )


def _factor_added(sender, request=None, user=None, authenticator=None, **kwargs):
    _record(AuthenticationEvent.Kind.FACTOR_ADDED, request, user, authenticator)


def _factor_removed(sender, request=None, user=None, authenticator=None, **kwargs):
    _record(AuthenticationEvent.Kind.FACTOR_REMOVED, request, user, authenticator)


def _factor_reset(sender, request=None, user=None, authenticator=None, **kwargs):
    _record(AuthenticationEvent.Kind.RECOVERY_CODES_RENEWED, request, user, authenticator)


def _factor_used(sender, request=None, user=None, authenticator=None, **kwargs):
    # Codes from the app and security keys are the everyday login; a recovery code is the
    # last resort, worth a record.
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        _record(AuthenticationEvent.Kind.RECOVERY_CODE_USED, request, user, authenticator)


def _code_failed(sender, request=None, user=None, authenticator=None, **kwargs):
    _record(AuthenticationEvent.Kind.CODE_FAILED, request, user, authenticator)


def connect() -> None:
    for signal, receiver in (
        (mfa_signals.authenticator_added, _factor_added),
        (mfa_signals.authenticator_removed, _factor_removed),
        (mfa_signals.authenticator_reset, _factor_reset),
        (mfa_signals.authenticator_used, _factor_used),
        (mfa_signals.authentication_failed, _code_failed),
    ):
        signal.connect(receiver, dispatch_uid=f"accounts.{receiver.__name__}")
