"""The alerts job: match the published changes of the audit log against every alert, then
send one e-mail per alert and period.

Set-based throughout: the number of queries depends on the number of distinct kinds of
record and of changed records, never on the number of alerts.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, Value
from django.template.loader import render_to_string

from agreements.models import Agreement
from audit.chain import audit_chain_head
from audit.history import public_history
from oversight.feeds import public_flag_detail
from publication.withholding import withheld_by_record

from .models import Alert, AlertItem, AlertMembership, MatchCursor
from .searches import KINDS, changed_in, changed_since
from .webhooks import webhooks_queue

logger = logging.getLogger(__name__)

CURSOR = "audit-log"
LEFT = "No longer matches this search."
PERIODS = {
    Alert.Frequency.IMMEDIATELY: dt.timedelta(0),
    Alert.Frequency.DAILY: dt.timedelta(days=1),
    Alert.Frequency.WEEKLY: dt.timedelta(days=7),
}


def _matches(kind: str, queries: dict[str, list[int]], after: int, upto: int):
    """``(record id, alert id)`` for every alert of ``kind`` whose search matches a public
    record changed in (after, upto]: one statement, a UNION ALL of one SELECT per distinct
    search (the alerts sharing a search share it)."""
    search = KINDS[kind]
    changed = search.public().filter(changed_in(kind, after, upto))
    selects = []
    for index, query in enumerate(queries):
        filterset = search.filtered(query, changed)
        if not filterset.is_valid():
            continue
        selects.append(filterset.qs.order_by().values_list("pk", Value(index)).distinct())
    if not selects:
        return []
    rows = selects[0].union(*selects[1:], all=True) if len(selects) > 1 else selects[0]
    alert_ids = list(queries.values())
    return [(record_id, alert_id) for record_id, index in rows for alert_id in alert_ids[index]]


def _left(kind: str, pairs, after: int, upto: int) -> set[tuple[int, int]]:
    """The ``(record id, alert id)`` that matched before this window's change and no
    longer do; the alerts' memberships are set to ``pairs`` for the changed records."""
    changed = list(
        KINDS[kind].model.objects.filter(changed_in(kind, after, upto)).values_list("pk", flat=True)
    )
    memberships = AlertMembership.objects.filter(alert__kind=kind, record_id__in=changed)
    before = set(memberships.values_list("record_id", "alert_id"))
    memberships.delete()
    AlertMembership.objects.bulk_create(
        [AlertMembership(alert_id=alert_id, record_id=record_id) for record_id, alert_id in pairs],
        ignore_conflicts=True,
    )
    return before - set(pairs)


def alerts_match(*, now: dt.datetime) -> int:
    """Queue the records that alerts matched since the last run; returns how many items.

    1. Read the cursor and the head of the audit log: the window is (cursor, head].
    2. Claim the window by compare-and-swap on the cursor; a run that loses finds nothing.
    3. Per kind: the alerts grouped by their search, matched in one statement; and the
       records that matched an alert before and no longer do (``AlertMembership``).
    4. ``bulk_create`` the items, ignoring those already pending (one per alert and
       record), and the webhook deliveries of the alerts' endpoints
       (``alerts.webhooks.webhooks_queue``), in the transaction of the claim: a failed
       run leaves the window unclaimed.
    """
    cursor, _ = MatchCursor.objects.get_or_create(name=CURSOR)
    head = audit_chain_head()
    upto = head.seq if head else 0
    after = cursor.last_seq
    if upto <= after:
        return 0
    with transaction.atomic():
        claimed = MatchCursor.objects.filter(name=CURSOR, last_seq=after).update(
            last_seq=upto, updated_at=now
        )
        if claimed != 1:
            return 0
        searches: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for alert_id, kind, query in Alert.objects.values_list("pk", "kind", "query"):
            searches[kind][query].append(alert_id)
        matches = {kind: _matches(kind, queries, after, upto) for kind, queries in searches.items()}
        items = [
            AlertItem(alert_id=alert_id, record_id=record_id, since_seq=after, created_at=now)
            for kind, pairs in matches.items()
            for record_id, alert_id in {*pairs, *_left(kind, pairs, after, upto)}
        ]
        AlertItem.objects.bulk_create(items, ignore_conflicts=True)
        webhooks_queue(matches=matches, window_end=upto, now=now)
    return len(items)


@dataclass
class Entry:
    """One item of an e-mail: a record, what changed, its link."""

    title: str
    url: str
    changes: list[str] = field(default_factory=list)


def due_alerts(now: dt.datetime):
    """Alerts whose period has passed since their last e-mail."""
    due = Q(last_sent_at=None)
    for frequency, period in PERIODS.items():
        due |= Q(frequency=frequency, last_sent_at__lte=now - period)
    return Alert.objects.filter(due)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _partnership_entries(ids: set[int], since: dict[int, int]) -> dict[int, Entry]:
    search = KINDS[Alert.Kind.PARTNERSHIPS]
    entries = {}
    for partnership in search.public().filter(pk__in=ids):
        changes = [
            f"{entry.action.capitalize()} {entry.record.lower()}"
            + "".join(f"; {c.label}: {c.old or '—'} → {c.new or '—'}" for c in entry.changes)
            for entry in public_history(partnership)
            if entry.seq > since[partnership.pk]
        ]
        entries[partnership.pk] = Entry(
            title=str(partnership),
            url=_absolute(partnership.get_absolute_url()),
            changes=changes or ["Changed: its agreements or their records (see its page)"],
        )
    return entries


