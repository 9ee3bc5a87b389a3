"""The oversight dashboard's pages: Previous and Next carry a cursor, so a deep page costs
what the first costs, whatever the sort; rows sharing the sorted value are neither skipped
nor repeated."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

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


def test_the_default_order_is_read_from_the_index_of_the_agreements():
    # The expression of migration 0016 must stay the dashboard's (review_due_in_force).
    from core import keyset
    from oversight.dashboard import DEFAULT_SORT, dashboard_rows

    page = keyset.Keyed(dashboard_rows({}, sort=DEFAULT_SORT)).ordered()[:51]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        assert "agreement_review_due_in_force_idx" in page.explain()


def test_the_flags_sort_counts_open_flags_only(client, board_member, partnership):
    two_open = factories.AgreementFactory(partnership=partnership, title="Two open")
    factories.FlagFactory(agreement=two_open, kind="expired_but_active")
    factories.FlagFactory(agreement=two_open, kind="review_overdue")
    one_open = factories.AgreementFactory(partnership=partnership, title="One open")
    factories.FlagFactory(agreement=one_open, kind="review_overdue")
    for kind in ("expired_but_active", "high_risk_without_dpia"):
        raised = timezone.now() - timedelta(days=2)
        factories.FlagFactory(
            agreement=one_open, kind=kind, raised_at=raised, resolved_at=timezone.now()
        )
    none_open = factories.AgreementFactory(partnership=partnership, title="None open")
    client.force_login(board_member)

    response = client.get(f"{DASHBOARD}?sort=-flags")

    rows = [a.pk for a in response.context["page"]]
    assert rows == [two_open.pk, one_open.pk, none_open.pk]
    assert [a.open_flag_count for a in response.context["page"]] == [2, 1, 0]
