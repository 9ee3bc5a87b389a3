"""What a transparency report says: one snapshot of the public record of a partnership for
a year, built from the public querysets only, so that it never holds a value the public
may not see (a withheld value is null in it, and listed with its reason in ``withheld``).

The snapshot is canonical JSON (``canonical``): keys sorted, no spaces, dates as ISO
strings, decimals as strings; built twice from the same data it is the same bytes, and its
SHA-256 identifies it. It holds no clock reading other than ``as_of`` (the day it covers
up to), so that a regeneration on the same day of unchanged data is identical."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from activities.models import Activity, ActivityResult, Indicator
from agreements.models import Agreement, AgreementSource, DataSharingTerm
from audit.history import public_history
from feedback.models import Feedback
from oversight.feeds import public_flag_detail
from oversight.models import Finding, Flag, Review
from partnerships.models import Partnership, PartnershipParty, PartnershipSource
from publication.withholding import withheld_by_record

from .incidents import incidents_of
from .withheld import masked

FORMAT = 1

# The sections, in the report's order, with their titles: the completeness score is the
# share of them that hold data. The snapshot holds the titles in English (``_build`` runs
# in English); a page shows them in the reader's language (``presentation``).
SECTIONS = (
    ("agreements", gettext_lazy("Agreements in force")),
    ("data_sharing_terms", gettext_lazy("Data-sharing terms")),
    ("reviews", gettext_lazy("Reviews and audits")),
    ("flags", gettext_lazy("Flags raised and closed")),
    ("incidents", gettext_lazy("Incidents")),
    ("activities", gettext_lazy("Joint activities")),
    ("feedback", gettext_lazy("Public feedback")),
    ("sources", gettext_lazy("Sources")),
)


def canonical(snapshot: dict) -> bytes:
    """The snapshot's canonical JSON bytes (what the SHA-256 is of)."""
    return json.dumps(
        snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    ).encode()


def sha256_of(snapshot: dict) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _changes(record, year: int) -> list[dict]:
    """The record's public changes in ``year`` (its public history: a withheld value shows
    as "withheld"), oldest first."""
    entries = [e for e in public_history(record) if timezone.localtime(e.at).year == year]
    return [
        {
            "at": entry.at,
            "record": entry.record,
            "action": entry.action,
            "changes": [
                {"field": change.label, "old": change.old, "new": change.new}
                for change in entry.changes
            ],
        }
        for entry in sorted(entries, key=lambda e: e.seq)
    ]


def _display(model, rows, *fields):
    """Add ``<field>_label`` for each choice field of ``rows``."""
    for field in fields:
        choices = dict(model._meta.get_field(field).flatchoices)
        for row in rows:
            value = row.get(field)
            row[f"{field}_label"] = str(choices.get(value, value)) if value else ""


def build_snapshot(partnership: Partnership, year: int, *, as_of: dt.date) -> dict:
    """The report's content: see the module's docstring. ``as_of``: the last day covered
    (31 December, or today for the year so far)."""
    with translation.override("en"):
        return _build(partnership, year, as_of)


