"""Accounts that must use a second factor set one up before anything else."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from .permissions import lacks_required_mfa

# What an account may still open before it has set up its second factor: the pages that set
# one up (django-allauth's ``mfa_*``, and confirming the password they may ask for), and
# logging in and out.
SETUP_URL_NAMES = frozenset(
    {"account_reauthenticate", "login", "account_login", "logout", "account_logout"}
)
# The public site, the feeds and the API: open to everyone. Such an account sees them as an
# anonymous reader does, without its organization's restricted records.
PUBLIC_NAMESPACES = frozenset({"public", "feeds", "api"})
PUBLIC_URL_NAMES = frozenset({"sitemap", "robots_txt", "healthz", "api-schema", "api-docs"})

SETUP_MESSAGE = _(
    "Your account must use two-factor authentication: set up an authenticator app or a "
    "security key to continue."
)


def is_setup_page(match) -> bool:
    name = match.url_name or ""
    return not match.namespaces and (name in SETUP_URL_NAMES or name.startswith("mfa_"))


def is_public_page(match) -> bool:
    return bool(PUBLIC_NAMESPACES.intersection(match.namespaces)) or (
        not match.namespaces and match.url_name in PUBLIC_URL_NAMES
    )


class MfaRequiredMiddleware:
    """While STAFF_MFA_REQUIRED is on, an account that must use a second factor and has
    none (``permissions.lacks_required_mfa``) is sent to set one up from every staff page,
    the administration included; the public pages stay open to it, as to anyone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or is_setup_page(match):
            return None
        if not lacks_required_mfa(request.user):
            return None
        if is_public_page(match):
            request.user = AnonymousUser()
            return None
        messages.warning(request, SETUP_MESSAGE)
        return redirect("mfa_index")
