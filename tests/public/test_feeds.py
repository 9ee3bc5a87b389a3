"""The Atom feeds: valid Atom (RFC 4287), public records only, narrowed by query string."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from oversight.models import Flag
from tests import factories
from tests.publication.withheld import withhold

from .conftest import assert_no_private_value

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def parse_atom(response) -> ET.Element:
    """The feed, after checking what RFC 4287 requires of a feed and of every entry."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 - our own response
    assert feed.tag == f"{ATOM}feed"

    def one(element, name):
        found = element.findall(f"{ATOM}{name}")
        assert len(found) == 1, f"{element.tag} needs exactly one atom:{name}"
        return found[0]

    def timestamp(element):
        value = one(element, "updated").text
        assert dt.datetime.fromisoformat(value).tzinfo is not None, value

    for name in ("id", "title"):
        assert one(feed, name).text
    timestamp(feed)
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "Partnership Registry"
    ids = []
    for entry in feed.findall(f"{ATOM}entry"):
        ids.append(one(entry, "id").text)
        assert one(entry, "title").text
        timestamp(entry)
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None and link.get("href").startswith("http://testserver/")
    assert len(ids) == len(set(ids)), "entry ids must be unique"
    return feed


def titles(feed) -> list[str]:
    return [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]


@pytest.fixture
def africa_flag(public_registry):
    partnership = factories.partnership_with_parties(
        title="Nairobi Safe Passage", region="africa", country="KE"
    )
    agreement = factories.AgreementFactory(partnership=partnership, title="Safe Passage MOU")
    return factories.FlagFactory(agreement=agreement, kind=Flag.Kind.EXPIRED_BUT_ACTIVE)