def _build(partnership: Partnership, year: int, as_of: dt.date) -> dict:
    start, end = dt.date(year, 1, 1), min(dt.date(year, 12, 31), as_of)
    withheld: list[dict] = []

    # 1. The partnership as the public sees it.
    head = dict(
        # Its services report on public partnerships only (``reports.services``).
        Partnership.objects.filter(pk=partnership.pk)
        .values("id", "title", "slug", "status", "country", "region", "public_summary")
        .get()
    )
    masked(Partnership, [head], lambda r: "Partnership", withheld, Partnership.PUBLIC_FIELDS)
    head["country"] = str(head["country"]) if head["country"] else None
    head["parties"] = [
        {"name": name, "role": role, "role_label": str(PartnershipParty.Role(role).label)}
        for name, role in partnership.parties.filter(organization__is_confirmed=True)
        .order_by("role", "organization__name")
        .values_list("organization__name", "role")
    ]
    head["changes"] = _changes(partnership, year)

    # 2. Agreements in force at some time in the year, with their changes of the year.
    agreements_qs = (
        Agreement.objects.public()
        .filter(partnership=partnership)
        .exclude(status__in=(Agreement.Status.DRAFT, Agreement.Status.NEGOTIATING))
        .filter(Q(effective_from__lte=end) | Q(effective_from__isnull=True, signed_on__lte=end))
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=start))
        .order_by("pk")
    )
    agreement_fields = ("kind", "title", "status", "signed_on", "effective_from", "expires_on")
    agreements = list(agreements_qs.values("id", *agreement_fields, "public_summary"))
    masked(
        Agreement,
        agreements,
        lambda r: f"Agreement “{r['title']}”",
        withheld,
        Agreement.WITHHOLDABLE_FIELDS,
    )
    _display(Agreement, agreements, "kind", "status")
    by_id = {a["id"]: a for a in agreements}
    for agreement in agreements_qs:
        by_id[agreement.pk]["changes"] = _changes(agreement, year)
    titles = {a["id"]: a["title"] for a in agreements}

    # 3. Their data-sharing terms.
    terms = list(
        DataSharingTerm.objects.filter(agreement__in=agreements_qs)
        .order_by("agreement_id", "data_category", "pk")
        .values("id", "agreement_id", *DataSharingTerm.FIELDS)
    )
    masked(
        DataSharingTerm,
        terms,
        lambda r: f"Data-sharing term ({r['data_category']}) of “{titles[r['agreement_id']]}”",
        withheld,
        DataSharingTerm.WITHHOLDABLE_FIELDS,
    )
    _display(DataSharingTerm, terms, "data_category", "direction", "legal_basis")
    for term in terms:
        term["agreement"] = titles[term.pop("agreement_id")]

    # 4. Reviews and audits under way in the year, with findings and corrective actions.
    reviews_qs = (
        Review.objects.public()
        .filter(agreement__partnership=partnership)
        .filter(
            Q(completed_on__range=(start, end))
            | Q(started_on__range=(start, end))
            | Q(started_on__lte=end, completed_on__isnull=True)
        )
        .with_reviewer_independence()
        .order_by("started_on", "completed_on", "pk")
    )
    reviews = list(
        reviews_qs.values(
            "id",
            "agreement__title",
            "reviewer__name",
            "kind",
            "status",
            "outcome",
            "started_on",
            "completed_on",
            "public_summary",
            "declared_ties",
            "reviewer_is_independent",
        )
    )
    masked(
        Review,
        reviews,
        lambda r: f"Review of “{r['agreement__title']}”",
        withheld,
        Review.WITHHOLDABLE_FIELDS,
    )
    _display(Review, reviews, "kind", "status", "outcome")
    findings = list(
        Finding.objects.filter(review__in=reviews_qs)
        .order_by("review_id", "due_on", "pk")
        .values("review_id", *Finding.PUBLIC_FIELDS)
    )
    _display(Finding, findings, "severity", "status")
    for review in reviews:
        review["findings"] = [
            {k: v for k, v in f.items() if k != "review_id"}
            for f in findings
            if f["review_id"] == review["id"]
        ]

    # 5. Flags raised or closed in the year.
    flags_qs = (
        Flag.objects.public()
        .filter(agreement__partnership=partnership)
        .filter(Q(raised_at__date__range=(start, end)) | Q(resolved_at__date__range=(start, end)))
        .select_related("agreement")
        .order_by("raised_at", "pk")
    )
    agreement_withheld = withheld_by_record(
        Agreement, set(flags_qs.values_list("agreement_id", flat=True))
    )
    flags = []
    for flag in flags_qs:
        flags.append(
            {
                "id": flag.pk,
                "agreement": flag.agreement.title,
                "kind": flag.kind,
                "kind_label": flag.get_kind_display(),
                "raised_at": flag.raised_at,
                "resolved_at": flag.resolved_at,
                "resolution": flag.resolution,
                "detail": public_flag_detail(
                    flag.kind, flag.detail, agreement_withheld.get(flag.agreement_id, {})
                ),
            }
        )

    # 6. Incidents (``reports.incidents``).
    incidents = incidents_of(partnership, start, end, withheld)

    # 7. Joint activities under way in the year, with their results of the year.
    activities = list(
        Activity.objects.public()
        .filter(partnership=partnership)
        .in_year(year)
        .order_by("started_on", "pk")
        .values("id", "kind", "title", "description", "started_on", "ended_on")
    )
    masked(Activity, activities, lambda r: f"Activity “{r['title']}”", withheld, ("description",))
    _display(Activity, activities, "kind")
    results_qs = ActivityResult.objects.public().filter(
        activity__partnership=partnership, period_start__lte=end, period_end__gte=start
    )
    results = list(
        results_qs.order_by("activity_id", "period_start", "pk").values(
            "id", "activity_id", "activity__title", *ActivityResult.EDITABLE_FIELDS
        )
    )
    masked(
        ActivityResult,
        results,
        lambda r: (
            f"Result “{r['other_name'] or Indicator(r['indicator']).label}” of "
            f"“{r['activity__title']}”"
        ),
        withheld,
        ("value",),
    )
    _display(ActivityResult, results, "indicator")
    for activity in activities:
        activity["results"] = [
            {k: v for k, v in r.items() if k not in ("activity_id", "activity__title")}
            for r in results
            if r["activity_id"] == activity["id"]
        ]
    labels = dict(Indicator.choices)
    totals = [
        {**row, "name": row["other_name"] or str(labels[row["indicator"]])}
        for row in ActivityResult.objects.public()
        .filter(activity__partnership=partnership, period_end__range=(start, end))
        .totals_by_year()
    ]

    # 8. Public feedback received in the year, and its moderation.
    received = Feedback.objects.filter(
        partnership=partnership, confirmed_at__date__range=(start, end)
    )
    feedback = {
        "received": received.count(),
        "published": received.filter(status=Feedback.Status.PUBLISHED).count(),
        "hidden": received.filter(status=Feedback.Status.HIDDEN).count(),
        "awaiting_moderation": received.filter(status=Feedback.Status.PENDING).count(),
    }

    # 9. Sources of the partnership and of its agreements.
    source_fields = ("source__title", "source__url", "source__kind", "source__published_on")
    sources = sorted(
        {
            tuple(row)
            for row in [
                *PartnershipSource.objects.filter(partnership=partnership).values_list(
                    *source_fields
                ),
                *AgreementSource.objects.filter(agreement__in=agreements_qs).values_list(
                    *source_fields
                ),
            ]
        },
        key=lambda s: (s[0], s[1]),
    )

    sections = {
        "agreements": agreements,
        "data_sharing_terms": terms,
        "reviews": reviews,
        "flags": flags,
        "incidents": incidents,
        "activities": activities,
        "feedback": feedback if feedback["received"] else {},
        "sources": [{"title": t, "url": u, "kind": k, "published_on": p} for t, u, k, p in sources],
    }
    filled = [key for key, _ in SECTIONS if sections[key]]
    return {
        "format": FORMAT,
        "year": year,
        "period": {"from": start, "to": end},
        "partnership": head,
        **sections,
        "activity_totals": totals,
        "withheld": sorted(withheld, key=lambda w: (w["record"], w["field"])),
        "completeness": {
            "score": round(100 * len(filled) / len(SECTIONS)),
            "sections": [
                {"key": key, "title": str(title), "has_data": key in filled}
                for key, title in SECTIONS
            ],
        },
    }
