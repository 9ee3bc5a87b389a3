"""Every write of the alerts app: followers signing up, confirming and leaving; alerts
saved, followed and unsubscribed."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from core.languages import account_language_record, language_of, recipient_language

from .matching import estimate
from .models import Alert, Follower

logger = logging.getLogger(__name__)

CONFIRM_SALT = "alerts.follower-confirm"
# How long the confirmation link of a new follower stays valid.
CONFIRM_MAX_AGE = dt.timedelta(days=3)


def _password_mark(user) -> str:
    """Binds a confirmation link to the password it was sent with: signing up again (with
    another password) voids the earlier links."""
    return salted_hmac(CONFIRM_SALT, user.password).hexdigest()[:16]


def follower_signup(*, email: str, password: str, language: str | None = None) -> None:
    """Sign up ``email``: what happens is told by e-mail only, so that the page never
    tells whether the address has an account.

    - A new address: a follower account, inactive until the address is confirmed by the
      link sent to it. Its user name is its e-mail address (it logs in with it). Its
      alerts are written in ``language`` (the sign-up page's), as is the link's e-mail.
    - An address that signed up and has not confirmed yet: a new link (with the new
      password and ``language``; the earlier links no longer work).
    - An address with an account: an e-mail saying so (in the account's language), with
      the links to log in and to set a new password; the account is left as it is.
    """
    email = email.strip().lower()
    user_model = get_user_model()
    with transaction.atomic():
        existing = user_model.objects.filter(username__iexact=email).first()
        unconfirmed = Follower.objects.filter(user=existing, confirmed_at=None).first()
        if existing is not None and unconfirmed is None:
            make_password(password)  # the same work as a sign-up: no timing tells either
            written_in = language_of(existing) or language
            transaction.on_commit(lambda: _send_account_exists(email, written_in))
            return
        if unconfirmed is not None:
            user, follower = existing, unconfirmed
        else:
            user = user_model(username=email, email=email, is_active=False)
            follower = None
        user.set_password(password)
        user.full_clean()
        user.save()
        follower = follower or Follower.objects.create(user=user)
        account_language_record(user=user, language=language)
    token = signing.dumps([follower.pk, _password_mark(user)], salt=CONFIRM_SALT)
    link = settings.SITE_URL.rstrip("/") + reverse("alerts:confirm", kwargs={"token": token})
    transaction.on_commit(lambda: _send_confirmation(email, link, language))


def _send(email: str, subject: str, text: str) -> None:
    """Logged, never raised: signing up again with the address sends it again."""
    try:
        send_mail(subject, text, None, [email])
    except Exception:
        logger.exception("an e-mail to a follower signing up could not be sent")


def _send_confirmation(email: str, link: str, language: str | None) -> None:
    with recipient_language(language):
        _send(
            email,
            gettext("Confirm your e-mail address to follow the Partnership Registry"),
            gettext(
                "To confirm your address and start following the registry, open this "
                "link:\n\n%(link)s\n\nIt is valid for %(days)s days. If you did not sign "
                "up, ignore this message: nothing will be sent to you."
            )
            % {"link": link, "days": CONFIRM_MAX_AGE.days},
        )


def _send_account_exists(email: str, language: str | None) -> None:
    site = settings.SITE_URL.rstrip("/")
    with recipient_language(language):
        _send(
            email,
            gettext("You already have an account on the Partnership Registry"),
            gettext(
                "Someone (you, we hope) asked to sign up with this address, but it already "
                "has an account: nothing was changed.\n\n"
                "Log in with this address as your user name: %(login)s\n"
                "Forgotten your password? Set a new one: %(password_reset)s\n\n"
                "If you did not ask, ignore this message."
            )
            % {
                "login": site + reverse("login"),
                "password_reset": site + reverse("password_reset"),
            },
        )


def follower_of_link(token: str) -> Follower | None:
    """The follower a confirmation link was sent for; None for a bad or expired link, or
    one voided by a later sign-up with the address."""
    try:
        pk, mark = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    follower = Follower.objects.select_related("user").filter(pk=pk).first()
    if follower is None or mark != _password_mark(follower.user):
        return None
    return follower


def follower_confirm(*, follower: Follower, password: str, now: dt.datetime) -> bool:
    """Activate the account of a valid link, given the password chosen at sign-up.

    Holding the inbox is not enough: someone who signed up with another person's address
    after them sends the newest link, with a password only they know; the owner of the
    address cannot confirm that account, and signing up again voids that link."""
    if not follower.user.check_password(password):
        return False
    with transaction.atomic():
        if Follower.objects.filter(pk=follower.pk, confirmed_at=None).update(confirmed_at=now):
            type(follower.user).objects.filter(pk=follower.user_id).update(is_active=True)
    follower.refresh_from_db()
    follower.user.refresh_from_db()
    return True


def follower_delete(*, follower: Follower) -> None:
    """The account and everything with it: its alerts, their pending items (cascade)."""
    follower.user.delete()


class AlertRefused(ValidationError):
    pass


def alert_create(
    *, follower: Follower, kind: str, query: str, name: str, frequency: str, now: dt.datetime
) -> Alert:
    """Save a search; refused (``AlertRefused``) when its filters are invalid or when it
    would match more than ``ALERTS_MAX_PER_DAY`` records a day (over the last 30 days)."""
    expected = estimate(kind, query, now=now)
    if not expected["valid"]:
        raise AlertRefused(
            gettext("This search has invalid filters; correct them on its page first.")
        )
    limit = settings.ALERTS_MAX_PER_DAY
    if expected["per_day"] > limit:
        raise AlertRefused(
            gettext(
                "This search matched %(count)s records in the last 30 days, more than "
                "%(limit)s a day: narrow it (add a filter) before saving it as an alert."
            )
            % {"count": expected["count"], "limit": limit}
        )
    alert = Alert(follower=follower, kind=kind, query=query, name=name, frequency=frequency)
    alert.full_clean()
    alert.save()
    return alert


def alert_unsubscribe(*, token: str) -> bool:
    """Delete the alert of an unsubscribe link; False when there is none (any more)."""
    deleted, _ = Alert.objects.filter(unsubscribe_token=token).delete()
    return deleted > 0
