"""The check of the facts an agreement stores (``Agreement.DERIVED_FIELDS``): each equal to
its rule, as the queryset states it in SQL and as the model states it for one agreement."""

from agreements.models import Agreement


def derived_by_rule(*agreements: Agreement) -> dict[int, dict]:
    """{id: the facts as their rules give them now}."""
    ids = [agreement.pk for agreement in agreements]
    rows = (
        Agreement.objects.filter(pk__in=ids)
        .with_risk_level_by_rule()
        .with_auditor_independence_by_rule()
        .prefetch_related("data_sharing_terms", "partnership__parties")
    )
    return {
        row.pk: {
            "stored_risk_level": row.derived_risk_level,
            "auditor_is_independent": row.auditor_independence,
            # The model's rules, for one agreement.
            "risk_level()": row.risk_level(),
            "has_independent_auditor()": row.has_independent_auditor(),
        }
        for row in rows
    }


def stored(*agreements: Agreement) -> dict[int, dict]:
    rows = Agreement.objects.filter(pk__in=[agreement.pk for agreement in agreements])
    return {
        pk: {"stored_risk_level": risk, "auditor_is_independent": auditor}
        for pk, risk, auditor in rows.values_list("pk", *Agreement.DERIVED_FIELDS)
    }


def assert_derived_facts_stored(*agreements: Agreement) -> None:
    """Every stored fact of ``agreements`` equals its rule (in SQL and in Python)."""
    expected = derived_by_rule(*agreements)
    found = stored(*agreements)
    for pk, facts in expected.items():
        assert facts["risk_level()"] == facts["stored_risk_level"]
        assert facts["has_independent_auditor()"] is (facts["auditor_is_independent"] is True)
        rule = {name: facts[name] for name in Agreement.DERIVED_FIELDS}
        assert found[pk] == rule, f"agreement {pk}: stored {found[pk]}, by the rules {rule}"
    assert len(expected) == len(agreements)
