"""The organization page: its partnerships and roles, what it audits and reviews."""

import pytest
from django.urls import reverse

from tests import factories

from .conftest import assert_no_private_value

pytestmark = pytest.mark.django_db


def url(slug: str) -> str:
    return reverse("public:organization", kwargs={"slug": slug})


def test_it_lists_its_public_partnerships_with_its_role(client, public_registry):
    html = client.get(url("safe-harbour")).content.decode()
    assert "Harbour Anti-Trafficking Partnership" in html
    assert "Lead NGO" in html
    assert "?organization=safe-harbour" in html  # the same list in the registry
    assert_no_private_value(html, "the organization page")


def test_a_member_of_a_party_also_sees_the_restricted_ones(client, public_registry):
    member = factories.MembershipFactory(organization=public_registry.ngo).user
    client.force_login(member)
    assert "SENTINEL Restricted Pilot" in client.get(url("safe-harbour")).content.decode()


def test_it_lists_the_agreements_it_audits_and_the_reviews_it_carried_out(client, public_registry):
    html = client.get(url("civilian-board")).content.decode()
    assert "Agreements it audits" in html
    assert "Harbour information-sharing protocol" in html
    assert "Audit of" in html and "concerns" in html
    assert_no_private_value(html, "the auditor's page")


def test_a_proposed_organization_has_no_page_yet(client, public_registry):
    assert client.get(url("sentinel-proposed")).status_code == 404
    assert client.get(url("no-such-organization")).status_code == 404


def test_it_costs_the_same_queries_for_1_and_50_partnerships(
    client, public_registry, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10) as one:
        client.get(url("safe-harbour"))
    for _ in range(49):
        factories.partnership_with_parties(ngo=public_registry.ngo).focus_areas.add(
            factories.FocusAreaFactory(slug="child-protection")
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(url("safe-harbour")).content.decode()
    assert html.count("<td>Lead NGO</td>") == 50  # the restricted one is not listed
