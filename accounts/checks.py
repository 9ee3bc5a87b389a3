"""Deployment checks of the login lockout."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def login_lockout_cache(app_configs, **kwargs):
    """The lockout counts failed logins in the default cache: per process, a local-memory
    cache lets each web process allow its own LOGIN_FAILURE_LIMIT."""
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        return [
            Warning(
                "The login lockout counts failed logins in a local-memory cache, one per web "
                "process: with several processes an attacker gets that many more tries.",
                hint="Set CACHE_URL to a shared cache, e.g. redis://redis:6379/1.",
                id="accounts.W001",
            )
        ]
    return []
