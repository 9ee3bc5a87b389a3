"""Outbound webhooks: the records an alert matched, as the public API shows them, posted
to the follower's HTTPS endpoints and signed per Standard Webhooks (``standardwebhooks``).

- Queued by the matching run (``webhooks_queue``), set-based: one statement for the
  endpoints, one presentation of the matched records per kind, one ``bulk_create``.
- Queued as soon as the matching run finds the record, whatever the alert's e-mail
  frequency: webhooks are for machines, and a machine wants the change now.
- Delivered by ``webhooks_deliver``: due deliveries claimed in one ``update`` (with a
  lease: a worker that dies leaves them due again), posted with a short timeout, no
  redirects, and the address checked again (SSRF); retried with back-off (``RETRY_DELAYS``);
  the owner is told after ``WEBHOOK_NOTIFY_AFTER`` failures in a row, and the endpoint is
  disabled after the last retry of a delivery.
- What is checked is what is connected to: the host name is resolved once, every address
  checked, and the connection made to the checked address (``post``), the TLS handshake
  (SNI, certificate) and the ``Host`` header still for the host name. A second resolution,
  which could answer a private address (DNS rebinding), never happens.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import logging
import socket
import ssl
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from standardwebhooks import Webhook

from audit.api import entry_json
from audit.history import public_history
from core.api.columns import URLs
from core.api.defaults import dumps
from core.languages import language_of, recipient_language
from core.tasks import enqueue_on_commit
from incidents.models import Incident
from oversight.models import Review
from partnerships.models import Partnership
from public.api.incidents import IncidentViewSet
from public.api.oversight import FlagViewSet, ReviewViewSet
from public.api.partnerships import PartnershipViewSet
from reports.models import Report

from .models import Alert, Record, WebhookDelivery, WebhookEndpoint, new_webhook_secret
from .searches import review_path

logger = logging.getLogger(__name__)

# The wait before each retry after a failed attempt: 8 attempts in about 28 hours.
RETRY_DELAYS = [
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
]
ATTEMPTS = len(RETRY_DELAYS) + 1
# How long a claimed delivery is held by its worker before it is due again.
LEASE = dt.timedelta(minutes=2)
TIMEOUT_SECONDS = 5
RESPONSE_BYTES = 300
BATCH = 200
ROTATION_OVERLAP = dt.timedelta(hours=24)
# The public API's endpoint of each kind of record, and its route's basename (DRF clears
# the class's own ``basename`` once the URLs are loaded).
VIEWSETS = {
    Record.PARTNERSHIP: (PartnershipViewSet, "partnership"),
    Record.FLAG: (FlagViewSet, "flag"),
    Record.REVIEW: (ReviewViewSet, "review"),
    Record.INCIDENT: (IncidentViewSet, "incident"),
}
EVENT_TYPES = {Record.PARTNERSHIP: "partnership.changed", Record.FLAG: "flag.changed"}
# Records with a public change history: their messages tell what changed in the window
# and where the public reads them; a record that was not public before it is "published".
HISTORIES = {
    Record.PARTNERSHIP: (
        lambda ids: Partnership.objects.public().filter(pk__in=ids),
        lambda partnership: partnership.get_absolute_url(),
    ),
    Record.REVIEW: (
        lambda ids: Review.objects.public().filter(pk__in=ids).select_related("agreement"),
        review_path,
    ),
    Record.INCIDENT: (
        lambda ids: Incident.objects.public().filter(pk__in=ids),
        lambda incident: incident.get_absolute_url(),
    ),
}


def _present_reports(ids: Iterable[int]) -> dict[int, dict]:
    """Published transparency reports (the API has none): what their page shows of them,
    with the addresses of the page, its PDF and its CSV."""
    site = settings.SITE_URL.rstrip("/")
    urls = SiteURLs(None)
    return {
        report.pk: {
            "id": report.pk,
            "partnership": {
                "title": report.partnership.title,
                "url": urls.absolute(report.partnership.get_absolute_url()),
            },
            "year": report.year,
            "version": report.version,
            "published_at": report.published_at,
            "sha256": report.sha256,
            "correction_note": report.correction_note,
            "html_url": site + report.html_url,
            "pdf_url": site + report.pdf_url,
            "csv_url": site + report.csv_url,
        }
        for report in Report.objects.public().filter(pk__in=ids).select_related("partnership")
    }


# Addresses -----------------------------------------------------------------------------


class SiteURLs(URLs):
    """The API's addresses of records, absolute on ``SITE_URL`` (no request in a job)."""

    def absolute(self, path: str) -> str:
        return settings.SITE_URL.rstrip("/") + path


