"""Every write of the alerts app: followers signing up, confirming and leaving; alerts
saved, followed and unsubscribed."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from .matching import estimate
from .models import Alert, Follower

logger = logging.getLogger(__name__)

CONFIRM_SALT = "alerts.follower-confirm"
# How long the confirmation link of a new follower stays valid.
CONFIRM_MAX_AGE = dt.timedelta(days=3)


def follower_signup(*, email: str, password: str) -> Follower:
    """A follower account, inactive until its e-mail address is confirmed by the link sent
    to it. Its user name is its e-mail address (it logs in with it)."""
    email = email.strip().lower()
    user_model = get_user_model()
    with transaction.atomic():
        existing = user_model.objects.filter(username__iexact=email).first()
        unconfirmed = Follower.objects.filter(user=existing, confirmed_at=None).first()
        if existing is not None and unconfirmed is None:
            raise ValidationError({"email": "An account with this e-mail address exists already."})
        if unconfirmed is not None:
            # Signing up again before confirming: a new link (and the new password).
            user, follower = existing, unconfirmed
        else:
            user = user_model(username=email, email=email, is_active=False)
            follower = None
        user.set_password(password)
        user.full_clean()
        user.save()
        follower = follower or Follower.objects.create(user=user)
    token = signing.dumps(follower.pk, salt=CONFIRM_SALT)
    link = settings.SITE_URL.rstrip("/") + reverse("alerts:confirm", kwargs={"token": token})
    transaction.on_commit(lambda: _send_confirmation(email, link))
    return follower


def _send_confirmation(email: str, link: str) -> None:
    """Logged, never raised: signing up again with the address sends a new link."""
    try:
        send_mail(
            "Confirm your e-mail address to follow the Partnership Registry",
            f"To confirm your address and start following the registry, open this link:\n\n"
            f"{link}\n\nIt is valid for {CONFIRM_MAX_AGE.days} days. If you did not sign up, "
            "ignore this message: nothing will be sent to you.",
            None,
            [email],
        )
    except Exception:
        logger.exception("the confirmation e-mail to a new follower could not be sent")


def follower_confirm(*, token: str, now: dt.datetime) -> Follower | None:
    """The follower of a valid confirmation link, now active; None for a bad link."""
    try:
        pk = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    follower = Follower.objects.select_related("user").filter(pk=pk).first()
    if follower is None:
        return None
    with transaction.atomic():
        if Follower.objects.filter(pk=pk, confirmed_at=None).update(confirmed_at=now):
            type(follower.user).objects.filter(pk=follower.user_id).update(is_active=True)
    follower.refresh_from_db()
    follower.user.refresh_from_db()
    return follower


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
        raise AlertRefused("This search has invalid filters; correct them on its page first.")
    limit = settings.ALERTS_MAX_PER_DAY
    if expected["per_day"] > limit:
        raise AlertRefused(
            f"This search matched {expected['count']} records in the last 30 days, more than "
            f"{limit} a day: narrow it (add a filter) before saving it as an alert."
        )
    alert = Alert(follower=follower, kind=kind, query=query, name=name, frequency=frequency)
    alert.full_clean()
    alert.save()
    return alert


def alert_unsubscribe(*, token: str) -> bool:
    """Delete the alert of an unsubscribe link; False when there is none (any more)."""
    deleted, _ = Alert.objects.filter(unsubscribe_token=token).delete()
    return deleted > 0
