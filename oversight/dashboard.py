"""The oversight dashboard's table: its rows (every agreement, restricted ones included,
filtered and sorted) and its columns, written once for the HTML table and its CSV."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement, RiskLevel
from core.csv import csv_cell
from partnerships.models import PartnershipParty

from .models import Flag

# The sort keys of the query string (``?sort=risk``, ``?sort=-risk``) and what they sort by.
SORTS = {
    "agreement": "title",
    "partnership": "partnership__title",
    "status": "status",
    "risk": "risk_rank",
    "next_review": "next_review_due",
    "overdue": "review_due_in_force",  # the days overdue grow as the due date recedes
    "auditor": "auditor_rank",
    "flags": "open_flag_count",
}
DEFAULT_SORT = "-overdue"


def review_due_in_force() -> Case:
    """The next review date of a signed or active agreement, else null: only those can be
    overdue (as for the flag). The default order of the dashboard, read from the index of
    migration 0016 (which holds the same expression, frozen)."""
    return Case(When(status__in=Agreement.IN_FORCE, then=F("next_review_due")), default=None)


def dashboard_rows(filters: dict, *, sort: str):
    """Every agreement, with what the table shows, filtered by ``filters`` (the cleaned
    data of ``DashboardFilterForm``) and sorted by ``sort`` (one of its ``SORTS`` keys,
    ``-`` for descending). A fixed number of queries whatever the number of rows."""
    open_flags_counted = (
        Flag.objects.open()
        .filter(agreement=OuterRef("pk"))
        .order_by()
        .values("agreement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Agreement.objects.with_risk_level()
        .annotate(
            # No auditor sorts with a party as auditor: not independent.
            auditor_rank=Coalesce("auditor_is_independent", Value(False)),
            risk_rank=Case(
                When(derived_risk_level=RiskLevel.HIGH, then=Value(3)),
                When(derived_risk_level=RiskLevel.MEDIUM, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            # Counted for each row read (a page: 50 index probes), not by joining every
            # flag of every agreement and grouping them before the first row is known.
            open_flag_count=Coalesce(Subquery(open_flags_counted), Value(0)),
            review_due_in_force=review_due_in_force(),
        )
        .select_related("partnership", "independent_auditor")
        .prefetch_related(
            Prefetch(
                "partnership__parties",
                queryset=PartnershipParty.objects.select_related("organization").order_by(
                    "role", "organization__name"
                ),
            ),
            Prefetch("flags", queryset=Flag.objects.open().order_by("kind"), to_attr="open_flags"),
        )
    )
    if filters.get("q"):
        rows = rows.filter(
            Q(title__icontains=filters["q"]) | Q(partnership__title__icontains=filters["q"])
        )
    if filters.get("region"):
        rows = rows.filter(partnership__region=filters["region"])
    if filters.get("focus_area"):
        rows = rows.filter(partnership__focus_areas=filters["focus_area"])
    if filters.get("flag"):
        rows = rows.filter(
            Exists(Flag.objects.open().filter(agreement=OuterRef("pk"), kind=filters["flag"]))
        )
    if filters.get("risk"):
        rows = rows.filter(derived_risk_level=filters["risk"])
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])

    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "overdue":  # the most days overdue: the earliest due date
        descending = not descending
    field = SORTS[key]
    expression = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return rows.order_by(expression, "pk")


def days_overdue(agreement: Agreement, today: date) -> int | None:
    """Days since the review fell due, for a signed or active agreement (the agreements the
    review-overdue flag concerns); None when it is not overdue."""
    due = agreement.next_review_due
    if agreement.status not in Agreement.IN_FORCE or due is None or due >= today:
        return None
    return (today - due).days


@dataclass(frozen=True)
class Column:
    key: str  # the sort key, or "" when the column does not sort
    header: str  # a lazy translation: the reader's language
    value: Callable[[Agreement, date], object]


def _parties(agreement, today):
    return "; ".join(
        f"{party.organization.name} ({party.get_role_display()})"
        for party in agreement.partnership.parties.all()
    )


COLUMNS = (
    Column("agreement", _("Agreement"), lambda a, today: a.title),
    Column("partnership", _("Partnership"), lambda a, today: a.partnership.title),
    Column("", _("Parties"), _parties),
    Column("status", _("Status"), lambda a, today: a.get_status_display()),
    Column("risk", _("Risk level"), lambda a, today: RiskLevel(a.derived_risk_level).label),
    Column("next_review", _("Next review due"), lambda a, today: a.next_review_due or ""),
    Column("overdue", _("Days overdue"), lambda a, today: days_overdue(a, today) or ""),
    Column(
        "auditor",
        _("Independent auditor"),
        lambda a, today: gettext("yes") if a.auditor_is_independent else gettext("no"),
    ),
    Column(
        "flags",
        _("Open flags"),
        lambda a, today: "; ".join(flag.get_kind_display() for flag in a.open_flags),
    ),
)


def csv_rows(rows, today: date) -> Iterator[list]:
    """The table as CSV rows: the header, then one row per agreement, streamed."""
    yield ["id", *(column.header for column in COLUMNS)]
    for agreement in rows.iterator(chunk_size=500):
        yield [agreement.pk, *(csv_cell(column.value(agreement, today)) for column in COLUMNS)]
