"""The kinds of an agreement's open flags, stored on the agreement
(``Agreement.open_flag_kinds``) so that the public lists filter by them from a column.

Every write that opens or closes a flag calls ``open_flag_kinds_refresh`` in its own
transaction: the flagging run (once per kind, set-based) and ``flag_resolve``. One
``UPDATE`` whatever the number of agreements, by the rule of ``FlagQuerySet.open()``;
only the rows whose stored kinds differ are written. ``derived_refresh`` re-derives every
derived fact of the agreements (``manage.py refresh_derived``).
"""

from collections.abc import Collection

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db import models, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from agreements.derived import IsDistinctFrom, derived_facts_refresh
from agreements.models import Agreement

from .models import Flag


def open_flag_kinds_rule() -> Coalesce:
    """The kinds of the open flags of the agreement of the outer query, in order (no
    duplicates); an empty list without any."""
    kinds = (
        Flag.objects.open()
        .filter(agreement=OuterRef("pk"))
        .order_by()
        .values("agreement")
        .annotate(kinds=ArrayAgg("kind", distinct=True, order_by="kind"))
        .values("kinds")
    )
    kind_list = ArrayField(models.CharField(max_length=30))
    return Coalesce(Subquery(kinds, output_field=kind_list), Value([]), output_field=kind_list)


def open_flag_kinds_refresh(*, agreement_ids: Collection[int] | QuerySet | None = None) -> int:
    """Store the kinds of the open flags of the agreements ``agreement_ids`` (ids, or a
    query of ids; every agreement for ``None``); return how many rows changed."""
    agreements = Agreement.objects.all()
    if agreement_ids is not None:
        agreements = agreements.filter(pk__in=agreement_ids)
    kinds = open_flag_kinds_rule()
    return agreements.filter(Q(IsDistinctFrom("open_flag_kinds", kinds))).update(
        open_flag_kinds=kinds
    )


@transaction.atomic
def derived_refresh(*, agreement_ids: Collection[int] | None = None) -> dict[str, int]:
    """Every derived fact of the agreements ``agreement_ids`` (all for ``None``) stored
    anew where it differs from its rule: the nightly safety net. Returns how many rows
    each step changed (none when the stored facts are right)."""
    return {
        "risk_and_auditor": derived_facts_refresh(agreement_ids=agreement_ids),
        "open_flag_kinds": open_flag_kinds_refresh(agreement_ids=agreement_ids),
    }
