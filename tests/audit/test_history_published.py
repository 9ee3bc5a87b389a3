"""Where the audit log is published: the history endpoints of the API, the head of the
chain on the API root and the methodology page, the history on the partnership and
agreement pages. Never a person, never a private value."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from agreements.models import Agreement
from audit.chain import audit_chain_head
from partnerships.models import Membership, Partnership, Visibility
from tests import factories
from tests.publication.revised import approve_changes

pytestmark = pytest.mark.django_db

SENTINEL = "SENTINEL-PRIVATE-9c1e"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sentinel_editor(ngo):
    user = factories.UserFactory(
        username=f"{SENTINEL}-user", email=f"{SENTINEL}@example.org", first_name=SENTINEL
    )
    factories.MembershipFactory(user=user, organization=ngo, role=Membership.Role.EDITOR)
    return user


@pytest.fixture
def changed_records(client, partnership, sentinel_editor, ngo):
    """A public partnership and agreement changed through the staff pages by a person whose
    name is a sentinel, with a sentinel in every private place."""
    agreement = factories.AgreementFactory(partnership=partnership, title="Referral MOU")
    factories.ReviewFactory(agreement=agreement, notes=SENTINEL)
    factories.AgreementDocumentFactory(
        agreement=agreement, is_public=False, uploaded_by=sentinel_editor, sha256="cd" * 32
    )
    factories.AgreementFactory(partnership=partnership, title=SENTINEL, visibility="restricted")
    client.force_login(sentinel_editor)
    url = reverse("partnerships:edit", kwargs={"slug": partnership.slug})
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "focus_areas"}
    data.update(country="GB", established_on="2020-01-01", title="Safe referrals, renamed")
    assert client.post(url, data).status_code == 302
    approve_changes(partnership)  # the edit of a published partnership waits for it
    Agreement.objects.filter(pk=agreement.pk).update(status="terminated")
    client.logout()
    return partnership, agreement


def history_path(kind, pk):
    return reverse(f"api:{kind}-history", kwargs={"pk": pk})


def test_the_partnership_history_endpoint_names_the_organization(client, changed_records):
    partnership, _ = changed_records
    response = client.get(history_path("partnership", partnership.pk))
    assert response.status_code == 200
    body = response.json()
    latest = body["results"][0]
    assert latest["action"] == "changed"
    assert latest["made_by"] == "Safe Harbour Women's Aid"
    assert latest["changes"] == [
        {
            "field": "title",
            "label": "Title",
            "old": partnership.title,
            "new": "Safe referrals, renamed",
        }
    ]
    positions = [entry["position"] for entry in body["results"]]
    assert positions == sorted(positions, reverse=True)
    assert response.headers["X-Data-Licence"]


def test_the_agreement_history_endpoint_shows_the_status_change(client, changed_records):
    _, agreement = changed_records
    body = client.get(history_path("agreement", agreement.pk)).json()
    latest = body["results"][0]
    assert latest["record"] == "Agreement"
    assert latest["changes"] == [
        {"field": "status", "label": "Status", "old": "Active", "new": "Terminated"}
    ]


def test_no_history_endpoint_leaks_a_person_or_a_private_value(client, changed_records):
    partnership, agreement = changed_records
    for path in (
        history_path("partnership", partnership.pk),
        history_path("agreement", agreement.pk),
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert SENTINEL not in response.content.decode()
        assert "cdcdcdcd" not in response.content.decode()


def test_restricted_and_unknown_records_have_no_public_history(client, ngo, police):
    hidden = factories.partnership_with_parties(
        ngo=ngo, police=police, visibility=Visibility.RESTRICTED
    )
    hidden_agreement = factories.AgreementFactory(partnership=hidden)
    assert client.get(history_path("partnership", hidden.pk)).status_code == 404
    assert client.get(history_path("agreement", hidden_agreement.pk)).status_code == 404
    assert client.get(history_path("agreement", 999_999)).status_code == 404
    assert client.get("/api/v1/partnerships/not-a-number/history/").status_code == 404


def test_a_bad_page_size_is_a_400_naming_it(client, partnership):
    response = client.get(history_path("partnership", partnership.pk), {"page_size": "0"})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_the_history_endpoint_pages_and_costs_the_same_for_many_changes(
    client, partnership, django_assert_max_num_queries
):
    path = history_path("partnership", partnership.pk)
    client.get(path)
    with django_assert_max_num_queries(8):
        assert client.get(path).json()["count"] == 3  # created, with its two parties
    for n in range(60):
        Partnership.objects.filter(pk=partnership.pk).update(title=f"Title {n}")
    with django_assert_max_num_queries(8):
        body = client.get(path, {"page_size": 50}).json()
    assert body["count"] == 63
    assert len(body["results"]) == 50
    assert body["next"] is not None


def test_the_api_root_publishes_the_head_of_the_chain(client, partnership):
    head = audit_chain_head()
    document = client.get("/api/v1/").json()
    assert document["audit_log"]["head_hash"] == head.hash
    assert document["audit_log"]["head_position"] == head.seq
    assert document["audit_log"]["head_recorded_at"] is not None


def test_the_methodology_page_publishes_the_head_of_the_chain(client, partnership):
    head = audit_chain_head()
    page = client.get(reverse("public:methodology")).content.decode()
    assert head.hash in page
    assert 'id="audit-log"' in page


def test_the_partnership_page_shows_its_public_history(client, changed_records):
    partnership, _ = changed_records
    page = client.get(partnership.get_absolute_url()).content.decode()
    assert "Change history" in page
    assert "Safe referrals, renamed" in page
    assert "by Safe Harbour Women&#x27;s Aid" in page
    assert SENTINEL not in page
    assert "Full history" not in page


def test_the_agreement_page_shows_its_public_history(client, changed_records):
    _, agreement = changed_records
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert "Change history" in page
    assert "Terminated" in page
    assert SENTINEL not in page


def test_a_board_member_is_offered_the_full_history(client, changed_records, board_member):
    partnership, _ = changed_records
    client.force_login(board_member)
    page = client.get(partnership.get_absolute_url()).content.decode()
    full = reverse(
        "oversight:record_history", kwargs={"model": "partnership", "pk": partnership.pk}
    )
    assert f'href="{full}"' in page


def test_a_restricted_partnership_page_shows_no_public_history(client, ngo, police, ngo_editor):
    hidden = factories.partnership_with_parties(
        ngo=ngo, police=police, visibility=Visibility.RESTRICTED, title="Quiet protocol"
    )
    client.force_login(ngo_editor)
    page = client.get(hidden.get_absolute_url()).content.decode()
    assert "published once the record is public" in page


def test_the_schema_documents_the_history_endpoints(client):
    paths = client.get(reverse("api-schema")).content.decode()
    assert "/api/v1/partnerships/{id}/history/" in paths
    assert "/api/v1/agreements/{id}/history/" in paths
