"""The registry page: the API's filters, search, sorting, pages, permalinks and exports."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests import factories
from tests.public_registry import build_registry

from .conftest import assert_no_private_value

pytestmark = pytest.mark.django_db
URL = reverse("public:registry")


@pytest.fixture
def registry(db):
    return build_registry()


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content[:400]
    return [p.title for p in response.context["partnerships"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "",
            [
                "Quiet Streets",
                "Safe Homes Referral Partnership",
                "Trafficking Watch Coalition",
                "Youth Diversion Scheme",
            ],
        ),
        ("region=europe", ["Quiet Streets", "Safe Homes Referral Partnership"]),
        ("region=africa&region=asia", ["Trafficking Watch Coalition", "Youth Diversion Scheme"]),
        ("country=KE", ["Trafficking Watch Coalition"]),
        ("focus_area=domestic-violence", ["Safe Homes Referral Partnership"]),
        ("focus_area=no-such-area", []),
        ("status=ended", ["Youth Diversion Scheme"]),
        ("organization=safe-harbour", ["Safe Homes Referral Partnership"]),
        ("organization=nobody", []),
        ("risk_level=high", ["Safe Homes Referral Partnership"]),
        ("risk_level=low", ["Quiet Streets", "Trafficking Watch Coalition"]),
        ("surveillance_practice=facial_recognition", []),  # only on a restricted agreement
        ("data_category=case_records", ["Youth Diversion Scheme"]),
        ("legal_basis=consent", ["Safe Homes Referral Partnership"]),
        ("flag=review_overdue", ["Safe Homes Referral Partnership"]),
        ("has_independent_auditor=true", ["Trafficking Watch Coalition"]),
        ("review_overdue=true", ["Safe Homes Referral Partnership"]),
        (
            "established_after=2019-01-01&established_before=2020-12-31",
            ["Safe Homes Referral Partnership"],
        ),
        ("search=trafficking", ["Trafficking Watch Coalition"]),
        ("search=riverside", ["Safe Homes Referral Partnership"]),  # a party's name
        (
            "ordering=established_on&region=europe&region=asia",
            ["Youth Diversion Scheme", "Safe Homes Referral Partnership"],
        ),
    ],
)
def test_each_filter_and_the_search_find_the_known_answer(client, registry, query, expected):
    found = titles(client.get(f"{URL}?{query}"))
    if "ordering" in query:
        assert found[:2] == expected[:2]
    else:
        assert sorted(found) == sorted(expected)


def test_the_page_shows_what_the_reader_needs_per_partnership(client, registry):
    html = client.get(URL, {"region": "europe"}).content.decode()
    assert "Safe Homes Referral Partnership" in html
    assert "Riverside Police" in html and "Police agency" in html
    assert "Domestic violence" in html
    assert '<span class="badge badge-high">High</span>' in html
    assert "Review overdue" in html
    assert_no_private_value(html, "the registry")
    assert "Hidden Safe Homes pilot" not in html


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("region=atlantis", "region"),
        ("country=XX", "country"),
        ("established_after=last-year", "established_after"),
        ("has_independent_auditor=maybe", "has_independent_auditor"),
        ("ordering=nonsense", "ordering"),
    ],
)
def test_a_bad_filter_value_shows_the_page_with_a_message_naming_it(client, registry, query, name):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some filters could not be applied" in html
    assert f"(<code>{name}</code>)" in html
    assert response.context["partnerships"] == []
    assert '<form method="get"' in html  # the form is there to correct it


def test_the_permalink_round_trips(client, registry):
    # The form's empty search is dropped by a redirect first.
    response = client.get(
        URL, {"region": "europe", "risk_level": "high", "search": "", "page": "1"}, follow=True
    )
    assert response.redirect_chain == [(f"{URL}?region=europe&risk_level=high&page=1", 302)]
    permalink = response.context["permalink"]
    assert permalink == f"{URL}?region=europe&risk_level=high"
    assert titles(client.get(permalink)) == titles(response)
    assert f'href="{permalink.replace("&", "&amp;")}"' in response.content.decode()


def test_csv_and_api_links_carry_the_filters(client, registry):
    response = client.get(URL, {"region": ["europe", "asia"], "focus_area": "domestic-violence"})
    context = response.context
    api = urlsplit(context["api_url"])
    assert api.path == "/api/v1/partnerships/"
    assert {k: sorted(v) for k, v in parse_qs(api.query).items()} == {
        "focus_area": ["domestic-violence"],
        "region": ["asia", "europe"],
    }
    csv = urlsplit(context["csv_url"])
    assert {k: sorted(v) for k, v in parse_qs(csv.query).items()} == {
        "focus_area": ["domestic-violence"],
        "region": ["asia", "europe"],
        "format": ["csv"],
    }
    # The links lead to the same partnerships.
    api_data = client.get(context["api_url"]).json()
    assert [row["title"] for row in api_data["results"]] == titles(response)
    exported = client.get(context["csv_url"])
    assert exported.status_code == 200
    body = b"".join(exported.streaming_content).decode()
    assert "Safe Homes Referral Partnership" in body and "Youth Diversion" not in body


def test_pages_keep_the_filters(client, registry):
    for n in range(30):
        factories.partnership_with_parties(title=f"Europe {n:02}", region="europe")
    first = client.get(URL, {"region": "europe"})
    assert len(first.context["partnerships"]) == 25
    html = first.content.decode()
    # The next page by cursor, the filters kept.
    assert 'href="?region=europe&amp;cursor=' in html
    next_cursor = first.context["page_obj"].next_cursor
    second = client.get(URL, {"region": "europe", "cursor": next_cursor})
    assert len(second.context["partnerships"]) == 32 - 25
    assert titles(client.get(URL, {"region": "europe", "page": "2"})) == titles(second)
    assert client.get(URL, {"page": "many"}).status_code == 200  # the first page


def test_the_feed_links_carry_region_and_focus_area(client, registry):
    html = client.get(URL, {"region": "europe", "focus_area": "domestic-violence"}).content.decode()
    assert 'href="/feeds/flags/?region=europe&amp;focus_area=domestic-violence"' in html


def test_it_costs_the_same_queries_for_1_and_25_rows(client, django_assert_max_num_queries):
    factories.partnership_with_parties(title="Only one")
    client.get(URL)  # the stored summary, counted once after the writes
    # The count and the rows and their facts (8), and the counts beside the filters'
    # options of the unfiltered registry, read from the stored summary (2).
    with django_assert_max_num_queries(10) as one:
        assert len(titles(client.get(URL))) == 1
    queries = len(one.captured_queries)  # read before the next request empties the log
    for n in range(24):
        partnership = factories.partnership_with_parties(title=f"More {n}")
        partnership.focus_areas.add(factories.FocusAreaFactory(slug="child-protection"))
        agreement = factories.AgreementFactory(partnership=partnership)
        factories.DataSharingTermFactory(agreement=agreement)
        factories.FlagFactory(agreement=agreement)
    client.get(URL)
    with django_assert_max_num_queries(queries):
        assert len(titles(client.get(URL))) == 25
