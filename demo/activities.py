"""Demo joint activities with their results, on the demo staff's public partnership and
a few partnerships of the seed table, and the published transparency report of last year
of the demo staff's partnership."""

import calendar
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from activities.models import Activity, ActivityResult
from partnerships.models import Partnership
from publication.choices import PublicationStatus
from reports.models import Report
from reports.services import report_publish_year

# (title, kind, description, (start month, end month) in the year, results:
# (indicator, other name, value, unit)).
DEMO_ACTIVITIES = [
    (
        "Trauma-informed interviewing for custody officers",
        Activity.Kind.TRAINING,
        "Two-day training delivered by the NGO's advocates to the custody suite's officers.",
        (3, 3),
        [("people_trained", "", "38", "officers"), ("sessions_held", "", "4", "sessions")],
    ),
    (
        "Night-time referral line",
        Activity.Kind.REFERRAL_PROGRAMME,
        "Officers attending a domestic-abuse call refer the victim, with consent, to the "
        "refuge's night line.",
        (1, 12),
        [
            ("referrals_made", "", "212", "referrals"),
            ("other", "Referrals declined by the person", "31", "referrals"),
        ],
    ),
    (
        "Know your rights campaign",
        Activity.Kind.AWARENESS_CAMPAIGN,
        "Leaflets in six languages at GP surgeries, libraries and community centres.",
        (5, 7),
        [
            ("materials_distributed", "", "5000", "leaflets"),
            ("people_reached", "", "1400", "people"),
        ],
    ),
]


def _at(year: int, month: int, last: bool = False) -> date:
    """The first day of the month, or (``last``) its last day."""
    if not last:
        return date(year, month, 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def load_demo_activities(*, partnership_slugs: list[str], today: date) -> int:
    """The demo activities of last year and of this year so far on each partnership (once:
    nothing for a partnership that has some); how many were created."""
    created = 0
    now = timezone.now()
    for slug in partnership_slugs:
        partnership = Partnership.objects.filter(slug=slug).first()
        if partnership is None or partnership.activities.exists():
            continue
        organizations = [p.organization for p in partnership.parties.select_related("organization")]
        for year in (today.year - 1, today.year):
            for title, kind, description, (first, last), results in DEMO_ACTIVITIES:
                start, end = _at(year, first), _at(year, last, last=True)
                if start > today:
                    continue
                activity = Activity.objects.create(
                    partnership=partnership,
                    kind=kind,
                    title=title,
                    description=description,
                    started_on=start,
                    ended_on=end if end < today else None,
                    publication_status=PublicationStatus.PUBLISHED,
                    published_at=now,
                )
                activity.organizations.set(organizations)
                for indicator, other_name, value, unit in results:
                    ActivityResult.objects.create(
                        activity=activity,
                        indicator=indicator,
                        other_name=other_name,
                        value=Decimal(value),
                        unit=unit,
                        period_start=start,
                        period_end=min(end, today),
                    )
                created += 1
    return created


def load_demo_report(*, partnership_slug: str, today: date) -> int:
    """Last year's published transparency report of the partnership (once)."""
    partnership = Partnership.objects.get(slug=partnership_slug)
    year = today.year - 1
    if Report.objects.filter(partnership=partnership, year=year, status="published").exists():
        return 0
    moment = timezone.make_aware(datetime.combine(date(today.year, 1, 2), time(4, 20)))
    report_publish_year(partnership=partnership, year=year, now=min(moment, timezone.now()))
    return 1
