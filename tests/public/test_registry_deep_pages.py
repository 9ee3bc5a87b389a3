"""The registry's deep pages cost what its first costs (cursor links), and its count says
"about" where it is the planner's estimate."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import keyset
from public import views
from tests import factories

pytestmark = pytest.mark.django_db
URL = reverse("public:registry")


@pytest.fixture
def many(monkeypatch):
    monkeypatch.setattr(views, "REGISTRY_PAGE_SIZE", 2)
    for n in range(7):
        # Two by two under one title: the pages must still neither skip nor repeat one.
        factories.partnership_with_parties(title=f"Partnership {n // 2}", region="europe")


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return unescape(found.group(1)) if found else None


def walk(client, url: str, rel: str):
    pages = []
    while url:
        response = client.get(url if url.startswith("/") else URL + url)
        assert response.status_code == 200
        pages.append([p.pk for p in response.context["partnerships"]])
        url = link(response.content.decode(), rel)
    return pages, response


def test_next_and_previous_links_walk_every_partnership_once(client, many):
    forwards, last = walk(client, f"{URL}?region=europe&ordering=title", "next")

    assert [len(page) for page in forwards] == [2, 2, 2, 1]
    assert len({pk for page in forwards for pk in page}) == 7
    backwards, first = walk(client, link(last.content.decode(), "prev"), "prev")
    assert backwards == forwards[-2::-1]
    assert "region=europe" in link(first.content.decode(), "next")


def test_the_last_page_costs_the_queries_of_the_first(client, many):
    _, last = walk(client, URL, "next")
    # The last page, reached by the cursor of the page before it.
    before_last = link(last.content.decode(), "prev")
    deepest = URL + link(client.get(URL + before_last).content.decode(), "next")

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    assert queries(deepest) == queries(URL)


def test_the_count_says_about_above_the_exact_threshold(client, many, monkeypatch):
    assert "7 partnerships" in client.get(URL).content.decode()
    assert "Page 1 of 4" in client.get(URL).content.decode()

    monkeypatch.setattr(keyset, "EXACT_COUNT_UP_TO", 3)
    html = client.get(URL).content.decode()

    assert re.search(r"About \d+ partnerships", html)
    assert "Page 1<" in html  # no "of N" for an estimate


def test_a_bad_cursor_or_a_page_too_deep_is_named(client, many, monkeypatch):
    response = client.get(URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "not a link to a page of this list" in response.content.decode()

    monkeypatch.setattr(keyset, "MAX_PAGE_OFFSET", 2)
    response = client.get(URL, {"page": "3"})
    assert response.status_code == 400
    assert "Page numbers reach 2" in response.content.decode()
