"""The home page: headline figures and charts from the same code as /api/v1/stats/."""

import json
import re

import pytest
from django.urls import reverse

from public.summary import refresh_summary
from tests import factories
from tests.public_registry import build_registry

from .conftest import assert_no_private_value

pytestmark = pytest.mark.django_db


def test_the_figures_are_those_of_the_api(client):
    build_registry()
    stats = client.get("/api/v1/stats/").json()
    response = client.get(reverse("public:home"))
    assert response.status_code == 200
    assert response.context["figures"] == json.loads(json.dumps(stats))
    html = response.content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert f"Public partnerships {stats['partnerships']['total']}" in text
    assert f"Reviews overdue {stats['agreements']['review_overdue']}" in text
    assert "Active agreements with an independent auditor 0% (0 of 1)" in text


def test_each_chart_has_its_data_and_a_table_beside_it(client):
    build_registry()
    html = client.get(reverse("public:home")).content.decode()
    for name in ("region", "focus-area", "year", "open-flags", "flags-by-month"):
        assert f'<canvas data-chart="{name}"' in html
        spec = json.loads(
            re.search(
                rf'<script id="chart-{name}" type="application/json">(.*?)</script>', html
            ).group(1)
        )
        assert spec["labels"] and spec["datasets"][0]["data"]
    assert html.count('<table class="chart-data">') == 5
    assert '<a href="/partnerships/?region=europe">Europe</a></th><td>2</td>' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html


def test_restricted_records_are_not_counted_or_shown(client):
    build_registry()
    html = client.get(reverse("public:home")).content.decode()
    assert "Hidden Safe Homes pilot" not in html
    assert_no_private_value(html, "the home page")


def test_it_costs_the_same_queries_for_a_small_and_a_larger_registry(
    client, django_assert_max_num_queries
):
    build_registry()
    client.get(reverse("public:home"))  # the figures counted once (public.summary)
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("public:home"))
    for _ in range(20):
        agreement = factories.AgreementFactory(partnership=factories.partnership_with_parties())
        factories.FlagFactory(agreement=agreement)
    refresh_summary()  # what the debounced job does after the writes
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("public:home"))
