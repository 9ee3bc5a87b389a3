"""The list pages cost the same number of queries for 1 row as for 20."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships.models import PartnershipParty
from tests import factories

pytestmark = pytest.mark.django_db


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def add_agreements(partnership, n: int):
    for _ in range(n):
        agreement = factories.AgreementFactory(partnership=partnership)
        factories.DataSharingTermFactory(agreement=agreement)
        factories.DataSharingTermFactory(agreement=agreement, data_category="case_records")
        factories.AgreementDocumentFactory(agreement=agreement, is_public=True)
        review = factories.ReviewFactory(agreement=agreement)
        factories.FindingFactory(review=review)
        factories.FlagFactory(agreement=agreement)


def add_partnerships(ngo, n: int):
    for _ in range(n):
        partnership = factories.partnership_with_parties(ngo=ngo)
        add_agreements(partnership, 1)


@pytest.mark.parametrize("persona", ["anonymous", "ngo_editor", "board_member"])
def test_partnership_page_with_1_and_20_agreements(request, client, partnership, persona):
    user = request.getfixturevalue(persona)
    if persona != "anonymous":
        client.force_login(user)
    url = partnership.get_absolute_url()
    add_agreements(partnership, 1)
    client.get(url)  # Django's cache of content types, which the withheld values need.
    one = queries_for(client, url)
    add_agreements(partnership, 19)
    twenty = queries_for(client, url)
    print(f"queries: {one} for 1 row, {twenty} for 20")
    assert one == twenty, (one, twenty)
    # 20, the public change history: its events (one query over the audit tables) and
    # the organizations it names and the values withheld in it, and the header's count of
    # approvals waiting (the user's organizations, then the count); 30 with the public
    # feedback (its page, counts and closure) and whether the user may answer or moderate it;
    # 37 with the incidents, joint activities and transparency reports sections (each its
    # rows, and for a member which of them they may see and whether they may record an
    # activity or request a report).
    assert twenty <= 37


def test_agreement_page_with_1_and_20_terms(client, ngo_editor, partnership):
    agreement = factories.AgreementFactory(partnership=partnership)
    client.force_login(ngo_editor)
    url = agreement.get_absolute_url()
    factories.DataSharingTermFactory(agreement=agreement)
    factories.AgreementDocumentFactory(agreement=agreement)
    one = queries_for(client, url)
    for _ in range(19):
        factories.DataSharingTermFactory(agreement=agreement)
        factories.AgreementDocumentFactory(agreement=agreement)
    twenty = queries_for(client, url)
    print(f"queries: {one} for 1 row, {twenty} for 20")
    assert one == twenty, (one, twenty)


def test_dashboard_with_1_and_20_partnerships(
    client, ngo_editor, ngo, django_assert_max_num_queries
):
    client.force_login(ngo_editor)
    url = reverse("accounts:dashboard")
    add_partnerships(ngo, 1)
    one = queries_for(client, url)
    add_partnerships(ngo, 19)
    twenty = queries_for(client, url)
    print(f"queries: {one} for 1 row, {twenty} for 20")
    assert one == twenty, (one, twenty)
    with django_assert_max_num_queries(10):
        client.get(url)


def test_edit_page_with_1_and_20_parties(client, ngo_editor, partnership):
    client.force_login(ngo_editor)
    url = reverse("partnerships:edit", kwargs={"slug": partnership.slug})
    one = queries_for(client, url)
    for _ in range(19):
        factories.PartnershipPartyFactory(
            partnership=partnership, role=PartnershipParty.Role.FUNDER
        )
    twenty = queries_for(client, url)
    print(f"queries: {one} for 1 row, {twenty} for 20")
    assert one == twenty, (one, twenty)
