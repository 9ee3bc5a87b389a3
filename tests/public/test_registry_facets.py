"""The counts beside the registry's filter options at any size: each count shown is the
API's count for the same filters (read from the stored summary for the unfiltered registry,
counted over a few partnerships otherwise), an option whose count would take more is shown
without one and the panel says why, and a page costs the same queries at two sizes of the
registry. The limits are lowered here so that a few partnerships stand for many."""

import pytest
from django.http import QueryDict
from django.urls import reverse

from core import keyset
from partnerships.models import Partnership, PartnershipParty
from public import registry
from tests import factories
from tests.public_registry import build_registry

pytestmark = pytest.mark.django_db
URL = reverse("public:registry")
API = reverse("api:partnership-list")
NOTE = 'id="counts-note"'


@pytest.fixture
def known(db):
    return build_registry()


def options(response) -> dict[str, dict[str, registry.Option]]:
    assert response.status_code == 200, response.content[:300]
    fields = response.context["main_fields"] + response.context["more_fields"]
    return {f.name: {o.value: o for o in f.options} for f in fields if f.options}


def api_count(client, query: str, name: str, value: str) -> int:
    params = QueryDict(query, mutable=True)
    params.setlist(name, [value])
    response = client.get(API, params)
    assert response.status_code == 200, response.content[:300]
    return response.json()["count"]


def assert_counts_are_the_apis(client, query: str, found: dict) -> int:
    """Every count shown equals the API's; returns how many were shown."""
    shown = 0
    for name, by_value in found.items():
        for value, option in by_value.items():
            if option.count is not None:
                assert option.count == api_count(client, query, name, value), (name, value)
                shown += 1
    return shown


@pytest.fixture
def exact_estimates(monkeypatch):
    """The planner's estimates as right as they can be (a small test table's are not)."""
    monkeypatch.setattr(keyset, "planner_estimate", lambda queryset: queryset.count())


# Each query, and whether some option's count is left out when a request may count over
# one partnership only.
LEFT_OUT_OVER_ONE = {
    "": False,  # read from the summary
    "region=europe": True,  # the regions' counts read; the others over 2 partnerships
    "region=europe&status=active": True,  # 2 found
    "search=referral": False,  # 1 found
    "risk_level=high&risk_level=low&has_source=false": True,  # 2 found
    "organization=safe-harbour&review_overdue=true": False,  # 1 found, and 1 by each alone
}


@pytest.mark.parametrize("query", LEFT_OUT_OVER_ONE)
@pytest.mark.parametrize("limit", [1_000, 1])
def test_every_count_shown_is_the_apis_and_the_others_are_said_to_be_left_out(
    client, known, monkeypatch, exact_estimates, query, limit
):
    monkeypatch.setattr(registry, "FACETS_COUNTED_UP_TO", limit)
    response = client.get(f"{URL}?{query}")
    found = options(response)

    shown = assert_counts_are_the_apis(client, query, found)

    left_out = [o for by_value in found.values() for o in by_value.values() if o.count is None]
    assert bool(left_out) is (limit == 1 and LEFT_OUT_OVER_ONE[query])
    assert shown == sum(map(len, found.values())) - len(left_out)
    assert (NOTE in response.content.decode()) is bool(left_out)


def test_the_unfiltered_registry_reads_its_counts_from_the_summary(client, known, monkeypatch):
    monkeypatch.setattr(registry, "FACETS_COUNTED_UP_TO", 0)  # nothing counted per request
    found = options(client.get(URL))

    assert found["region"]["europe"].count == 2
    assert found["risk_level"]["high"].count == 1
    assert found["flag"]["review_overdue"].count == 1
    assert found["organization"]["safe-harbour"].count == 1
    assert assert_counts_are_the_apis(client, "", found) == sum(map(len, found.values()))


