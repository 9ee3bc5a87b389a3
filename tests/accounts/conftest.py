"""Logging in through the login form, second factors and the lockout's counts."""

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.urls import reverse

from tests import factories

from .factors import SecondFactor

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fresh_counts():
    """The lockout's counts and the spent codes live in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mfa_required(settings):
    settings.STAFF_MFA_REQUIRED = True


@pytest.fixture
def superuser():
    return factories.UserFactory(username="site_admin", is_staff=True, is_superuser=True)


@pytest.fixture
def editor_factor(ngo_editor):
    """The NGO editor has set up an authenticator app, with recovery codes."""
    return SecondFactor(ngo_editor)


def log_in(client, username: str, password: str = PASSWORD, *, next_url: str = "", **extra):
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": username, "password": password}, **extra)


def enter_code(client, code: str):
    return client.post(reverse("mfa_authenticate"), {"code": code})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def factor_types(user) -> set[str]:
    return set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
