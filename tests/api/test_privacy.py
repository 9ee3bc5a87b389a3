"""No private field reaches any public surface of the API: a sentinel string is planted in
every private field, and every list, detail, export, the schema, the docs and the stats are
searched for it."""

import pytest

from oversight.models import Flag
from partnerships.models import Membership, Visibility
from tests import factories

pytestmark = pytest.mark.django_db

SENTINEL = "ZZPRIVATE7431"


@pytest.fixture
def secrets(registry):
    """Sentinels in everything private, beside the public registry."""
    # A restricted partnership and everything under it.
    hidden = factories.partnership_with_parties(
        title=f"{SENTINEL} restricted partnership",
        slug="zzprivate-partnership",
        visibility=Visibility.RESTRICTED,
        public_summary=SENTINEL,
        objectives=SENTINEL,
    )
    hidden_agreement = factories.AgreementFactory(
        partnership=hidden, title=f"{SENTINEL} agreement", reference=SENTINEL
    )
    factories.DataSharingTermFactory(agreement=hidden_agreement, purpose=SENTINEL)
    factories.FlagFactory(agreement=hidden_agreement, detail=SENTINEL)
    factories.ReviewFactory(agreement=hidden_agreement, public_summary=SENTINEL)
    # A restricted agreement in a public partnership.
    restricted = factories.AgreementFactory(
        partnership=registry.safe_homes,
        title=f"{SENTINEL} restricted agreement",
        visibility=Visibility.RESTRICTED,
        public_summary=SENTINEL,
    )
    factories.DataSharingTermFactory(agreement=restricted, access_controls=SENTINEL)
    factories.FlagFactory(agreement=restricted, kind=Flag.Kind.EXPIRED_BUT_ACTIVE, detail=SENTINEL)
    # Private notes of a review of a public agreement.
    review = factories.ReviewFactory(agreement=registry.safe_homes_mou, notes=SENTINEL)
    factories.FindingFactory(review=review)
    # A non-public document version of a public agreement, uploaded by a person.
    uploader = factories.UserFactory(
        username="zzprivate7431-uploader",
        first_name=SENTINEL,
        last_name=SENTINEL,
        email=f"{SENTINEL.lower()}@example.org",
    )
    factories.AgreementDocumentFactory(
        agreement=registry.safe_homes_mou,
        version=7,
        sha256="f" * 64,
        is_public=False,
        uploaded_by=uploader,
    )
    factories.AgreementDocumentFactory(
        agreement=registry.safe_homes_mou, version=1, is_public=True, uploaded_by=uploader
    )
    # Members of a public organization; a proposed (unconfirmed) organization.
    factories.MembershipFactory(
        organization=registry.ngo, user=uploader, role=Membership.Role.EDITOR
    )
    proposed = factories.NgoFactory(
        name=f"{SENTINEL} proposed",
        slug="zzprivate-proposed",
        is_confirmed=False,
        proposed_by=uploader,
    )
    factories.PartnershipPartyFactory(
        partnership=registry.safe_homes, organization=proposed, role="partner_ngo"
    )
    return SENTINEL


def walk(client, path, seen):
    """Every URL of the API reachable from ``path``, fetched once."""
    if path in seen or not path.startswith("http://testserver/api/"):
        return
    response = client.get(path)
    seen[path] = response
    if response.get("Content-Type") != "application/json" or response.status_code != 200:
        return
    stack = [response.json()]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and value.startswith("http://testserver/api/"):
            walk(client, value, seen)


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_the_sentinel_never_appears_on_any_public_surface(client, secrets):
    seen = {}
    walk(client, "http://testserver/api/v1/", seen)
    lists = ["organizations", "partnerships", "agreements", "reviews", "flags"]
    extra = [
        *(f"/api/v1/{name}/?format={fmt}" for name in lists for fmt in ("csv", "json")),
        *(f"/api/v1/{name}/?search={SENTINEL}" for name in lists),
        *(f"/api/v1/{name}/?page_size=500" for name in lists),
        "/api/v1/stats/",
        "/api/schema/",
        "/api/schema/?format=json",
        "/api/docs/",
    ]
    for path in extra:
        seen[path] = client.get(path)
    details = [path for path in seen if path.rstrip("/").split("/")[-1].isdigit()]
    assert len(seen) > 30 and len(details) > 10  # the walk reached lists and details
    for path, response in seen.items():
        assert response.status_code == 200, path
        text = body(response)
        assert secrets not in text, path
        assert secrets.lower() not in text.lower(), path
        assert "f" * 64 not in text, path  # the non-public document's hash
        for field in ("notes", "uploaded_by", "email", "proposed_by", "visibility"):
            assert f'"{field}"' not in text, (path, field)


def test_search_for_a_private_word_finds_nothing(client, secrets):
    for name in ["organizations", "partnerships", "agreements", "reviews", "flags"]:
        assert client.get(f"/api/v1/{name}/?search={SENTINEL}").json()["count"] == 0


def test_stats_do_not_count_restricted_records(client, registry, secrets):
    figures = client.get("/api/v1/stats/").json()
    assert figures["partnerships"]["total"] == 4
    assert figures["agreements"]["total"] == 3
    assert figures["flags"]["open"] == 1
