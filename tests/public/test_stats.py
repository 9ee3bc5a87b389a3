"""The headline figures count public records only, in a fixed number of queries."""

import datetime as dt

import pytest
import time_machine

from agreements.models import Agreement
from public.stats import registry_figures
from tests import factories
from tests.public_registry import build_registry
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db


def counts(rows) -> dict:
    return {row["key"]: row["count"] for row in rows}


def test_figures_count_the_public_registry():
    build_registry()
    factories.FocusAreaFactory(slug="gang-prevention")  # a focus area of no partnership
    figures = registry_figures()

    partnerships = figures["partnerships"]
    assert partnerships["total"] == 4  # "hidden" is restricted
    assert counts(partnerships["by_region"]) == {
        "africa": 1,
        "asia": 1,
        "europe": 2,
        "latin_america": 0,
        "middle_east": 0,
        "north_america": 0,
        "oceania": 0,
    }
    by_focus = counts(partnerships["by_focus_area"])
    assert by_focus["domestic-violence"] == 1
    assert by_focus["human-trafficking"] == 1
    assert by_focus["gang-prevention"] == 0
    assert counts(partnerships["by_status"]) == {
        "proposed": 1,
        "active": 2,
        "suspended": 0,
        "ended": 1,
    }
    assert partnerships["by_year_established"] == [
        {"key": "2015", "label": "2015", "count": 1},
        {"key": "2019", "label": "2019", "count": 1},
        {"key": "2022", "label": "2022", "count": 1},
        {"key": "unknown", "label": "Unknown", "count": 1},
    ]

    agreements = figures["agreements"]
    assert agreements["total"] == 3  # the restricted annex and the hidden MOU are not counted
    assert counts(agreements["by_status"])["active"] == 1
    assert counts(agreements["by_risk_level"]) == {"low": 1, "medium": 1, "high": 1}
    assert agreements["active"] == 1
    assert agreements["active_with_independent_auditor"] == 0
    assert agreements["share_active_with_independent_auditor"] == 0.0

    flags = figures["flags"]
    assert flags["open"] == 1  # the restricted agreements' open flags are not counted
    assert flags["closed"] == 1
    assert counts(flags["open_by_kind"])["review_overdue"] == 1
    assert counts(flags["open_by_kind"])["high_risk_without_dpia"] == 0


def test_share_of_active_agreements_with_an_independent_auditor():
    registry = build_registry()
    Agreement.objects.filter(pk=registry.trafficking_mou.pk).update(status="active")
    figures = registry_figures()["agreements"]
    assert figures["active"] == 2
    assert figures["active_with_independent_auditor"] == 1
    assert figures["share_active_with_independent_auditor"] == 0.5


def test_share_is_null_without_active_agreements():
    assert registry_figures()["agreements"]["share_active_with_independent_auditor"] is None


def test_figures_cost_the_same_queries_for_a_small_and_a_larger_registry(
    django_assert_num_queries,
):
    build_registry()
    registry_figures()  # Django's cache of content types, which the withheld values need.
    # A query or two per breakdown, with the public feedback figures, the counts by
    # country (country_figures) and the incidents' figures (incident_figures); the active
    # agreements and those with an independent auditor are two counts.
    with django_assert_num_queries(23) as small:
        registry_figures()
    for _ in range(15):
        partnership = factories.partnership_with_parties(established_on=None)
        agreement = factories.AgreementFactory(partnership=partnership)
        factories.ReviewFactory(agreement=agreement)
    with django_assert_num_queries(len(small.captured_queries)):
        registry_figures()


def test_reviews_overdue_counts_public_agreements_in_force_past_their_review_date():
    registry = build_registry()
    # safe-homes' MOU is overdue; the restricted annex of quiet-europe is overdue too, unseen.
    assert registry_figures()["agreements"]["review_overdue"] == 1
    Agreement.objects.filter(pk=registry.safe_homes_mou.pk).update(status="terminated")
    assert registry_figures()["agreements"]["review_overdue"] == 0


