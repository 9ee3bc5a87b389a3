"""Every write of transparency reports. A published report is never rewritten: publishing
fixes its snapshot, and a correction is a new version naming the one it replaces. Each
change is recorded by the audit triggers (the SHA-256 with it)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from core.services import require
from partnerships.models import Partnership

from .models import Report
from .permissions import can_request_report
from .snapshot import build_snapshot, canonical, sha256_of

logger = logging.getLogger(__name__)

NOT_ALLOWED = gettext_lazy(
    "Only the editors of the partnership's parties request and publish its reports."
)


def registry_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localdate(now or timezone.now(), timezone.get_default_timezone())


def _snapshot(partnership: Partnership, year: int, as_of: dt.date) -> tuple[str, str]:
    snapshot = build_snapshot(partnership, year, as_of=as_of)
    return canonical(snapshot).decode(), sha256_of(snapshot)


def _next_version(partnership: Partnership, year: int) -> int:
    latest = Report.objects.filter(partnership=partnership, year=year).aggregate(v=Max("version"))
    return (latest["v"] or 0) + 1


@transaction.atomic
def report_request(
    *, partnership: Partnership, actor, now: dt.datetime | None = None, correction_note: str = ""
) -> Report:
    """Generate the draft report of the year so far (up to today), visible to the
    partnership's staff until it is published. A request regenerates the year's draft if
    it has one; if the year has a published report, the draft is its correction (the next
    version, naming it)."""
    require(can_request_report(actor, partnership), NOT_ALLOWED)
    if not Partnership.objects.public().filter(pk=partnership.pk).exists():
        raise ValidationError(
            gettext(
                "A report is of the public record: publish the partnership (and keep it "
                "public) first."
            )
        )
    now = now or timezone.now()
    today = registry_today(now)
    return _draft(partnership, today.year, as_of=today, now=now, actor=actor, note=correction_note)


def _draft(partnership, year, *, as_of, now, actor, note: str = "") -> Report:
    Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
    draft = Report.objects.filter(partnership=partnership, year=year, status="draft").first()
    published = (
        Report.objects.published()
        .filter(partnership=partnership, year=year)
        .order_by("-version")
        .first()
    )
    if draft is None:
        draft = Report(
            partnership=partnership,
            year=year,
            version=_next_version(partnership, year),
            replaces=published,
        )
    draft.snapshot, draft.sha256 = _snapshot(partnership, year, as_of)
    draft.generated_at = now
    draft.requested_by = actor
    if note:
        draft.correction_note = note
    if draft.replaces_id and not draft.correction_note:
        draft.correction_note = "Regenerated from the record as it now stands."
    draft.full_clean()
    draft.save()
    return draft


@transaction.atomic
def report_publish(*, report: Report, actor, now: dt.datetime | None = None) -> Report:
    """Publish a draft as it stands (its snapshot and hash do not change)."""
    require(can_request_report(actor, report.partnership), NOT_ALLOWED)
    changed = Report.objects.filter(pk=report.pk, status=Report.Status.DRAFT).update(
        status=Report.Status.PUBLISHED, published_at=now or timezone.now()
    )
    if not changed:
        raise ValidationError(
            gettext("Only a draft is published; this report is published already.")
        )
    report.refresh_from_db()
    return report


@transaction.atomic
def report_correct(*, report: Report, actor, note: str, now: dt.datetime | None = None) -> Report:
    """Start the correction of a published report: a draft of the next version, generated
    from the record as it now stands, naming the version it replaces. Published, it
    becomes the report of the year; the older version stays reachable."""
    require(can_request_report(actor, report.partnership), NOT_ALLOWED)
    if not report.is_published:
        raise ValidationError(
            gettext("Only a published report is corrected; regenerate the draft.")
        )
    if not note.strip():
        raise ValidationError({"note": gettext("Say what the correction corrects.")})
    now = now or timezone.now()
    year_end = dt.date(report.year, 12, 31)
    return _draft(
        report.partnership,
        report.year,
        as_of=min(year_end, registry_today(now)),
        now=now,
        actor=actor,
        note=note.strip(),
    )


@transaction.atomic
def report_publish_year(*, partnership: Partnership, year: int, now: dt.datetime) -> Report:
    """Generate and publish the report of a year that has ended (31 December as the last
    day): the yearly job's step for one partnership (a draft requested earlier for that
    year becomes it)."""
    draft = _draft(partnership, year, as_of=dt.date(year, 12, 31), now=now, actor=None)
    Report.objects.filter(pk=draft.pk).update(status=Report.Status.PUBLISHED, published_at=now)
    draft.refresh_from_db()
    return draft


def report_date(year: int) -> dt.date:
    """The day of ``year`` the yearly job publishes the reports of the year before
    (``TRANSPARENCY_REPORT_DATE``, DD-MM)."""
    text = settings.TRANSPARENCY_REPORT_DATE
    try:
        day, month = (int(part) for part in text.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRANSPARENCY_REPORT_DATE must be DD-MM (e.g. 02-01), not {text!r}."
        ) from None


def generate_yearly_reports(*, now: dt.datetime | None = None) -> dict:
    """The daily job:

    1. take today in the registry's time zone; before this year's report date, do nothing;
    2. for each public partnership without a published report of last year, generate it
       (31 December as the last day) and publish it, each in its own transaction (a draft
       requested earlier for that year is replaced by it);
    3. a bad partnership is logged and skipped; a re-run creates nothing new.
    """
    now = now or timezone.now()
    today = registry_today(now)
    year = today.year - 1
    counts = {"year": year, "published": 0, "failed": 0}
    if today < report_date(today.year):
        return counts
    done = Report.objects.published().filter(year=year).values("partnership_id")
    for partnership in Partnership.objects.public().exclude(pk__in=done).order_by("pk"):
        try:
            report_publish_year(partnership=partnership, year=year, now=now)
            counts["published"] += 1
        except (ValidationError, IntegrityError):
            logger.exception("Transparency report %s of %s failed", year, partnership.pk)
            counts["failed"] += 1
    return counts
