"""Deep pages cost what the first costs: the lists' ``next`` and ``previous`` links carry a
cursor (keyset pagination, ``core.keyset``); page numbers stay for shallow pages; counts
are exact up to a threshold and marked as estimates above it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import keyset
from tests import factories

pytestmark = pytest.mark.django_db


def agreements(n: int, title: str = "Same title") -> list[int]:
    partnership = factories.partnership_with_parties()
    return [factories.AgreementFactory(partnership=partnership, title=title).pk for _ in range(n)]


def ids(page: dict) -> list[int]:
    return [item["id"] for item in page["results"]]


def walk(get, url: str, link: str = "next") -> list[dict]:
    pages = [get(url)]
    while pages[-1][link]:
        pages.append(get(pages[-1][link]))
    return pages


def test_rows_sharing_the_ordering_value_are_neither_skipped_nor_repeated(get):
    created = agreements(7)  # one title: the id breaks the ties

    forwards = walk(get, "/api/v1/agreements/?page_size=2")

    assert [ids(page) for page in forwards] == [created[i : i + 2] for i in range(0, 7, 2)]
    assert all("cursor=" in page["next"] for page in forwards[:-1])
    assert forwards[-1]["next"] is None


def test_next_then_previous_gives_the_same_rows(get):
    agreements(3, title="Alpha")
    agreements(4, title="Beta")
    forwards = walk(get, "/api/v1/agreements/?page_size=3&ordering=-title")

    backwards = walk(get, forwards[-1]["previous"], link="previous")

    assert [ids(page) for page in reversed(backwards)] == [ids(page) for page in forwards[:-1]]
    assert backwards[-1]["previous"] is None  # back on the first page


def test_a_cursor_keeps_the_filters_and_the_ordering(get):
    partnership = factories.partnership_with_parties()
    for status in ["active", "expired"] * 3:
        factories.AgreementFactory(partnership=partnership, status=status)

    pages = walk(get, "/api/v1/agreements/?status=active&ordering=-title&page_size=1")

    titles = [page["results"][0]["title"] for page in pages]
    assert len(pages) == 3 and titles == sorted(titles, reverse=True)
    assert all(page["results"][0]["status"] == "active" for page in pages)


def test_the_deepest_page_by_cursor_costs_the_queries_of_the_first(client, get):
    agreements(12)
    factories.FlagFactory(agreement_id=agreements(1)[0], kind="expired_but_active")
    client.get("/api/v1/agreements/?page_size=2")  # warm the content types
    pages = walk(get, "/api/v1/agreements/?page_size=2")

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    first = queries("/api/v1/agreements/?page_size=2")
    assert queries(pages[-1]["previous"]) == first  # a page reached backwards
    # The last page (reached by its cursor) costs what the first costs.
    assert queries(pages[-2]["next"]) == first
    agreements(30)
    assert queries("/api/v1/agreements/?page_size=2") == first


def test_a_page_number_beyond_the_limit_is_a_400_pointing_to_the_cursor(get, monkeypatch):
    monkeypatch.setattr(keyset, "MAX_PAGE_OFFSET", 4)
    agreements(8)

    assert ids(get("/api/v1/agreements/?page_size=2&page=3"))  # 4 rows deep: allowed
    response = get("/api/v1/agreements/?page_size=2&page=4", raw=True)

    assert response.status_code == 400
    (message,) = response.json()["page"]
    assert "reach 3" in message and "cursor" in message


@pytest.mark.parametrize(
    "query",
    ["cursor=not-a-cursor", "cursor=eyJzIjoiYSJ9", "page=2&cursor=x"],
)
def test_a_bad_cursor_is_a_400_naming_it(get, query):
    agreements(3)

    response = get(f"/api/v1/agreements/?page_size=1&{query}", raw=True)

    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


def test_a_cursor_of_another_ordering_is_refused(get):
    agreements(3)
    cursor_link = get("/api/v1/agreements/?page_size=1")["next"]

    response = get(cursor_link + "&ordering=-title", raw=True)

    assert response.status_code == 400
    assert "cursor" in response.json()


def test_the_count_is_exact_below_the_threshold_and_an_estimate_above(get, monkeypatch):
    agreements(5)
    exact = get("/api/v1/agreements/")
    assert (exact["count"], exact["count_is_estimate"]) == (5, False)

    monkeypatch.setattr(keyset, "EXACT_COUNT_UP_TO", 3)
    estimated = get("/api/v1/agreements/")

    assert estimated["count_is_estimate"] is True
    assert estimated["count"] > 3
    assert len(estimated["results"]) == 5


def test_estimates_keep_two_significant_digits():
    assert keyset.round_estimate(22_223) == 22_000
    assert keyset.round_estimate(987_654) == 990_000
    assert keyset.round_estimate(42) == 42
