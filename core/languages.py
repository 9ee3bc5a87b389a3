"""Each account's language, and e-mails written in their recipient's language.

A page is in the language of its request (``core.middleware.LocaleMiddleware``); an e-mail
a job sends has no request. So every e-mail, whoever sends it and when, is written inside
``recipient_language(language)``: its subject, its templates, its dates and the lazy labels
it shows are then in the recipient's language. The language of an account is kept in
``AccountLanguage`` (``account_language_record``): when a follower signs up (the language
of the sign-up page), when an account signs in (``account_language_at_login``), when it
uses the language switcher (``language_switch``) and when a follower manages their alerts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from .models import AccountLanguage


def known_language(language: str | None) -> str | None:
    """``language`` if the site offers it (``LANGUAGES``; "es-ar" is "es"), else None."""
    if not language:
        return None
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return None


@contextmanager
def recipient_language(language: str | None) -> Iterator[None]:
    """Write an e-mail in its recipient's language: everything rendered inside (subject,
    templates, dates, labels) is in ``language``. Unknown (None: an address with no account
    yet, an account that never signed in since languages were kept), it is written in the
    language already active: the request's, in a request; the site's (``LANGUAGE_CODE``),
    in a job."""
    language = known_language(language)
    if language is None:
        yield
        return
    with translation.override(language):
        yield


def language_of(user) -> str | None:
    """The language ``user`` reads the registry in; None when it is not known."""
    try:
        return user.account_language.language
    except AccountLanguage.DoesNotExist:
        return None


def account_language_record(*, user, language: str | None) -> None:
    """Keep ``language`` as the one ``user`` reads the registry in (one statement, an
    insert or an update); a language the site does not offer changes nothing."""
    language = known_language(language)
    if language is None or user is None or not user.pk:
        return
    AccountLanguage.objects.bulk_create(
        [AccountLanguage(user=user, language=language)],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["language"],
    )
    # ``user.account_language``, if read already, would still say the old one (or none).
    user._state.fields_cache.pop("account_language", None)


def account_language_at_login(sender, request, user, **kwargs) -> None:
    """On login (``user_logged_in``): the language of the page the account signed in on.
    A login without a request through the middleware (a test's ``force_login``) keeps
    nothing."""
    account_language_record(user=user, language=getattr(request, "LANGUAGE_CODE", None))


@csrf_exempt
def language_switch(request):
    """Django's ``set_language`` (the switcher of every page: it sets the language cookie),
    which also keeps the new language of a signed-in account. Exempt from CSRF (see
    ``config.urls``): a POST from another site carries no session cookie (``SameSite=Lax``),
    so it cannot change an account's language."""
    response = set_language(request)
    chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen is not None and request.user.is_authenticated:
        account_language_record(user=request.user, language=chosen.value)
    return response