def _flag_entries(ids: set[int]) -> dict[int, Entry]:
    flags = list(
        KINDS[Alert.Kind.FLAGS].public().filter(pk__in=ids).select_related("agreement__partnership")
    )
    withheld = withheld_by_record(Agreement, {flag.agreement_id for flag in flags})
    entries = {}
    for flag in flags:
        detail = public_flag_detail(flag.kind, flag.detail, withheld.get(flag.agreement_id, {}))
        changes = [f"Raised on {flag.raised_at:%Y-%m-%d}: {detail}"]
        if flag.resolved_at:
            changes.append(f"Closed on {flag.resolved_at:%Y-%m-%d}: {flag.resolution}")
        partnership = flag.agreement.partnership
        entries[flag.pk] = Entry(
            title=f"{flag.get_kind_display()}: {flag.agreement.title} ({partnership})",
            url=_absolute(partnership.get_absolute_url() + f"#agreement-{flag.agreement_id}"),
            changes=changes,
        )
    return entries


def alert_message(alert: Alert, entries: list[Entry]) -> EmailMultiAlternatives:
    context = {"alert": alert, "entries": entries, "page_url": _absolute(alert.page_url())}
    unsubscribe = alert.unsubscribe_url()
    message = EmailMultiAlternatives(
        subject=f"Partnership Registry: {len(entries)} new or changed for “{alert.name}”",
        body=render_to_string("alerts/email/alert.txt", context),
        to=[alert.follower.user.email],
        headers={
            # RFC 8058: mail clients offer a one-click unsubscribe, a POST to this address.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("alerts/email/alert.html", context), "text/html")
    return message


def alerts_send(*, now: dt.datetime) -> int:
    """Send one e-mail per due alert with pending items; returns how many were sent.

    1. Claim the pending items of the due alerts in one ``update`` (compare-and-swap on
       ``sent_at=None``), marked with this run's claim: a concurrent run claims none of them.
    2. Read them back, with their alerts and followers, in one query.
    3. Describe each record once, whatever the number of alerts naming it: only public
       records, with their public changes (withheld values shown as withheld); a record
       that left an alert's search says so.
    4. Send one e-mail per alert; a failure puts its items back for the next run.
    5. Record the alerts' ``last_sent_at`` in one ``update``.
    """
    claim = uuid.uuid4()
    AlertItem.objects.filter(sent_at=None, alert__in=due_alerts(now)).update(
        sent_at=now, claim=claim
    )
    items = list(
        AlertItem.objects.filter(claim=claim)
        .select_related("alert__follower__user")
        .order_by("alert_id", "pk")
    )
    by_kind: dict[str, dict[int, int]] = defaultdict(dict)
    for item in items:
        since = by_kind[item.alert.kind]
        since[item.record_id] = min(since.get(item.record_id, item.since_seq), item.since_seq)
    described = {
        Alert.Kind.PARTNERSHIPS: _partnership_entries(
            set(by_kind[Alert.Kind.PARTNERSHIPS]), by_kind[Alert.Kind.PARTNERSHIPS]
        )
        if by_kind[Alert.Kind.PARTNERSHIPS]
        else {},
        Alert.Kind.FLAGS: _flag_entries(set(by_kind[Alert.Kind.FLAGS]))
        if by_kind[Alert.Kind.FLAGS]
        else {},
    }
    still = set(
        AlertMembership.objects.filter(
            alert_id__in={item.alert_id for item in items},
            record_id__in={item.record_id for item in items},
        ).values_list("alert_id", "record_id")
    )
    grouped: dict[int, tuple[Alert, list[Entry]]] = {}
    for item in items:
        entry = described[item.alert.kind].get(item.record_id)
        if entry is None:  # no longer public: never sent
            continue
        if (item.alert_id, item.record_id) not in still:
            entry = Entry(entry.title, entry.url, [*entry.changes, LEFT])
        grouped.setdefault(item.alert_id, (item.alert, []))[1].append(entry)
    sent = []
    for alert_id, (alert, entries) in grouped.items():
        try:
            alert_message(alert, entries).send()
        except Exception:
            logger.exception("alert %s: the e-mail could not be sent", alert_id, exc_info=True)
            AlertItem.objects.filter(claim=claim, alert_id=alert_id).update(
                sent_at=None, claim=None
            )
            continue
        sent.append(alert_id)
    Alert.objects.filter(pk__in=sent).update(last_sent_at=now)
    return len(sent)


def estimate(kind: str, query: str, *, now: dt.datetime) -> dict:
    """How many public records the search matched among those changed in the last 30
    days, and the average per day (the limit ``ALERTS_MAX_PER_DAY`` applies to it)."""
    search = KINDS[kind]
    filterset = search.filtered(
        query, search.public().filter(changed_since(kind, now - dt.timedelta(days=30)))
    )
    if not filterset.is_valid():
        return {"valid": False, "errors": filterset.errors, "count": 0, "per_day": 0.0}
    count = filterset.qs.order_by().values("pk").distinct().count()
    return {"valid": True, "errors": {}, "count": count, "per_day": count / 30}
