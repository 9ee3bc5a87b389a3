"""The registry page's filter panel: counts beside each option equal to the API's, clean
permalinks, sortable headers, a notice for unknown parameters, words for a reader, and a
number of queries that does not grow with the rows."""

import re
from html import unescape

import pytest
from django.http import QueryDict
from django.urls import reverse

from public import registry
from public.filters import PartnershipFilter
from tests import factories
from tests.public_registry import build_registry

pytestmark = pytest.mark.django_db
URL = reverse("public:registry")
API = reverse("api:partnership-list")


@pytest.fixture
def known(db):
    return build_registry()


def api_count(client, params: QueryDict) -> int:
    response = client.get(API, params)
    assert response.status_code == 200, response.content[:300]
    return response.json()["count"]


def option_fields(response) -> list:
    return [
        field
        for field in response.context["main_fields"] + response.context["more_fields"]
        if field.options
    ]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "region=europe",
        "region=europe&region=asia&status=active",
        "risk_level=high&risk_level=low&has_source=false",
        "search=referral",
        "organization=safe-harbour&review_overdue=true",
        "legal_basis=public_task&has_independent_auditor=false",
    ],
)
def test_the_count_beside_each_option_is_the_apis_count_for_the_same_filters(client, known, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    params = QueryDict(query)
    fields = option_fields(response)
    # Every option of a checkbox or yes/no filter; a select's that find something.
    every_option = {
        spec.name
        for spec in registry.PANEL
        if spec.control in (registry.CHECKBOXES, registry.YES_NO)
    }
    assert every_option <= {field.name for field in fields}
    assert sum(len(field.options) for field in fields) > 50
    for field in fields:
        for option in field.options:
            # The other filters in force, and this option for its own filter.
            expected = params.copy()
            expected.setlist(field.name, [option.value])
            assert option.count == api_count(client, expected), (field.name, option.value)


def test_a_select_lists_the_options_that_find_something_and_the_chosen_one(client, known):
    response = client.get(URL, {"region": "europe", "organization": "no-such-org"})
    fields = {field.name: field for field in option_fields(response)}
    organizations = {option.value: option for option in fields["organization"].options}
    # The parties of the European public partnerships, and the unknown slug, still chosen.
    european = [known.safe_homes, known.quiet_europe]
    assert set(organizations) == {
        *(party.organization.slug for p in european for party in p.parties.all()),
        "no-such-org",
    }
    assert organizations["no-such-org"].selected is True
    assert organizations["no-such-org"].count == 0
    # An organization is chosen by its name; its slug is the value sent.
    assert organizations["safe-harbour"].label == "Safe Harbour Women's Aid"
    assert organizations["safe-harbour"].count == 1
    # No country finds anything for an organization that is none.
    assert fields.get("country") is None
    fields = {field.name: field for field in option_fields(client.get(URL, {"region": "europe"}))}
    assert {option.value for option in fields["country"].options} == {"FR", "GB"}
    assert [option.label for option in fields["country"].options] == ["France", "United Kingdom"]


def test_every_filter_of_the_api_is_in_the_panel_or_left_out_on_purpose():
    in_panel = [spec.name for spec in registry.PANEL]
    assert len(in_panel) == len(set(in_panel))
    assert {*in_panel, *registry.NOT_IN_PANEL} == set(PartnershipFilter.base_filters)
    orderings = PartnershipFilter.base_filters["ordering"].param_map
    for column in registry.COLUMNS:
        assert not column.ordering or column.ordering in orderings, column


def test_the_page_speaks_to_a_reader_with_checkboxes_and_names(client, known):
    html = client.get(URL).content.decode()
    start = html.index('<form method="get"')
    form = html[start : html.index("</form>", start)]
    for developer_words in ("`", "PostgreSQL", "Slug of", "One of:", "ISO 8601", "repeat for"):
        assert developer_words not in form, developer_words
    for spec in registry.PANEL:
        if spec.help:
            assert spec.help.replace("'", "&#x27;") in form, spec.name
    assert 'type="radio"' not in form
    assert re.search(r'<input type="checkbox" name="region" value="europe" id="[^"]+">', form)
    assert '<select name="organization" id="id_organization"' in form
    assert "Safe Harbour Women&#x27;s Aid (1)</option>" in form
    assert "Domestic violence (1)</option>" in form
    # Every control has its label.
    for control_id in re.findall(r'<(?:input|select) [^>]*id="([^"]+)"', form):
        assert f'for="{control_id}"' in form, control_id


def test_a_bad_value_keeps_the_options_without_counts(client, known):
    response = client.get(URL, {"region": "atlantis", "status": "active"})
    assert response.status_code == 400
    fields = {field.name: field for field in option_fields(response)}
    assert [option.selected for option in fields["status"].options if option.value == "active"] == [
        True
    ]
    assert {option.count for field in fields.values() for option in field.options} == {None}


@pytest.mark.parametrize(
    ("query", "clean"),
    [
        ("search=&region=europe&focus_area=&country=&ordering=", "region=europe"),
        ("region=europe&search=&region=asia", "region=europe&region=asia"),
        ("search=&focus_area=&has_source=", ""),
        ("search=safe+homes&organization=&page=2", "search=safe+homes&page=2"),
    ],
)
def test_a_submitted_form_is_redirected_to_its_address_without_empty_values(
    client, known, query, clean
):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 302
    assert response["Location"] == (f"{URL}?{clean}" if clean else URL)
    assert client.get(response["Location"]).status_code == 200


def test_a_clean_address_is_not_redirected(client, known):
    assert client.get(f"{URL}?region=europe&status=active").status_code == 200


def test_the_form_sends_no_value_it_was_not_given(client, known):
    """What the browser sends for the form as the page draws it, untouched: only the
    filters in force (the others are empty, and redirected away)."""
    html = client.get(URL, {"region": "europe", "ordering": "-title"}).content.decode()
    start = html.index('<form method="get"')
    form = html[start : html.index("</form>", start)]
    sent = re.findall(
        r'<input type="(?:hidden|search|date)" name="(\w+)"[^>]*value="([^"]*)"', form
    )
    sent += re.findall(r'<input type="checkbox" name="(\w+)" value="([^"]+)"[^>]*checked', form)
    assert sorted((name, value) for name, value in sent if value) == [
        ("ordering", "-title"),
        ("region", "europe"),
    ]


def headers(html: str) -> dict[str, tuple[str, str]]:
    """``{column: (aria-sort, link)}`` of the table's sortable headers."""
    found = {}
    for attrs, body in re.findall(r'<th scope="col"([^>]*)>(.*?)</th>', html):
        sort = re.search(r'aria-sort="(\w+)"', attrs)
        link = re.search(r'<a href="([^"]+)">([^<]+)', body)
        if sort:
            found[link.group(2)] = (sort.group(1), unescape(link.group(1)))
    return found


def test_sortable_headers_tell_their_order_and_keep_the_other_filters(client, known):
    html = client.get(URL, {"region": ["europe", "asia"], "page": "1"}).content.decode()
    assert headers(html) == {
        "Partnership": ("ascending", f"{URL}?region=europe&region=asia&ordering=-title"),
        "Since": ("none", f"{URL}?region=europe&region=asia&ordering=established_on"),
        "Where": ("none", f"{URL}?region=europe&region=asia&ordering=country"),
        "Status": ("none", f"{URL}?region=europe&region=asia&ordering=status"),
    }
    assert '<th scope="col" class="col-parties">Parties</th>' in html  # not sortable

    html = client.get(URL, {"region": "europe", "ordering": "-established_on"}).content.decode()
    assert headers(html)["Since"] == ("descending", f"{URL}?region=europe&ordering=established_on")
    assert headers(html)["Partnership"] == ("none", f"{URL}?region=europe&ordering=title")

    # Ranked by relevance: no column is the order.
    html = client.get(URL, {"search": "referral"}).content.decode()
    assert {sort for sort, _link in headers(html).values()} == {"none"}


def test_a_header_link_sorts_the_list(client, known):
    html = client.get(URL, {"region": ["europe", "asia"]}).content.decode()
    link = headers(html)["Since"][1]
    found = [p.title for p in client.get(link).context["partnerships"]]
    # Oldest first; Quiet Streets has no date and comes last.
    assert found == ["Youth Diversion Scheme", "Safe Homes Referral Partnership", "Quiet Streets"]
    link = headers(client.get(link).content.decode())["Since"][1]
    assert link.endswith("ordering=-established_on")
    found = [p.title for p in client.get(link).context["partnerships"]]
    assert found == ["Safe Homes Referral Partnership", "Youth Diversion Scheme", "Quiet Streets"]


def test_an_unknown_parameter_is_named_in_a_notice_and_left_out_of_the_links(client, known):
    response = client.get(URL, {"region": "europe", "agreement": "16", "colour": "blue"})
    assert response.status_code == 200
    html = response.content.decode()
    notice = html[html.index('class="message registry-notice"') :]
    notice = notice[: notice.index("</section>")]
    assert "<code>agreement</code>, <code>colour</code>" in notice
    assert "are not filters of the registry" in notice
    assert f'<a href="{URL}?region=europe">' in notice
    assert [p.title for p in response.context["partnerships"]] == [
        "Quiet Streets",
        "Safe Homes Referral Partnership",
    ]
    context = response.context
    assert context["permalink"] == f"{URL}?region=europe"
    assert "colour" not in context["api_url"] and "colour" not in context["csv_url"]
    # The API refuses the same parameter; the page's API link does not carry it.
    assert client.get(API, {"region": "europe", "colour": "blue"}).status_code == 400
    assert client.get(context["api_url"]).status_code == 200


def test_no_notice_without_unknown_parameters(client, known):
    html = client.get(URL, {"region": "europe", "page": "1"}).content.decode()
    assert "registry-notice" not in html


FILTERED = {
    "region": ["europe", "asia"],
    "status": "active",
    "risk_level": ["high", "low", "medium"],
    "focus_area": "child-protection",
    "has_source": "false",
    "search": "lighthouse",
}


def test_the_panel_costs_the_same_queries_for_1_and_25_rows(client, django_assert_max_num_queries):
    area = factories.FocusAreaFactory(slug="child-protection")

    def add(n):
        partnership = factories.partnership_with_parties(title=f"Lighthouse {n}", region="europe")
        partnership.focus_areas.add(area)
        agreement = factories.AgreementFactory(partnership=partnership)
        factories.DataSharingTermFactory(agreement=agreement)
        factories.FlagFactory(agreement=agreement)

    add(0)
    client.get(URL, FILTERED)  # the content types, cached
    # A fixed number: the rows, their facts and their count (8), one query per filter with
    # options, and the planner's estimate of the partnerships that the other filters find
    # for each such filter in force (its options' counts are over those).
    counted = [
        spec for spec in registry.PANEL if spec.control not in (registry.SEARCH, registry.DATE)
    ]
    in_force = [spec for spec in counted if spec.name in FILTERED]
    with django_assert_max_num_queries(8 + len(counted) + len(in_force)) as one:
        assert len(client.get(URL, FILTERED).context["partnerships"]) == 1
    queries = len(one.captured_queries)  # read before the next request empties the log
    for n in range(1, 25):
        add(n)
    with django_assert_max_num_queries(queries):
        response = client.get(URL, FILTERED)
    assert len(response.context["partnerships"]) == 25
    fields = {field.name: field for field in option_fields(response)}
    assert [o.count for o in fields["region"].options if o.value == "europe"] == [25]