def _allowed_networks():
    return [ipaddress.ip_network(n) for n in settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS]


# Why an endpoint's address is refused: on the form, in the follower's language; in the
# delivery log (written by the job), in the site's.
NOT_HTTPS = _("The address must be an https:// address.")
NOT_RESOLVED = _("The address's host name does not resolve.")
PRIVATE_NETWORK = _("The address resolves to a private, loopback or link-local network.")


@dataclass(frozen=True)
class Checked:
    """An endpoint's host resolved and checked: ``addresses`` are those to connect to (in
    the resolver's order), or ``refusal`` says why none may be."""

    addresses: tuple[str, ...] = ()
    refusal: str | None = None


def address_check(url: str) -> Checked:
    """Resolve the endpoint's host once and check every address: HTTPS only, and no
    address may be private, loopback, link-local, reserved or multicast (except the
    networks of ``WEBHOOK_ALLOWED_PRIVATE_NETWORKS``, for tests; there plain HTTP is
    allowed too)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return Checked(refusal=NOT_HTTPS)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        return Checked(refusal=NOT_RESOLVED)
    if not infos:
        return Checked(refusal=NOT_RESOLVED)
    allowed = _allowed_networks()
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if any(address in network for network in allowed):
            continue
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            return Checked(refusal=PRIVATE_NETWORK)
        if parts.scheme != "https":
            return Checked(refusal=NOT_HTTPS)
    return Checked(addresses=tuple(dict.fromkeys(info[4][0] for info in infos)))


def address_refusal(url: str) -> str | None:
    """Why the endpoint may not be called (``address_check``), or None."""
    return address_check(url).refusal


# Followers' actions --------------------------------------------------------------------


def endpoint_create(*, alert: Alert, url: str) -> WebhookEndpoint:
    refusal = address_refusal(url)
    if refusal:
        raise ValidationError({"url": refusal})
    endpoint = WebhookEndpoint(alert=alert, url=url)
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, now: dt.datetime) -> str:
    """A new secret; the old one signs too for 24 hours, so that receivers can switch."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + ROTATION_OVERLAP
    endpoint.secret = new_webhook_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return endpoint.secret


def endpoint_enable(*, endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        disabled_at=None, consecutive_failures=0, failures_notified_at=None
    )


def _message(event_type: str, data, now: dt.datetime, **extra) -> str:
    """The Standard Webhooks payload: type, timestamp, data (and ``extra``)."""
    return dumps({"type": event_type, "timestamp": now.isoformat(), "data": data, **extra}).decode()


def _new_delivery(endpoint_id: int, event_type: str, body: str, now, **fields):
    return WebhookDelivery(
        endpoint_id=endpoint_id,
        message_id=f"msg_{uuid.uuid4().hex}",
        event_type=event_type,
        body=body,
        next_attempt_at=now,
        created_at=now,
        **fields,
    )


def endpoint_send_test(*, endpoint: WebhookEndpoint, now: dt.datetime) -> WebhookDelivery:
    data = {"alert": endpoint.alert.name, "message": "A test event of the Partnership Registry."}
    delivery = _new_delivery(endpoint.pk, "test", _message("test", data, now), now)
    delivery.save()
    enqueue_delivery()
    return delivery


