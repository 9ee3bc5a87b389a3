"""The home page's and ``/api/v1/stats/``'s figures, read from a summary rather than
counted on every request (counting a million agreements takes seconds).

``refresh_summary()`` computes ``public.stats.registry_figures`` (a fixed number of
set-based aggregate queries) and stores them in the one row of ``RegistrySummary``, with
the position of the audit chain's head read *before* counting. Every change to a record
goes through the audit trail's triggers and moves that head (whichever path wrote it: a
form, an import, the flagging job, the admin), so a request that finds the summary's
position behind the head, or the summary of another day, knows it is stale: it answers
with the summary it has and asks for a refresh, debounced (``REGISTRY_SUMMARY_DEBOUNCE_
SECONDS``: one refresh for a burst of writes, a few seconds after the first request that
saw it). With a debounce of 0 (the tests) the request refreshes it at once and answers
with the fresh figures. The nightly job refreshes it too (``CELERY_BEAT_SCHEDULE``).

A summary stored by another version of the code, whose shape may differ
(``RegistrySummary.SHAPE_VERSION``), is never read: it is counted again at once, as when
there is none.

Two cheap queries per request: the summary row and the head.
"""

import logging

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from kombu.exceptions import KombuError

from audit.chain import audit_chain_head
from core.tasks import broker_connection

from .models import RegistrySummary
from .registry import unfiltered_facets
from .stats import month_label, registry_figures

logger = logging.getLogger(__name__)

REFRESH_TASK = "public.tasks.refresh_registry_summary"
PENDING_KEY = "public.summary.refresh-pending"


def audit_position() -> int | None:
    head = audit_chain_head()
    return head.seq if head else None


def refresh_summary() -> RegistrySummary:
    """Count the figures and store them (the head is read first: a write while counting
    leaves the summary stale, to be refreshed again)."""
    position = audit_position()
    now = timezone.now()
    # The labels are stored in the code's language (their msgids), whichever reader's request
    # refreshed them, and translated when read (``current_figures``).
    with translation.override(settings.LANGUAGE_CODE):
        stored = RegistrySummary.dump(
            {
                "version": RegistrySummary.SHAPE_VERSION,
                "figures": registry_figures(),
                "registry_facets": unfiltered_facets(),
            }
        )
    with transaction.atomic():
        summary, _ = RegistrySummary.objects.update_or_create(
            key="registry",
            defaults={
                "figures_json": stored,
                "audit_position": position,
                "computed_on": timezone.localdate(now),
                "computed_at": now,
            },
        )
    cache.delete(PENDING_KEY)
    return summary


def is_stale(summary: RegistrySummary, position: int | None) -> bool:
    return summary.audit_position != position or summary.computed_on != timezone.localdate()


def current_summary() -> RegistrySummary:
    """The summary to answer with: the stored one, a refresh asked for when it is stale
    (or done at once with no debounce, or when there is none yet or only one of another
    shape)."""
    summary = RegistrySummary.objects.filter(key="registry").first()
    if summary is None or summary.version != RegistrySummary.SHAPE_VERSION:
        return refresh_summary()
    if is_stale(summary, audit_position()):
        if settings.REGISTRY_SUMMARY_DEBOUNCE_SECONDS <= 0:
            return refresh_summary()
        ask_for_refresh()
    return summary


def current_figures() -> dict:
    """The figures, their labels in the reader's language; the months of the flags
    (``key``: "2026-01") named in its date format (``month_label``)."""
    figures = translated_labels(current_summary().figures)
    for month in figures.get("flags", {}).get("by_month", []):
        month["label"] = month_label(month["key"])
    return figures


def current_registry_facets() -> dict:
    """The options of the unfiltered registry's filters with their counts
    (``public.registry.unfiltered_facets``)."""
    return current_summary().registry_facets


def _label(key: str, item):
    if key == "label" and isinstance(item, str) and item:
        return gettext(item)
    return translated_labels(item)


def translated_labels(value):
    """Every ``label`` of the figures, stored as its English msgid, through gettext (a label
    the catalogue lacks, a year say, stays as it is)."""
    if isinstance(value, list):
        return [translated_labels(item) for item in value]
    if isinstance(value, dict):
        return {key: _label(key, item) for key, item in value.items()}
    return value


def ask_for_refresh() -> None:
    """One refresh in ``REGISTRY_SUMMARY_DEBOUNCE_SECONDS``, however many requests ask
    meanwhile. A broker that is down only delays the figures until the nightly run."""
    delay = settings.REGISTRY_SUMMARY_DEBOUNCE_SECONDS
    if not cache.add(PENDING_KEY, True, timeout=delay * 4):
        return
    try:
        with broker_connection() as connection:
            current_app.send_task(
                REFRESH_TASK,
                countdown=delay,
                connection=connection,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0},
            )
    except (KombuError, OSError):
        cache.delete(PENDING_KEY)
        logger.warning("could not enqueue %s; the nightly run will catch up", REFRESH_TASK)
