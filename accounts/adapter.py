"""How the registry uses django-allauth's login: no sign-up, failed logins counted per user
name and client address, and every failure or refusal recorded (``AuthenticationEvent``)."""

from __future__ import annotations

import ipaddress

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import ngettext

from partnerships.models import Membership, Organization

from . import services
from .models import AuthenticationEvent

# IPv6 clients are counted by their /64 network: one subscriber holds a whole /64, and
# counting each of its addresses would let them try 2**64 times as often.
IPV6_NETWORK_PREFIX = 64


def lockout_message() -> str:
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    return ngettext(
        "Too many failed attempts to log in to this account from your network: logging in "
        "is locked for up to %(minutes)s minute. Try again later, or set a new password with "
        "“Forgotten your password?”.",
        "Too many failed attempts to log in to this account from your network: logging in "
        "is locked for up to %(minutes)s minutes. Try again later, or set a new password with "
        "“Forgotten your password?”.",
        minutes,
    ) % {"minutes": minutes}


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request) -> str:
        """Where a login without ``next`` lands: the oversight dashboard for those who are
        members of oversight organizations only (their work is there, and they are party
        to no partnership), else their organizations' page."""
        memberships = Membership.objects.filter(user=request.user)
        party_memberships = memberships.exclude(organization__kind__in=Organization.OVERSIGHT_KINDS)
        if memberships.exists() and not party_memberships.exists():
            return reverse("oversight:dashboard")
        return super().get_login_redirect_url(request)

    def is_open_for_signup(self, request) -> bool:
        """Accounts are created by invitation only (``partnerships.services.member_invite``)."""
        return False

    @property
    def error_messages(self):
        return {
            **DefaultAccountAdapter.error_messages,
            "too_many_login_attempts": lockout_message(),
        }

    def client_ip(self, request) -> str | None:
        """The client's address (behind ALLAUTH_TRUSTED_PROXY_COUNT proxies), or None."""
        try:
            return self.get_client_ip(request)
        except (PermissionDenied, ImproperlyConfigured):
            return None

    def client_network(self, request) -> str:
        """What the lockout counts as one client: its IPv4 address, its IPv6 /64 network."""
        ip = self.client_ip(request) or ""
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return ip
        if address.version == 6:
            return str(ipaddress.ip_network(f"{address}/{IPV6_NETWORK_PREFIX}", strict=False))
        return str(address)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth counts failed logins ("login_failed" per key) by this key: by user name
        # and client, so that nobody locks an account out for everyone, nor a shared
        # office out of every account.
        username = credentials.get("username", "").lower()
        return f"{username}|{self.client_network(request)}"

    def pre_authenticate(self, request, **credentials) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            services.authentication_event_record(
                kind=AuthenticationEvent.Kind.PASSWORD_LOCKED_OUT,
                username=credentials.get("username", ""),
                ip_address=self.client_ip(request),
            )
            raise

    def authentication_failed(self, request, **credentials) -> None:
        services.authentication_event_record(
            kind=AuthenticationEvent.Kind.PASSWORD_FAILED,
            username=credentials.get("username", ""),
            ip_address=self.client_ip(request),
        )

    def login_lockout_clear(self, request, *, username: str) -> None:
        """Lift the lockout of ``username`` from this client: its owner has just set a new
        password through a link sent to their e-mail address."""
        self._delete_login_attempts_cached_email(request, username=username)