class TestFlagFeed:
    url = reverse("feeds:flags")

    def test_it_is_valid_atom_with_the_public_flags_newest_first(self, client, public_registry):
        feed = parse_atom(client.get(self.url))
        assert titles(feed) == [
            "Review overdue: Harbour information-sharing protocol "
            "(Harbour Anti-Trafficking Partnership)",
            "No independent auditor: Harbour information-sharing protocol "
            "(Harbour Anti-Trafficking Partnership)",
        ]
        entry = feed.find(f"{ATOM}entry")
        assert (
            entry.find(f"{ATOM}link")
            .get("href")
            .endswith(
                f"/partnerships/harbour-anti-trafficking/#agreement-{public_registry.agreement.pk}"
            )
        )
        assert entry.find(f"{ATOM}category").get("term") == "Human trafficking"

    def test_it_never_carries_restricted_records(self, client, public_registry):
        assert_no_private_value(client.get(self.url).content.decode(), "the flag feed")

    def test_it_filters_by_region(self, client, africa_flag):
        feed = parse_atom(client.get(self.url, {"region": "africa"}))
        assert titles(feed) == ["Expired but still active: Safe Passage MOU (Nairobi Safe Passage)"]
        assert "region Africa" in feed.find(f"{ATOM}title").text
        assert len(titles(parse_atom(client.get(self.url, {"region": "europe"})))) == 2

    def test_it_filters_by_focus_area(self, client, africa_flag):
        feed = parse_atom(client.get(self.url, {"focus_area": "human-trafficking"}))
        assert len(titles(feed)) == 2
        assert all("Harbour" in title for title in titles(feed))

    def test_an_unknown_focus_area_selects_nothing(self, client, africa_flag):
        assert titles(parse_atom(client.get(self.url, {"focus_area": "no-such-area"}))) == []

    def test_a_bad_region_is_a_400_naming_the_parameter(self, client, public_registry):
        response = client.get(self.url, {"region": "atlantis"})
        assert response.status_code == 400
        assert "<message>region: &#x27;atlantis&#x27; is not a region" in response.content.decode()

    def test_its_query_count_does_not_grow_with_the_flags(
        self, client, public_registry, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(4) as one:
            client.get(self.url)
        for _ in range(30):
            factories.FlagFactory(
                agreement=factories.AgreementFactory(partnership=public_registry.partnership)
            )
        with django_assert_max_num_queries(len(one.captured_queries)):
            assert len(titles(parse_atom(client.get(self.url)))) == 32


class TestAgreementFeed:
    url = reverse("feeds:agreements")

    def test_it_is_valid_atom_with_the_public_agreements_latest_change_first(
        self, client, public_registry
    ):
        older = factories.AgreementFactory(
            partnership=public_registry.partnership, title="Older annex"
        )
        public_registry.agreement.public_summary = "Amended in 2024."
        public_registry.agreement.save()
        feed = parse_atom(client.get(self.url))
        assert titles(feed)[0].startswith("Harbour information-sharing protocol")
        assert any(title.startswith(older.title) for title in titles(feed))
        assert "risk high" in feed.find(f"{ATOM}entry/{ATOM}summary").text

    def test_it_never_carries_restricted_records(self, client, public_registry):
        assert_no_private_value(client.get(self.url).content.decode(), "the agreement feed")

    def test_it_filters_by_region_and_focus_area(self, client, africa_flag):
        assert [
            t.split(" (")[0] for t in titles(parse_atom(client.get(self.url, {"region": "africa"})))
        ] == ["Safe Passage MOU"]
        both = parse_atom(
            client.get(self.url, {"region": "europe", "focus_area": "human-trafficking"})
        )
        assert [t.split(" (")[0] for t in titles(both)] == ["Harbour information-sharing protocol"]
        none = parse_atom(
            client.get(self.url, {"region": "africa", "focus_area": "human-trafficking"})
        )
        assert titles(none) == []


# The publication workflow: published records only, never a withheld value ---------------

UNPUBLISHED = ("draft", "submitted", "embargoed", "retracted")


@pytest.fixture
def unpublished(public_registry):
    """An agreement of each unpublished state in the public partnership, and one in an
    unpublished partnership, each with a flag."""
    agreements = []
    for state in UNPUBLISHED:
        agreement = factories.AgreementFactory(
            partnership=public_registry.partnership,
            title=f"Unpublished {state} MOU",
            publication_status=state,
            retraction_reason="Published in error." if state == "retracted" else "",
        )
        factories.FlagFactory(agreement=agreement, detail=f"Unpublished {state} flag")
        agreements.append(agreement)
    draft_partnership = factories.partnership_with_parties(
        title="Unpublished draft partnership", publication_status="draft"
    )
    agreement = factories.AgreementFactory(partnership=draft_partnership, title="Unpublished child")
    factories.FlagFactory(agreement=agreement, detail="Unpublished child flag")
    return agreements


@pytest.mark.parametrize("name", ["feeds:agreements", "feeds:flags"])
def test_the_feeds_carry_published_records_only(client, unpublished, name):
    feed = client.get(reverse(name)).content.decode()
    assert "Unpublished" not in feed
    # ...and once published, they are there.
    for agreement in unpublished:
        agreement.publication_status = "published"
        agreement.save()
    feed = client.get(reverse(name)).content.decode()
    for state in UNPUBLISHED:
        assert f"Unpublished {state}" in feed
    assert "Unpublished child" not in feed  # its partnership is still a draft


def test_a_withheld_summary_is_never_in_the_agreement_feed(client, public_registry):
    agreement = public_registry.agreement
    agreement.public_summary = "Referrals to Marigold House."
    agreement.save()
    withhold(agreement, "public_summary")
    feed = parse_atom(client.get(reverse("feeds:agreements")))
    entry = next(
        e for e in feed.findall(f"{ATOM}entry") if agreement.title in e.find(f"{ATOM}title").text
    )
    summary = entry.find(f"{ATOM}summary").text
    assert "Marigold" not in summary
    assert "Summary withheld — Survivor safety." in summary


def test_a_partnership_whose_region_is_withheld_is_in_no_region_feed(client, africa_flag):
    withhold(africa_flag.agreement.partnership, "region")
    for name in ("feeds:agreements", "feeds:flags"):
        feed = parse_atom(client.get(reverse(name), {"region": "africa"}))
        assert titles(feed) == [], name
        # The unfiltered feed still carries it.
        assert any("Safe Passage" in t for t in titles(parse_atom(client.get(reverse(name)))))


def test_a_flag_naming_a_withheld_value_says_so_in_the_feed(client, africa_flag):
    africa_flag.detail = "Expired on 1 March 2025 but still marked active."
    africa_flag.save()
    withhold(africa_flag.agreement, "expires_on")
    feed = client.get(reverse("feeds:flags")).content.decode()
    assert "1 March 2025" not in feed
    assert "withheld from the public" in feed


def test_the_sitemap_lists_published_partnerships_only(client, public_registry):
    for state in UNPUBLISHED:
        factories.partnership_with_parties(
            slug=f"unpublished-{state}",
            publication_status=state,
            retraction_reason="Published in error." if state == "retracted" else "",
        )
    sitemap = client.get("/sitemap.xml").content.decode()
    assert public_registry.partnership.get_absolute_url() in sitemap
    assert "unpublished-" not in sitemap