def delivery_resend(*, delivery: WebhookDelivery, now: dt.datetime) -> None:
    """Send again, with the same ``webhook-id`` and body: a fresh series of attempts."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=now, claim=None
    )
    enqueue_delivery()


def enqueue_delivery() -> None:
    """Deliver now rather than at the next scheduled run (a broker outage is logged)."""
    enqueue_on_commit("alerts.tasks.deliver_webhooks")


# Queueing (from the matching run) ----------------------------------------------------------


def _present(record: str, ids: Iterable[int]) -> dict[int, dict]:
    """The records as the public API shows them (its detail), from its own querysets."""
    viewset_class, basename = VIEWSETS[record]
    viewset = viewset_class()
    rows = list(viewset.base_queryset().filter(pk__in=ids).values(*viewset.row_fields))
    return {item["id"]: item for item in viewset.shape.present(rows, SiteURLs(None), basename)}


def _bodies(record: str, ids: set[int], window_start: int | None, now) -> dict[int, tuple]:
    """``{id: (event type, body)}`` of the public records of ``ids``: the record as the
    API shows it (``data``) and, for a record with a public history (``HISTORIES``), its
    public changes since ``window_start`` (``changes``, as the API's history shows them)
    and its public page (``page_url``)."""
    if record == Record.REPORT:
        return {
            pk: ("report.published", _message("report.published", item, now))
            for pk, item in _present_reports(ids).items()
        }
    shown = _present(record, ids)
    if record not in HISTORIES:
        return {
            pk: (EVENT_TYPES[record], _message(EVENT_TYPES[record], item, now))
            for pk, item in shown.items()
        }
    records, page = HISTORIES[record]
    bodies = {}
    for instance in records(shown):
        history = public_history(instance)
        since = window_start or 0
        new = not any(entry.seq <= since for entry in history)
        event_type = EVENT_TYPES.get(record) or f"{record}.{'published' if new else 'changed'}"
        extra = {
            "changes": [entry_json(entry) for entry in history if entry.seq > since],
            "page_url": settings.SITE_URL.rstrip("/") + page(instance),
        }
        bodies[instance.pk] = (event_type, _message(event_type, shown[instance.pk], now, **extra))
    return bodies


def webhooks_queue(
    *,
    matches: dict[str, list[tuple[int, int]]],
    window_end: int,
    now: dt.datetime,
    window_start: int | None = None,
) -> int:
    """Queue one delivery per enabled endpoint of each alert that matched a record:
    ``matches`` is ``{record type: [(record id, alert id)]}``, found by the matching run
    of the audit log window (window_start, window_end]. Returns how many."""
    endpoints = defaultdict(list)
    for endpoint_id, alert_id in WebhookEndpoint.objects.filter(disabled_at=None).values_list(
        "pk", "alert_id"
    ):
        endpoints[alert_id].append(endpoint_id)
    deliveries = []
    for record_type, pairs in matches.items():
        wanted = [(record, alert) for record, alert in pairs if endpoints.get(alert)]
        if not wanted:
            continue
        bodies = _bodies(record_type, {record for record, _ in wanted}, window_start, now)
        deliveries += [
            _new_delivery(
                endpoint_id,
                bodies[record][0],
                bodies[record][1],
                now,
                record_id=record,
                window_end=window_end,
            )
            for record, alert in wanted
            if record in bodies
            for endpoint_id in endpoints[alert]
        ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    if deliveries:
        enqueue_delivery()
    return len(deliveries)


# Delivery ---------------------------------------------------------------------------------


@dataclass
class Response:
    status_code: int | None
    excerpt: str


def tls_context() -> ssl.SSLContext:
    """Certificates verified against the system's authorities, for the host name."""
    return ssl.create_default_context()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to ``addresses``, those the check resolved and accepted (the first that
    answers), whatever the host name would resolve to now; ``host`` stays the URL's (the
    ``Host`` header)."""

    def __init__(self, host, port, *, addresses: tuple[str, ...], **kwargs):
        super().__init__(host, port, **kwargs)
        self.addresses = addresses

    def connect(self):
        error: OSError = OSError("No address to connect to.")
        for address in self.addresses:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
                return
            except OSError as refused:
                error = refused
        raise error


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """The same over TLS: the handshake names the host (SNI) and its certificate is
    verified for the host name, not for the address."""

    default_port = 443

    def __init__(self, host, port, *, addresses, context: ssl.SSLContext, **kwargs):
        super().__init__(host, port, addresses=addresses, **kwargs)
        self.context = context

    def connect(self):
        super().connect()
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, addresses: tuple[str, ...]) -> Response:
    """POST to ``url`` at the checked ``addresses``; a redirect is answered as it is (never
    followed: it could lead to an address the check refused)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = _PinnedHTTPSConnection(
            parts.hostname,
            parts.port,
            addresses=addresses,
            context=tls_context(),
            timeout=TIMEOUT_SECONDS,
        )
    else:
        connection = _PinnedHTTPConnection(
            parts.hostname, parts.port, addresses=addresses, timeout=TIMEOUT_SECONDS
        )
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return Response(response.status, response.read(RESPONSE_BYTES).decode(errors="replace"))
    except (http.client.HTTPException, OSError) as error:  # TLS, timeouts, refusals
        return Response(None, str(error)[:RESPONSE_BYTES] or type(error).__name__)
    finally:
        connection.close()


