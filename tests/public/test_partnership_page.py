"""The partnership page as a reader from a newsroom meets it: one page to understand it."""

import re

import pytest
from django.urls import reverse

from agreements.derived import derived_facts_refresh
from tests import factories

from .conftest import HIDDEN_HASH, PUBLIC_HASH, assert_no_private_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, public_registry):
    response = client.get(public_registry.partnership.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_it_shows_the_parties_with_their_roles_and_links(page, public_registry):
    text = text_of(page)
    assert "Safe Harbour Women's Aid — Lead NGO" in text.replace("&#x27;", "'")
    assert "Riverside Police — Police agency" in text
    assert reverse("public:organization", kwargs={"slug": "riverside-police"}) in page


def test_it_shows_focus_status_dates_objectives_roles_and_sources(page):
    text = text_of(page)
    assert "Human trafficking" in text
    assert "Active" in text
    assert "Established 1 April 2021" in text
    assert "Country United Kingdom" in text
    assert "Identify victims earlier." in text
    assert "The charity runs the helpline; the police investigate." in text
    assert "Council minutes, April 2021" in text
    assert "?focus_area=human-trafficking" in page


def test_it_explains_why_the_risk_is_high(page):
    text = text_of(page)
    assert "Why the risk is high:" in text
    assert "Victim records flow to the police (NGO to police)." in text
    # The low-risk term is not a reason for a high level.
    assert "Aggregate statistics, with no onward sharing" not in text


def test_it_tables_the_data_sharing_terms(page):
    text = text_of(page)
    for header in ("Data", "Direction", "Purpose", "Legal basis", "Retention", "Surveillance"):
        assert f" {header} " in text
    assert "Victim records NGO to police Referral of identified victims for investigation." in text
    assert "Consent" in text and "1 year" in text


def test_it_lists_public_document_versions_with_their_hashes_only(page):
    assert PUBLIC_HASH in page
    assert HIDDEN_HASH not in page


def test_it_says_whether_the_auditor_is_independent(client, page, public_registry):
    assert "Civilian Oversight Board</a> — independent" in page
    # An auditor that is a party is named, and said not to be independent.
    public_registry.agreement.independent_auditor = public_registry.police
    public_registry.agreement.save()
    derived_facts_refresh(agreement_ids=[public_registry.agreement.pk])  # as its services do
    html = client.get(public_registry.partnership.get_absolute_url()).content.decode()
    assert "Riverside Police</a> — a party to the partnership, so not independent" in html


def test_it_shows_reviews_with_outcome_summary_and_findings(page):
    text = text_of(page)
    assert "Audit by Civilian Oversight Board : completed, concerns" in text
    assert "Consent forms were missing for some referrals." in text
    assert "Consent not recorded for 4 of 20 referrals." in text
    assert "Record consent before every referral." in text
    assert "(open, due 1 Mar 2022)" in text


def test_it_shows_open_and_closed_flags_with_dates_and_reasons(page):
    text = text_of(page)
    assert "Review overdue" in text and "The review was due on 1 May 2022." in text
    assert "No independent auditor" in text
    assert "Closed: An independent auditor is assigned." in text


def test_restricted_records_stay_off_it(client, page, public_registry):
    assert_no_private_value(page, "the partnership page")
    assert "SENTINEL Proposed Charity" not in page
    assert client.get(public_registry.restricted.get_absolute_url()).status_code == 404


def test_it_carries_description_and_open_graph_meta(page):
    assert '<meta property="og:title" content="Harbour Anti-Trafficking Partnership">' in page
    assert '<meta property="og:type" content="article">' in page
    assert (
        '<meta name="description" content="Referrals of trafficking survivors between the '
        'charity and police.">'
    ) in page
    assert (
        '<meta property="og:url" content="http://testserver/partnerships/harbour-anti-trafficking/">'
        in page
    )


def test_it_links_the_feeds_as_alternates(page):
    assert 'rel="alternate" type="application/atom+xml"' in page
    assert reverse("feeds:flags") in page


def test_it_costs_the_same_queries_for_1_and_50_agreements(
    client, public_registry, django_assert_max_num_queries
):
    partnership = public_registry.partnership
    url = partnership.get_absolute_url()
    client.get(url)  # Django's cache of content types, which the withheld values need.
    # 17 with the announced agreements (under embargo, title and date only); 20 with the
    # public feedback (its page, its counts and a closure to new feedback); 23 with the
    # joint activities, the transparency reports and the activities' public history.
    with django_assert_max_num_queries(23) as one:
        assert client.get(url).status_code == 200
    for _ in range(49):
        agreement = factories.AgreementFactory(partnership=partnership)
        factories.DataSharingTermFactory(agreement=agreement)
        factories.AgreementDocumentFactory(agreement=agreement, is_public=True)
        review = factories.ReviewFactory(agreement=agreement)
        factories.FindingFactory(review=review)
        factories.FlagFactory(agreement=agreement)
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('class="agreement"') == 50


def test_it_links_the_same_record_in_the_api_and_its_csv(client, page, public_registry):
    partnership = public_registry.partnership
    assert f'href="/api/v1/partnerships/{partnership.pk}/"' in page
    csv = "/api/v1/agreements/?partnership=harbour-anti-trafficking&amp;format=csv"
    assert f'href="{csv}"' in page
    exported = client.get(csv.replace("&amp;", "&"))
    body = b"".join(exported.streaming_content).decode()
    assert "Harbour information-sharing protocol" in body
    assert_no_private_value(body, "the partnership's CSV")


def test_a_party_member_costs_one_query_per_question_of_access(
    client, public_registry, django_assert_max_num_queries
):
    """Signed in, the page asks once whether its reader sees every record and whether they
    belong to a party, not once per section (32 queries, 39 when each section asked)."""
    from django.contrib.auth import get_user_model

    url = public_registry.partnership.get_absolute_url()
    client.force_login(get_user_model().objects.get(username="sentinel_person"))
    client.get(url)
    with django_assert_max_num_queries(32) as page:
        assert client.get(url).status_code == 200
    oversight_questions = [
        query for query in page.captured_queries if "'oversight_body'" in query["sql"]
    ]
    party_questions = [
        query
        for query in page.captured_queries
        if query["sql"].startswith('SELECT 1 AS "a" FROM "partnerships_partnershipparty"')
    ]
    assert len(oversight_questions) <= 2  # the header's approvals count asks its own
    assert len(party_questions) <= 2  # member, and editor
