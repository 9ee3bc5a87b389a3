"""The facts an agreement stores but derives from other records: its risk level (from its
data-sharing terms) and whether its auditor is independent (from its partnership's
parties).

Every write that changes what they derive from calls ``derived_facts_refresh`` in its own
transaction: the services of agreements, the parties' services (through
``partnerships.services.parties_changed``), the import, the benchmark generator. It also
stores what each partnership keeps about its public agreements
(``partnership_facts_refresh``, which a change of whether an agreement is public calls:
the publication steps, the embargo run). One
``UPDATE`` whatever the number of agreements, by the rules of ``agreements.querysets``
(``risk_level_rule``, ``auditor_independence_rule``), the same SQL the checks compare
with; only the rows whose stored facts differ are written. ``manage.py refresh_derived``
runs it over every agreement.
"""

from collections.abc import Collection

from django.db.models import BooleanField, Func, Q, QuerySet

from partnerships.models import Partnership
from partnerships.querysets import public_values

from .models import Agreement
from .querysets import auditor_independence_rule, partnership_facts_rules, risk_level_rule


class IsDistinctFrom(Func):
    """``a IS DISTINCT FROM b``: unequal, a null unequal to a value and equal to a null."""

    arg_joiner = " IS DISTINCT FROM "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def derived_facts_refresh(*, agreement_ids: Collection[int] | None = None) -> int:
    """Store the risk level and the auditor's independence of the agreements
    ``agreement_ids`` (every agreement for ``None``) by their rules; return how many rows
    changed. An empty ``agreement_ids`` does nothing."""
    agreements = Agreement.objects.all()
    if agreement_ids is not None:
        agreement_ids = sorted(set(agreement_ids))
        if not agreement_ids:
            return 0
        agreements = agreements.filter(pk__in=agreement_ids)
    risk, independence = risk_level_rule(agreements), auditor_independence_rule()
    stale = Q(IsDistinctFrom("stored_risk_level", risk)) | Q(
        IsDistinctFrom("auditor_is_independent", independence)
    )
    changed = agreements.filter(stale).update(
        stored_risk_level=risk, auditor_is_independent=independence
    )
    partnership_ids = None
    if agreement_ids is not None:
        partnership_ids = agreements.order_by().values("partnership_id").distinct()
    partnership_facts_refresh(partnership_ids=partnership_ids)
    return changed


def partnership_facts_refresh(*, partnership_ids: Collection[int] | QuerySet | None = None) -> int:
    """Store the facts the partnerships ``partnership_ids`` (ids or a query of ids; every
    partnership for ``None``) keep about their public agreements (``partnership_facts_rules``:
    public by the agreement's own state, which is the registry's for a public partnership);
    return how many rows changed. Called by ``derived_facts_refresh`` and by every change of
    whether an agreement is public."""
    partnerships = Partnership.objects.all()
    if partnership_ids is not None:
        partnerships = partnerships.filter(pk__in=partnership_ids)
    rules = partnership_facts_rules(Agreement.objects.filter(**public_values()))
    stale = Q()
    for name, rule in rules.items():
        stale |= Q(IsDistinctFrom(name, rule))
    return partnerships.filter(stale).update(**rules)


def partnership_derived_facts_refresh(*, partnership_ids: Collection[int]) -> int:
    """``derived_facts_refresh`` of the agreements of these partnerships (their parties
    changed, so their auditors' independence may have)."""
    if not partnership_ids:
        return 0
    ids = Agreement.objects.filter(partnership_id__in=partnership_ids).values_list("pk", flat=True)
    return derived_facts_refresh(agreement_ids=list(ids))