@time_machine.travel(dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC), tick=False)
def test_flags_raised_and_closed_per_month_over_the_last_twelve_months():
    agreement = factories.AgreementFactory(partnership=factories.partnership_with_parties())
    restricted = factories.AgreementFactory(
        partnership=factories.partnership_with_parties(visibility="restricted")
    )

    def at(year, month, day=10):
        return dt.datetime(year, month, day, 12, tzinfo=dt.UTC)

    factories.FlagFactory(agreement=agreement, kind="review_overdue", raised_at=at(2026, 1))
    factories.FlagFactory(
        agreement=agreement,
        kind="expired_but_active",
        raised_at=at(2025, 12),
        resolved_at=at(2026, 3),
    )
    # Raised before the twelve months: only its closing counts.
    factories.FlagFactory(
        agreement=agreement,
        kind="no_independent_auditor",
        raised_at=at(2024, 1),
        resolved_at=at(2026, 1),
    )
    factories.FlagFactory(agreement=restricted, kind="review_overdue", raised_at=at(2026, 1))

    months = registry_figures()["flags"]["by_month"]
    assert len(months) == 12
    assert months[0]["key"] == "2025-04" and months[-1]["key"] == "2026-03"
    by_key = {m["key"]: (m["raised"], m["closed"]) for m in months}
    assert by_key["2025-12"] == (1, 0)
    assert by_key["2026-01"] == (1, 1)
    assert by_key["2026-03"] == (0, 1)
    assert sum(raised for raised, _ in by_key.values()) == 2
    assert months[-1]["label"] == "March 2026"


@time_machine.travel(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("language", "january"),
    [("en", "January 2026"), ("es", "enero de 2026"), ("fr", "janvier 2026")],
)
def test_the_months_of_the_flags_are_named_in_the_readers_language(client, language, january):
    build_registry()

    months = client.get("/api/v1/stats/", headers={"accept-language": language}).json()["flags"][
        "by_month"
    ]

    by_key = {month["key"]: month["label"] for month in months}
    assert by_key["2026-01"] == january  # the key stays the machine's: YYYY-MM
    home = client.get("/", headers={"accept-language": language}).content.decode()
    assert january in home  # the chart's and its table's months


def test_a_withheld_region_or_date_is_counted_as_withheld_never_under_its_value(client):
    registry = build_registry()
    withhold(registry.safe_homes, "region")
    withhold(registry.youth_cameras, "established_on")
    partnerships = registry_figures()["partnerships"]
    assert counts(partnerships["by_region"]) == {
        "africa": 1,
        "asia": 1,
        "europe": 1,  # quiet-europe only
        "latin_america": 0,
        "middle_east": 0,
        "north_america": 0,
        "oceania": 0,
        "withheld": 1,
    }
    assert partnerships["by_region"][-1] == {"key": "withheld", "label": "Withheld", "count": 1}
    assert partnerships["by_year_established"] == [
        {"key": "2019", "label": "2019", "count": 1},
        {"key": "2022", "label": "2022", "count": 1},
        {"key": "unknown", "label": "Unknown", "count": 1},
        {"key": "withheld", "label": "Withheld", "count": 1},  # not 2015
    ]
    assert client.get("/api/v1/stats/").json()["partnerships"] == partnerships


def test_a_breakdown_lists_withheld_only_when_something_is(client):
    build_registry()
    partnerships = registry_figures()["partnerships"]
    assert "withheld" not in counts(partnerships["by_region"])
    assert "withheld" not in counts(partnerships["by_year_established"])


@pytest.mark.parametrize("state", ["draft", "submitted", "embargoed", "retracted"])
def test_unpublished_records_are_not_counted(state):
    build_registry()
    before = registry_figures()
    partnership = factories.partnership_with_parties(
        region="oceania",
        publication_status=state,
        retraction_reason="Published in error." if state == "retracted" else "",
    )
    factories.FlagFactory(agreement=factories.AgreementFactory(partnership=partnership))
    published = factories.partnership_with_parties()
    factories.AgreementFactory(
        partnership=published,
        status="active",
        publication_status=state,
        retraction_reason="Published in error." if state == "retracted" else "",
    )
    after = registry_figures()
    assert after["partnerships"]["total"] == before["partnerships"]["total"] + 1  # published
    assert counts(after["partnerships"]["by_region"])["oceania"] == 0
    assert after["agreements"] == before["agreements"]
    assert after["flags"]["open"] == before["flags"]["open"]