def signed_headers(delivery: WebhookDelivery, now: dt.datetime) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (one ``v1,``
    signature per valid secret, separated by spaces)."""
    endpoint = delivery.endpoint
    signatures = [
        Webhook(secret).sign(delivery.message_id, now, delivery.body)
        for secret in endpoint.secrets_at(now)
    ]
    return {
        "content-type": "application/json",
        "user-agent": "PartnershipRegistry-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def _tell_owner(endpoint: WebhookEndpoint, subject: str, text: str, **values) -> None:
    """E-mail the follower who owns the endpoint, in their language: ``subject`` and
    ``text`` (lazy translations) with ``values`` filled in."""
    user = endpoint.alert.follower.user
    with recipient_language(language_of(user)):
        try:
            send_mail(str(subject), str(text) % values, None, [user.email])
        except Exception:
            logger.exception("endpoint %s: its owner could not be told", endpoint.pk)


def _failed(delivery: WebhookDelivery, now: dt.datetime) -> None:
    endpoint = delivery.endpoint
    last = delivery.attempts >= ATTEMPTS
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED if last else WebhookDelivery.Status.PENDING,
        next_attempt_at=now if last else now + RETRY_DELAYS[delivery.attempts - 1],
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    endpoint.refresh_from_db(fields=["consecutive_failures"])
    page = settings.SITE_URL.rstrip("/") + reverse("alerts:webhook", kwargs={"pk": endpoint.pk})
    if endpoint.consecutive_failures >= settings.WEBHOOK_NOTIFY_AFTER and (
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failures_notified_at=None).update(
            failures_notified_at=now
        )
    ):
        _tell_owner(
            endpoint,
            _("Your webhook endpoint is failing"),
            _(
                "The last %(count)s deliveries to %(url)s failed; they are retried with "
                "longer and longer waits. The delivery log: %(page)s"
            ),
            count=endpoint.consecutive_failures,
            url=endpoint.url,
            page=page,
        )
    if last and WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at=None).update(
        disabled_at=now
    ):
        _tell_owner(
            endpoint,
            _("Your webhook endpoint is disabled"),
            _(
                "A delivery to %(url)s failed %(attempts)s times: the endpoint is disabled "
                "and receives nothing more until you enable it again: %(page)s"
            ),
            url=endpoint.url,
            attempts=ATTEMPTS,
            page=page,
        )


def webhooks_deliver(
    *, now: dt.datetime | None = None, send: Callable[..., Response] = post
) -> dict[str, int]:
    """Attempt the due deliveries; returns how many were delivered and how many failed.

    1. Claim up to ``BATCH`` due deliveries of enabled endpoints in one ``update``
       (compare-and-swap on their due time), holding them for ``LEASE``.
    2. For each: resolve and check the address again (it may resolve elsewhere now),
       sign, and post to the address checked (``post``).
    3. A 2xx: delivered, the endpoint's failures reset. Otherwise: retried after the next
       delay of ``RETRY_DELAYS``, failed after the last one, the endpoint disabled.
    """
    now = now or timezone.now()
    claim = uuid.uuid4()
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now,
        endpoint__disabled_at=None,
    ).order_by("next_attempt_at", "pk")
    WebhookDelivery.objects.filter(
        pk__in=list(due.values_list("pk", flat=True)[:BATCH]),
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now,
    ).update(claim=claim, next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    counts = {"delivered": 0, "failed": 0}
    for delivery in WebhookDelivery.objects.filter(claim=claim).select_related(
        "endpoint__alert__follower__user__account_language"
    ):
        try:
            started = time.monotonic()
            checked = address_check(delivery.endpoint.url)
            if checked.refusal:
                response = Response(None, str(checked.refusal))
            else:
                response = send(
                    delivery.endpoint.url,
                    delivery.body.encode(),
                    signed_headers(delivery, now),
                    addresses=checked.addresses,
                )
            duration = int((time.monotonic() - started) * 1000)
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                last_status_code=response.status_code,
                last_duration_ms=duration,
                last_response=response.excerpt[:RESPONSE_BYTES],
                claim=None,
            )
            if response.status_code is not None and 200 <= response.status_code < 300:
                WebhookDelivery.objects.filter(pk=delivery.pk).update(
                    status=WebhookDelivery.Status.DELIVERED, delivered_at=now
                )
                WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
                    consecutive_failures=0, failures_notified_at=None
                )
                counts["delivered"] += 1
            else:
                _failed(delivery, now)
                counts["failed"] += 1
        except Exception:
            logger.exception("webhook delivery %s failed unexpectedly", delivery.pk)
    return counts


def next_due_in(now: dt.datetime) -> float | None:
    """Seconds until the next pending delivery is due, or None."""
    upcoming = (
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, endpoint__disabled_at=None
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return None if upcoming is None else max((upcoming - now).total_seconds(), 0)