def test_a_filter_alone_has_its_own_options_counted_from_the_summary(
    client, known, monkeypatch, exact_estimates
):
    """``?region=europe``: the counts of the regions are those of the unfiltered registry
    (read); those of the other filters are over the two European partnerships, more than
    the limit here, so not shown."""
    monkeypatch.setattr(registry, "FACETS_COUNTED_UP_TO", 1)
    found = options(client.get(URL, {"region": "europe"}))

    assert {v: o.count for v, o in found["region"].items() if o.count} == {
        "europe": 2,
        "africa": 1,
        "asia": 1,
    }
    assert {o.count for o in found["status"].values()} == {None}


def test_a_chosen_option_keeps_its_count_when_the_others_would_count_too_many(
    client, known, monkeypatch, exact_estimates
):
    """``?region=africa&has_source=false``: one partnership found (counted); the regions'
    counts would be over every partnership without a source (four): the chosen region is
    counted over the one found, the others are not shown."""
    monkeypatch.setattr(registry, "FACETS_COUNTED_UP_TO", 1)
    response = client.get(URL, {"region": "africa", "has_source": "false"})
    found = options(response)

    assert found["region"]["africa"].selected is True
    assert found["region"]["africa"].count == 1
    assert found["region"]["europe"].count is None
    assert found["status"]["proposed"].count == 1  # over the one found
    assert NOTE in response.content.decode()


def test_a_select_lists_the_options_with_the_most_partnerships_and_says_so(
    client, known, monkeypatch
):
    monkeypatch.setattr(registry, "SELECT_OPTIONS_SHOWN", 2)
    factories.partnership_with_parties(ngo=known.ngo, title="Second with Safe Harbour")
    response = client.get(URL)
    found = options(response)

    organizations = found["organization"]
    assert len(organizations) == 2
    assert organizations["safe-harbour"].count == 2  # the most partnerships first
    html = response.content.decode()
    assert "Only the organizations with the most partnerships are listed" in html
    # One left out, chosen: listed and chosen, its count not shown rather than a wrong one.
    parties = PartnershipParty.objects.filter(partnership__in=Partnership.objects.public())
    left_out = next(
        slug
        for slug in parties.values_list("organization__slug", flat=True).order_by("pk")
        if slug not in organizations
    )
    chosen = options(client.get(URL, {"organization": left_out}))["organization"][left_out]
    assert chosen.selected is True and chosen.count is None


def add_partnerships(count: int, start: int = 0) -> None:
    area = factories.FocusAreaFactory(slug=f"area-{start}")
    for n in range(start, start + count):
        partnership = factories.partnership_with_parties(title=f"Lighthouse {n}", region="europe")
        partnership.focus_areas.add(area)
        agreement = factories.AgreementFactory(partnership=partnership)
        factories.DataSharingTermFactory(agreement=agreement)
        factories.FlagFactory(agreement=agreement)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "region=europe",
        "region=europe&has_source=false&flag=review_overdue&data_category=personal_identifiable",
        "search=lighthouse&status=proposed",
    ],
)
@pytest.mark.parametrize("limit", [1_000, 10])
def test_the_registry_costs_the_same_queries_at_two_sizes(
    client,
    monkeypatch,
    django_assert_num_queries,
    django_assert_max_num_queries,
    query,
    limit,
):
    """2 partnerships, then 40 (more than a page; more than the limit when it is 10): the
    same queries, the counts beside the options included; when the larger registry is past
    the limit, fewer (its counts are left out)."""
    monkeypatch.setattr(registry, "FACETS_COUNTED_UP_TO", limit)
    add_partnerships(2)
    client.get(f"{URL}?{query}")  # the summary counted after the writes, content types
    with django_assert_max_num_queries(40) as small:
        small_found = options(client.get(f"{URL}?{query}"))
    queries = len(small.captured_queries)  # read before the next request empties the log
    add_partnerships(38, start=2)
    client.get(f"{URL}?{query}")

    counted_both_times = limit == 1_000 or not query
    same = django_assert_num_queries if counted_both_times else django_assert_max_num_queries
    with same(queries):
        large = client.get(f"{URL}?{query}")

    assert options(large).keys() == small_found.keys()
    if not query:
        assert len(large.context["partnerships"]) == 25
