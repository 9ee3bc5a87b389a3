"""The login's second step: the two-factor code, with its own lockout message and record."""

from __future__ import annotations

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from . import services
from .models import AuthenticationEvent


class MfaAuthenticateForm(AuthenticateForm):
    """A code from the authenticator app, or a recovery code (each works once). Wrong
    codes are counted per account (LOGIN_FAILURE_LIMIT in LOGIN_LOCKOUT_MINUTES)."""

    def clean_code(self) -> str:
        try:
            return super().clean_code()
        except ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            services.authentication_event_record(
                kind=AuthenticationEvent.Kind.CODE_LOCKED_OUT,
                user=self.user,
                ip_address=get_account_adapter().client_ip(context.request),
            )
            minutes = settings.LOGIN_LOCKOUT_MINUTES
            raise ValidationError(
                ngettext(
                    "Too many wrong codes: entering a code for this account is locked for up "
                    "to %(minutes)s minute. Try again later.",
                    "Too many wrong codes: entering a code for this account is locked for up "
                    "to %(minutes)s minutes. Try again later.",
                    minutes,
                ),
                code="too_many_login_attempts",
                params={"minutes": minutes},
            ) from error
