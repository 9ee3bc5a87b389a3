"""The security events of staff accounts: failed logins, lockouts and changes to a second
factor, each recorded in the audit trail (``audit.registry``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.registry import track


class AuthenticationEvent(models.Model):
    """One failed or refused step of logging in, or a second factor added, removed or
    used as a last resort. Written by ``accounts.services`` only; never changed."""

    class Kind(models.TextChoices):
        PASSWORD_FAILED = "password_failed", _("Wrong user name or password")
        PASSWORD_LOCKED_OUT = "password_locked_out", _("Refused: too many failed logins")
        CODE_FAILED = "code_failed", _("Wrong two-factor code")
        CODE_LOCKED_OUT = "code_locked_out", _("Refused: too many wrong two-factor codes")
        FACTOR_ADDED = "factor_added", _("Second factor added")
        FACTOR_REMOVED = "factor_removed", _("Second factor removed")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("New recovery codes generated")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authentication_events",
        help_text=_("The account, when the user name tried names one."),
    )
    # A name that names no account is not kept: it may be a password typed in the wrong field.
    username = models.CharField(max_length=150, blank=True)
    factor = models.CharField(
        max_length=32,
        blank=True,
        help_text=_("The second factor concerned: totp, webauthn or recovery_codes."),
    )
    ip_address = models.GenericIPAddressField(
        null=True,
        blank=True,
        help_text=_("The client's address, as the login lockout counts it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        who = self.username or "an unknown user name"
        return f"{self.get_kind_display()}: {who} from {self.ip_address or 'an unknown address'}"


AuthenticationEventEvent = track(
    AuthenticationEvent, record="Authentication event", slug="authentication-event"
)
