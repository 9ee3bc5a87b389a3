"""No private field reaches any public surface of the API: a sentinel string is planted in
every private field, and every list, detail, export, the schema, the docs and the stats are
searched for it. The same for the publication workflow: a withheld value, and every field
of a draft, a submitted, an embargoed and a retracted record, are absent from every API
endpoint and format, the history endpoints, the feeds, the sitemap, the stats, the schema
and the search; and there again once the withholding is lifted or the record published."""

import datetime as dt

import pytest

from agreements.models import Agreement, AgreementDocument, DataSharingTerm
from oversight.models import Flag
from partnerships.models import Membership, Partnership, Visibility
from publication.models import Withholding
from publication.services import revision_store
from tests import factories
from tests.publication.withheld import withhold

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
    lists = ["organizations", "partnerships", "agreements", "reviews", "flags", "incidents"]
    extra = [
        *(f"/api/v1/{name}/?format={fmt}" for name in lists for fmt in ("csv", "json")),
        *(f"/api/v1/{name}/?search={SENTINEL}" for name in lists),
        *(f"/api/v1/{name}/?page_size=500" for name in lists),
        "/api/v1/stats/",
        "/map/",
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


# The publication workflow ------------------------------------------------------------------
# A unique sentinel in the values a withholding keeps from the public, and in every field of
# a draft, a submitted, an embargoed and a retracted record (and of what hangs from them).

WITHHELD = "ZZWITHHELD5102"
UNPUBLISHED = {
    "draft": "ZZDRAFT5103",
    "submitted": "ZZSUBMITTED5104",
    "embargoed": "ZZEMBARGOED5105",
    "retracted": "ZZRETRACTED5106",
}
REVISED = "ZZREVISED5107"  # changes of a published record waiting for approval
EMBARGOED_HASH = "e" * 64  # a document version under embargo
WITHHELD_VERSION = 9  # a document version whose text is withheld


def unpublished_state(state: str) -> dict:
    extra = {"publication_status": state}
    if state == "retracted":
        extra |= {"retraction_reason": "Published in error.", "retracted_on": dt.date(2026, 1, 5)}
    if state == "embargoed":
        extra |= {"embargoed_until": dt.date(2099, 1, 1), "embargo_announced": True}
    return extra


@pytest.fixture
def workflow_secrets(registry):
    """Sentinels beside the public registry: what each must never reach."""
    # Withheld values of published records, changed after publication (so that the public
    # history would show them), with a flag whose text names a withheld date.
    partnership = registry.trafficking_watch
    mou = registry.trafficking_mou
    Partnership.objects.filter(pk=partnership.pk).update(
        public_summary=f"{WITHHELD} summary", objectives=f"{WITHHELD} objectives"
    )
    Agreement.objects.filter(pk=mou.pk).update(
        reference=f"{WITHHELD}-REF", public_summary=f"{WITHHELD} agreement summary"
    )
    term = factories.DataSharingTermFactory(agreement=mou, purpose=f"{WITHHELD} purpose")
    DataSharingTerm.objects.filter(pk=term.pk).update(
        legal_instrument=f"{WITHHELD} act", access_controls=f"{WITHHELD} controls"
    )
    review = factories.ReviewFactory(
        agreement=mou,
        public_summary=f"{WITHHELD} review",
        conflict_of_interest="declared",
        declared_ties=f"{WITHHELD} ties",
    )
    document = factories.AgreementDocumentFactory(
        agreement=mou, version=WITHHELD_VERSION, is_public=True
    )
    flag = factories.FlagFactory(
        agreement=mou,
        kind=Flag.Kind.EXPIRED_BUT_ACTIVE,
        detail=f"Expired on {WITHHELD} but still marked active.",
    )
    for record, field in [
        (partnership, "public_summary"),
        (partnership, "objectives"),
        (mou, "reference"),
        (mou, "public_summary"),
        (mou, "expires_on"),
        (term, "purpose"),
        (term, "legal_instrument"),
        (term, "access_controls"),
        (review, "public_summary"),
        (review, "declared_ties"),
        (document, "file"),
    ]:
        withhold(record, field)
    for record in (partnership, mou):
        revision_store(
            record=record, actor=None, form_data={"title": REVISED, "public_summary": REVISED}
        )
    # A document version of a public agreement under embargo.
    factories.AgreementDocumentFactory(
        agreement=registry.safe_homes_mou,
        version=5,
        sha256=EMBARGOED_HASH,
        is_public=True,
        embargoed_until=dt.date(2099, 1, 1),
    )
    # Records in each unpublished state: a partnership with an agreement, a term, a flag
    # and a review; and an agreement of that state in a published partnership.
    unpublished = {}
    for state, sentinel in UNPUBLISHED.items():
        hidden = factories.partnership_with_parties(
            title=f"{sentinel} partnership",
            slug=f"{sentinel.lower()}-partnership",
            public_summary=sentinel,
            objectives=sentinel,
            roles_and_responsibilities=sentinel,
            **unpublished_state(state),
        )
        child = factories.AgreementFactory(
            partnership=hidden, title=f"{sentinel} child", reference=sentinel
        )
        factories.DataSharingTermFactory(agreement=child, purpose=sentinel)
        factories.FlagFactory(agreement=child, detail=sentinel)
        factories.ReviewFactory(agreement=child, public_summary=sentinel)
        agreement = factories.AgreementFactory(
            partnership=registry.safe_homes,
            title=f"{sentinel} agreement",
            reference=sentinel,
            public_summary=sentinel,
            **unpublished_state(state),
        )
        factories.DataSharingTermFactory(agreement=agreement, access_controls=sentinel)
        factories.FlagFactory(
            agreement=agreement, kind=Flag.Kind.NO_INDEPENDENT_AUDITOR, detail=sentinel
        )
        factories.ReviewFactory(agreement=agreement, public_summary=sentinel)
        unpublished[state] = (hidden, agreement)
    return {"flag": flag, "document": document, "review": review, "unpublished": unpublished}


def public_surfaces(client) -> dict:
    """Every public surface of the API and around it: {path: response}."""
    seen = {}
    walk(client, "http://testserver/api/v1/", seen)
    lists = ["organizations", "partnerships", "agreements", "reviews", "flags"]
    sentinels = [WITHHELD, REVISED, *UNPUBLISHED.values()]
    extra = [
        *(f"/api/v1/{name}/?format={fmt}" for name in lists for fmt in ("csv", "json")),
        *(f"/api/v1/{name}/?page_size=500" for name in lists),
        *(f"/api/v1/{name}/?search={sentinel}" for name in lists for sentinel in sentinels),
        *(
            f"/api/v1/{kind}/{pk}/history/"
            for kind, model in (("partnerships", Partnership), ("agreements", Agreement))
            for pk in model.objects.public().values_list("pk", flat=True)
        ),
        "/feeds/agreements/",
        "/feeds/flags/",
        "/feeds/incidents/",
        "/feeds/agreements/?region=africa",
        "/sitemap.xml",
        "/api/v1/stats/",
        "/map/",
        "/api/schema/",
        "/api/schema/?format=json",
        "/api/docs/",
    ]
    for path in extra:
        seen[path] = client.get(path)
    return seen


def test_no_withheld_or_unpublished_value_reaches_any_public_surface(client, workflow_secrets):
    seen = public_surfaces(client)
    histories = [path for path in seen if path.endswith("/history/")]
    assert len(histories) >= 7 and len(seen) > 60
    download = f"/documents/{WITHHELD_VERSION}/"
    for path, response in seen.items():
        assert response.status_code == 200, path
        text = body(response)
        for sentinel in (WITHHELD, REVISED, *UNPUBLISHED.values()):
            assert sentinel.lower() not in text.lower(), (path, sentinel)
        assert EMBARGOED_HASH not in text, path
        assert download not in text, path
    # The withheld values' history says "withheld" where the values changed.
    history = body(
        seen[f"/api/v1/partnerships/{workflow_secrets['flag'].agreement.partnership_id}/history/"]
    )
    assert '"withheld"' in history


def test_a_search_for_a_withheld_or_unpublished_word_finds_nothing(client, workflow_secrets):
    for name in ["organizations", "partnerships", "agreements", "reviews", "flags"]:
        for sentinel in (WITHHELD, REVISED, *UNPUBLISHED.values()):
            response = client.get(f"/api/v1/{name}/?search={sentinel}")
            assert response.json()["count"] == 0, (name, sentinel)


def test_review_search_skips_a_withheld_summary(client, workflow_secrets):
    assert client.get(f"/api/v1/reviews/?search={WITHHELD}").json()["count"] == 0


def test_the_values_are_public_again_once_released_or_published(client, workflow_secrets):
    Withholding.objects.all().delete()
    AgreementDocument.objects.filter(sha256=EMBARGOED_HASH).update(embargoed_until=None)
    for state, (partnership, agreement) in workflow_secrets["unpublished"].items():
        if state == "retracted":
            continue  # a retraction stands until the record is published anew
        for record in (partnership, agreement):
            type(record).objects.filter(pk=record.pk).update(
                publication_status="published", embargoed_until=None
            )
    mou = workflow_secrets["flag"].agreement
    detail = client.get(f"/api/v1/agreements/{mou.pk}/").content.decode()
    assert f"{WITHHELD}-REF" in detail and f"{WITHHELD} purpose" in detail
    assert f"/documents/{WITHHELD_VERSION}/" in detail
    assert WITHHELD in client.get(f"/api/v1/flags/{workflow_secrets['flag'].pk}/").json()["detail"]
    review = client.get(f"/api/v1/reviews/{workflow_secrets['review'].pk}/").json()
    assert review["declared_ties"] == f"{WITHHELD} ties"
    assert client.get(f"/api/v1/partnerships/?search={WITHHELD}").json()["count"] == 1
    assert EMBARGOED_HASH in client.get("/api/v1/agreements/?format=csv").getvalue().decode()
    feed = client.get("/feeds/agreements/").content.decode()
    assert f"{WITHHELD} agreement summary" in feed
    for state in ("draft", "submitted", "embargoed"):
        sentinel = UNPUBLISHED[state]
        assert client.get(f"/api/v1/partnerships/?search={sentinel}").json()["count"] == 1
        assert client.get(f"/api/v1/agreements/?search={sentinel}").json()["count"] == 2
        assert sentinel in feed
        assert f"{sentinel.lower()}-partnership" in client.get("/sitemap.xml").content.decode()
    stats = client.get("/api/v1/stats/").json()
    assert stats["partnerships"]["total"] == 4 + 3
