"""The oversight dashboard's pages: Previous and Next carry a cursor, so a deep page costs
what the first costs, whatever the sort; rows sharing the sorted value are neither skipped
nor repeated."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oversight import views
from tests import factories

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("oversight:dashboard")


@pytest.fixture
def agreements(monkeypatch, partnership):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    created = []
    for n in range(7):
        agreement = factories.AgreementFactory(partnership=partnership, title=f"Same {n % 2}")
        if n % 3 == 0:
            factories.FlagFactory(agreement=agreement, kind="expired_but_active")
        created.append(agreement.pk)
    return created


def walk(client, url, rel):
    pages, queries = [], []
    while url:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        queries.append(len(captured.captured_queries))
        pages.append([a.pk for a in response.context["page"]])
        found = re.search(rf'<a href="([^"]+)" rel="{rel}">', response.content.decode())
        url = DASHBOARD + unescape(found.group(1)) if found else None
    return pages, queries


@pytest.mark.parametrize("sort", ["agreement", "-flags", "risk", "-overdue", "auditor"])
def test_every_agreement_once_at_the_queries_of_the_first_page(
    client, board_member, agreements, sort
):
    client.force_login(board_member)
    client.get(DASHBOARD)

    pages, queries = walk(client, f"{DASHBOARD}?sort={sort}", "next")

    assert sorted(pk for page in pages for pk in page) == sorted(agreements)
    assert len(set(queries)) == 1, queries
    back, _ = walk(client, f"{DASHBOARD}?sort={sort}&page=4", "prev")
    assert back == pages[::-1]
