"""The alerts job: match the published changes of the audit log against every alert, then
send one e-mail per alert and period.

Set-based throughout: the number of queries depends on the number of distinct kinds of
record and of changed records, never on the number of alerts.

Webhooks do not wait for the e-mail's period: the matching run queues each match for the
alert's endpoints at once (``alerts.webhooks.webhooks_queue``).
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
from django.db.models import DateTimeField, F, Func, Q, Value
from django.template.loader import render_to_string
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from audit.chain import audit_chain_head
from audit.history import HistoryEntry, public_history
from core.languages import language_of, recipient_language
from incidents.models import Incident
from oversight.feeds import public_flag_detail
from oversight.models import Review
from publication.withholding import withheld_by_record
from reports.models import Report

from .models import OWN_RECORD, Alert, AlertItem, AlertMembership, MatchCursor, Record
from .searches import FOLLOWED, KINDS, changed_in, changed_since, review_path
from .webhooks import webhooks_queue

logger = logging.getLogger(__name__)

CURSOR = "audit-log"
LEFT = _("No longer matches this search.")
PERIODS = {
    Alert.Frequency.IMMEDIATELY: dt.timedelta(0),
    Alert.Frequency.DAILY: dt.timedelta(days=1),
    Alert.Frequency.WEEKLY: dt.timedelta(days=7),
}
# A public change of a record, by what happened to it (``HistoryEntry.action``).
CHANGED = {
    "created": _("Created %(record)s"),
    "changed": _("Changed %(record)s"),
    "deleted": _("Deleted %(record)s"),
    "published": _("Published %(record)s"),
}


class _MonthAfter(Func):
    """A calendar month after a time: the same day of the next month, or that month's last
    day (PostgreSQL's interval arithmetic: 31 January + 1 month is 28 February)."""

    template = "(%(expressions)s + interval '1 month')"
    output_field = DateTimeField()


def _matches(kind: str, queries: dict[str, list[int]], changed):
    """``(record id, alert id)`` for every alert of ``kind`` whose search matches a record
    of ``changed`` (public records): one statement, a UNION ALL of one SELECT per distinct
    search (the alerts sharing a search share it)."""
    search = KINDS[kind]
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


def _followed_matches(record: str, queries: dict[str, list[int]], after: int, upto: int):
    """``(record id, alert id)`` for the public records of ``record`` (``FOLLOWED``) that
    the window published or changed, for every search of the registry that matches their
    partnership: one query for the records, one statement for the searches."""
    if not queries:
        return []
    followed = FOLLOWED[record]
    rows = set(
        followed.public()
        .filter(followed.changed_in(after, upto))
        .values_list("pk", followed.partnership)
    )
    if not rows:
        return []
    by_partnership: dict[int, list[int]] = defaultdict(list)
    for pk, partnership_id in rows:
        by_partnership[partnership_id].append(pk)
    partnerships = KINDS[Alert.Kind.PARTNERSHIPS].public().filter(pk__in=by_partnership)
    return sorted(
        {
            (pk, alert_id)
            for partnership_id, alert_id in _matches(Alert.Kind.PARTNERSHIPS, queries, partnerships)
            for pk in by_partnership[partnership_id]
        }
    )


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
       Per kind of followed record (``FOLLOWED``): those the window published or changed,
       matched by their partnership against the registry's searches in one statement.
    4. ``bulk_create`` the items, ignoring those already pending (one per alert and
       record), and the webhook deliveries of the alerts' endpoints
       (``alerts.webhooks.webhooks_queue``, whatever the alert's e-mail frequency), in the
       transaction of the claim: a failed run leaves the window unclaimed.
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
        # ``{record type: [(record id, alert id)]}``: matched, and to tell (with those that
        # left a search); a kind of record may be both listed and followed.
        matches: dict[str, list[tuple[int, int]]] = defaultdict(list)
        told: dict[str, set[tuple[int, int]]] = defaultdict(set)
        for kind, queries in searches.items():
            changed = KINDS[kind].public().filter(changed_in(kind, after, upto))
            pairs = _matches(kind, queries, changed)
            matches[OWN_RECORD[kind]] += pairs
            told[OWN_RECORD[kind]].update(pairs, _left(kind, pairs, after, upto))
        for record in FOLLOWED:
            pairs = _followed_matches(
                record, searches.get(Alert.Kind.PARTNERSHIPS, {}), after, upto
            )
            matches[record] += pairs
            told[record].update(pairs)
        items = [
            AlertItem(
                alert_id=alert_id,
                record_type=record,
                record_id=record_id,
                since_seq=after,
                created_at=now,
            )
            for record, pairs in told.items()
            for record_id, alert_id in pairs
        ]
        AlertItem.objects.bulk_create(items, ignore_conflicts=True)
        webhooks_queue(matches=matches, window_start=after, window_end=upto, now=now)
    return len(items)


@dataclass
class Entry:
    """One item of an e-mail: a record, what changed, its link."""

    title: str
    url: str
    changes: list[str] = field(default_factory=list)


def due_alerts(now: dt.datetime):
    """Alerts whose period has passed since their last e-mail: a monthly one's is a
    calendar month (``_MonthAfter``)."""
    due = Q(last_sent_at=None) | Q(frequency=Alert.Frequency.MONTHLY, month_after__lte=now)
    for frequency, period in PERIODS.items():
        due |= Q(frequency=frequency, last_sent_at__lte=now - period)
    return Alert.objects.alias(month_after=_MonthAfter(F("last_sent_at"))).filter(due)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _change(entry: HistoryEntry) -> str:
    # The record's name (``audit.registry``) in the active language.
    record = str(entry.record).lower()
    if entry.action not in CHANGED:
        return f"{entry.action.capitalize()} {record}"
    return CHANGED[entry.action] % {"record": record}


def change_lines(history: list[HistoryEntry], since: int) -> list[str]:
    """The public changes after position ``since``, one line each (oldest last), in the
    active language."""
    return [
        _change(entry)
        + "".join(f"; {c.label}: {c.old or '—'} → {c.new or '—'}" for c in entry.changes)
        for entry in history
        if entry.seq > since
    ]


def _partnership_entries(since: dict[int, int]) -> dict[int, Entry]:
    search = KINDS[Alert.Kind.PARTNERSHIPS]
    entries = {}
    for partnership in search.public().filter(pk__in=since):
        changes = change_lines(public_history(partnership), since[partnership.pk])
        entries[partnership.pk] = Entry(
            title=str(partnership),
            url=_absolute(partnership.get_absolute_url()),
            changes=changes or [gettext("Changed: its agreements or their records (see its page)")],
        )
    return entries


def _flag_entries(since: dict[int, int]) -> dict[int, Entry]:
    flags = list(
        KINDS[Alert.Kind.FLAGS]
        .public()
        .filter(pk__in=since)
        .select_related("agreement__partnership")
    )
    withheld = withheld_by_record(Agreement, {flag.agreement_id for flag in flags})
    entries = {}
    for flag in flags:
        detail = public_flag_detail(flag.kind, flag.text, withheld.get(flag.agreement_id, {}))
        changes = [
            gettext("Raised on %(date)s: %(detail)s")
            % {"date": f"{flag.raised_at:%Y-%m-%d}", "detail": detail}
        ]
        if flag.resolved_at:
            changes.append(
                gettext("Closed on %(date)s: %(resolution)s")
                % {"date": f"{flag.resolved_at:%Y-%m-%d}", "resolution": flag.resolution}
            )
        partnership = flag.agreement.partnership
        entries[flag.pk] = Entry(
            title=f"{flag.get_kind_display()}: {flag.agreement.title} ({partnership})",
            url=_absolute(partnership.get_absolute_url() + f"#agreement-{flag.agreement_id}"),
            changes=changes,
        )
    return entries


def _history_entries(records, since: dict[int, int], title, path) -> dict[int, Entry]:
    """Public records told by their public changes (their children's included) since
    each one's window, named by ``title(record)`` and linked to ``path(record)``; one
    published with the record that gates it has no change of its own to tell."""
    entries = {}
    for record in records:
        changes = change_lines(public_history(record), since[record.pk])
        entries[record.pk] = Entry(
            title=title(record),
            url=_absolute(path(record)),
            changes=changes or [gettext("Published with its agreement (see its page)")],
        )
    return entries


def _review_entries(since: dict[int, int]) -> dict[int, Entry]:
    return _history_entries(
        Review.objects.public().filter(pk__in=since).select_related("agreement__partnership"),
        since,
        lambda review: (
            f"{review.get_kind_display()}: {review.agreement.title} "
            f"({review.agreement.partnership})"
        ),
        review_path,
    )


def _incident_entries(since: dict[int, int]) -> dict[int, Entry]:
    # The title is never withheld: it names the incident everywhere.
    return _history_entries(
        Incident.objects.public().filter(pk__in=since),
        since,
        lambda incident: gettext("Incident: %(title)s") % {"title": incident.title},
        lambda incident: incident.get_absolute_url(),
    )


def _report_entries(since: dict[int, int]) -> dict[int, Entry]:
    """Published reports: never rewritten, so there is nothing to tell but their
    publication (and the version a correction replaces)."""
    entries = {}
    reports = Report.objects.public().filter(pk__in=since).select_related("partnership", "replaces")
    for report in reports:
        changes = [gettext("Published on %(date)s") % {"date": f"{report.published_at:%Y-%m-%d}"}]
        if report.replaces:
            changes.append(
                gettext("It corrects version %(version)s: %(note)s")
                % {"version": report.replaces.version, "note": report.correction_note}
            )
        entries[report.pk] = Entry(
            title=str(report), url=_absolute(report.get_absolute_url()), changes=changes
        )
    return entries


# How each kind of record is told in an e-mail: ``{record id: since}`` → ``{id: Entry}``.
DESCRIBED = {
    Record.PARTNERSHIP: _partnership_entries,
    Record.FLAG: _flag_entries,
    Record.REVIEW: _review_entries,
    Record.INCIDENT: _incident_entries,
    Record.REPORT: _report_entries,
}


def alert_message(alert: Alert, entries: list[Entry]) -> EmailMultiAlternatives:
    """The e-mail of ``alert``, in the active language (``alerts_send`` makes it the
    follower's)."""
    context = {"alert": alert, "entries": entries, "page_url": _absolute(alert.page_url())}
    unsubscribe = alert.unsubscribe_url()
    message = EmailMultiAlternatives(
        subject=ngettext(
            "Partnership Registry: %(n)s new or changed for “%(name)s”",
            "Partnership Registry: %(n)s new or changed for “%(name)s”",
            len(entries),
        )
        % {"n": len(entries), "name": alert.name},
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
    2. Read them back, with their alerts, followers and their languages, in one query.
    3. Describe each record once per language, whatever the number of alerts naming it:
       only public records, with their public changes (withheld values shown as
       withheld); a record that left an alert's search says so.
    4. Send one e-mail per alert, in its follower's language (``recipient_language``); a
       failure puts its items back for the next run.
    5. Record the alerts' ``last_sent_at`` in one ``update``.
    """
    claim = uuid.uuid4()
    AlertItem.objects.filter(sent_at=None, alert__in=due_alerts(now)).update(
        sent_at=now, claim=claim
    )
    items = list(
        AlertItem.objects.filter(claim=claim)
        .select_related("alert__follower__user__account_language")
        .order_by("alert_id", "pk")
    )
    languages = {item.alert_id: language_of(item.alert.follower.user) for item in items}
    # ``{(language, record type): {record id: since}}``
    by_record: dict[tuple[str | None, str], dict[int, int]] = defaultdict(dict)
    for item in items:
        since = by_record[languages[item.alert_id], item.record_type]
        since[item.record_id] = min(since.get(item.record_id, item.since_seq), item.since_seq)
    described = {}
    for (language, record), since in by_record.items():
        with recipient_language(language):
            described[language, record] = DESCRIBED[record](since)
    still = set(
        AlertMembership.objects.filter(
            alert_id__in={item.alert_id for item in items},
            record_id__in={item.record_id for item in items},
        ).values_list("alert_id", "record_id")
    )
    grouped: dict[int, tuple[Alert, list[Entry]]] = {}
    for item in items:
        entry = described[languages[item.alert_id], item.record_type].get(item.record_id)
        if entry is None:  # no longer public: never sent
            continue
        own = item.record_type == OWN_RECORD[item.alert.kind]
        if own and (item.alert_id, item.record_id) not in still:
            entry = Entry(entry.title, entry.url, [*entry.changes, LEFT])
        grouped.setdefault(item.alert_id, (item.alert, []))[1].append(entry)
    sent = []
    for alert_id, (alert, entries) in grouped.items():
        try:
            with recipient_language(languages[alert_id]):
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
