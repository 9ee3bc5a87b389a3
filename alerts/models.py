"""Followers, their alerts (saved searches and follows), and the outbox of what the
alerts found.

A follower is a public account: an e-mail address confirmed by a link, and nothing else
(no organization, no staff page: ``alerts.middleware``). Its alerts are saved searches: the
query string of the registry page (``/partnerships/?…``) or of the flags list, matched by
``alerts.matching`` against the published changes of the audit log. A search of the
registry also follows the records of the partnerships it matches (their oversight
reviews, incidents and transparency reports: ``alerts.searches.FOLLOWED``).
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Follower(models.Model):
    """The user account of a follower: what marks it as one (and not a staff account)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower"
    )
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When its e-mail address was confirmed by the link."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.user.email


class Alert(models.Model):
    """A saved search of the registry (``kind``) with the query string of its page."""

    class Kind(models.TextChoices):
        PARTNERSHIPS = "partnerships", _("Partnerships")
        FLAGS = "flags", _("Flags")
        INCIDENTS = "incidents", _("Incidents")

    class Frequency(models.TextChoices):
        IMMEDIATELY = "immediately", _("As it happens (every few minutes)")
        DAILY = "daily", _("Once a day")
        WEEKLY = "weekly", _("Once a week")
        MONTHLY = "monthly", _("Once a month")

    follower = models.ForeignKey(Follower, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind)
    query = models.CharField(
        max_length=2000, blank=True, help_text="The page's query string, without its page."
    )
    name = models.CharField(max_length=200)
    frequency = models.CharField(max_length=20, choices=Frequency, default=Frequency.DAILY)
    # The one-click unsubscribe link carries it: no login needed.
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            # Following the same search twice would send every item twice.
            models.UniqueConstraint(
                fields=["follower", "kind", "query"], name="alerts_alert_one_per_search"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return self.page_url()

    def page_url(self) -> str:
        path = reverse(PAGES[self.kind])
        return f"{path}?{self.query}" if self.query else path

    def unsubscribe_url(self) -> str:
        return settings.SITE_URL.rstrip("/") + reverse(
            "alerts:unsubscribe", kwargs={"token": self.unsubscribe_token}
        )


# The page each kind of alert saves the search of ("Alert me").
PAGES = {
    Alert.Kind.PARTNERSHIPS: "public:registry",
    Alert.Kind.FLAGS: "feeds:flags",
    Alert.Kind.INCIDENTS: "public:incidents",
}


class Record(models.TextChoices):
    """The kinds of record an alert tells of: those its search lists (partnerships, flags),
    and those a search of the registry follows through their partnership."""

    PARTNERSHIP = "partnership", _("Partnership")
    FLAG = "flag", _("Flag")
    REVIEW = "review", _("Oversight review")
    INCIDENT = "incident", _("Incident")
    REPORT = "report", _("Transparency report")


# The records an alert's own search lists, by its kind.
OWN_RECORD = {
    Alert.Kind.PARTNERSHIPS: Record.PARTNERSHIP,
    Alert.Kind.FLAGS: Record.FLAG,
    Alert.Kind.INCIDENTS: Record.INCIDENT,
}


class AlertItem(models.Model):
    """Outbox: a record an alert matched, waiting for the alert's next e-mail. Claimed by
    setting ``sent_at`` (compare-and-swap on ``sent_at=None``) before it is sent."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="items")
    record_type = models.CharField(max_length=20, choices=Record, default=Record.PARTNERSHIP)
    record_id = models.BigIntegerField(help_text="A record of its ``record_type``.")
    since_seq = models.BigIntegerField(
        help_text="The audit events after this position are the changes to tell."
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True, help_text="The sending run that claimed it.")

    class Meta:
        constraints = [
            # A record changed twice before the e-mail is one item (the first change's
            # position kept): re-runs and overlapping runs add nothing.
            models.UniqueConstraint(
                fields=["alert", "record_type", "record_id"],
                condition=Q(sent_at=None),
                name="alerts_item_one_pending_per_record",
            )
        ]
        indexes = [
            # The sending run: the pending items of due alerts.
            models.Index(fields=["alert"], condition=Q(sent_at=None), name="alerts_item_pending"),
            # The sending run: the items it claimed.
            models.Index(fields=["claim"], name="alerts_item_claim"),
        ]

    def __str__(self):
        return f"{self.alert}: {self.record_id}"


class AlertMembership(models.Model):
    """A record the alert's search matched when it last changed: a later change after
    which it no longer matches (a flag closed, a status changed) is told as leaving it."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="memberships")
    record_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "record_id"], name="alerts_membership_once")
        ]
        indexes = [
            # The matching run: the memberships of the records a window changed.
            models.Index(fields=["record_id"], name="alerts_membership_record"),
        ]

    def __str__(self):
        return f"{self.alert}: {self.record_id}"


class MatchCursor(models.Model):
    """How far the matching job has read the audit log (one row). Advanced by
    compare-and-swap, so that two runs never read the same events."""

    name = models.CharField(max_length=40, primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} at {self.last_seq}"


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """An HTTPS address that receives the records an alert matched, signed per Standard
    Webhooks with its secret (and, for 24 hours after a rotation, the previous one too)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=80, default=new_webhook_secret)
    previous_secret = models.CharField(max_length=80, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Claimed (set) before its owner is told of repeated failures: told once per streak.
    failures_notified_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.url

    def secrets_at(self, now) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and the previous
        one until its 24 hours are over."""
        valid = [self.secret]
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            valid.append(self.previous_secret)
        return valid


class WebhookDelivery(models.Model):
    """One message to an endpoint: its body and ``webhook-id`` fixed when it is queued,
    so that every retry sends the same message (at-least-once delivery). The log of the
    endpoint's page: the last attempt's status code, duration and error."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=40)
    record_id = models.BigIntegerField(null=True, blank=True)
    window_end = models.BigIntegerField(
        null=True, blank=True, help_text="The audit log position of the matching run."
    )
    body = models.TextField()
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claim = models.UUIDField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # The first few hundred bytes of the last response, or why there was none.
    last_response = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A matching run queues a record once per endpoint: re-runs add nothing.
            models.UniqueConstraint(
                fields=["endpoint", "event_type", "record_id", "window_end"],
                condition=Q(record_id__isnull=False),
                name="alerts_delivery_one_per_run",
            )
        ]
        indexes = [
            # The delivery job: the pending deliveries that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="alerts_delivery_due",
            ),
        ]

    def __str__(self):
        return self.message_id
