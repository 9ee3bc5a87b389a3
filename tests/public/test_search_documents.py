"""The search matches each record as one document: its title, summary and parties' names
(for an agreement, its own text and its partnership's) together, so that exclusion and
phrases work across fields, on the API and on the registry page; a withheld value is
never part of the document, so it is never found, nor does excluding it hide a record."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse

from agreements.models import Agreement
from oversight.models import Review
from tests import factories
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db

PAGE = reverse("public:registry")
# In withheld values only: no search may find them, nor be changed by them.
SECRET = "Zanzibarsentinel"
SECRET_AUDITOR = "Quaysidesentinel Auditors"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mumbai(db):
    police = factories.PoliceAgencyFactory(name="Mumbai Police", slug="mumbai-police")
    prerana = factories.NgoFactory(name="Prerana", slug="prerana")
    salaam = factories.NgoFactory(name="Salaam Baalak Trust", slug="salaam-baalak")
    proposed = factories.NgoFactory(
        name="Unconfirmedsentinel Aid", slug="unconfirmed", is_confirmed=False
    )
    secret_auditor = factories.OrganizationFactory(
        kind="auditor", name=SECRET_AUDITOR, slug="quayside", ngo_type=""
    )
    shelters = factories.partnership_with_parties(
        ngo=prerana,
        police=police,
        title="Night shelter referrals",
        slug="night-shelters",
        public_summary="Children found at night are referred to shelters.",
    )
    railway = factories.partnership_with_parties(
        ngo=salaam,
        police=police,
        title="Railway children outreach",
        slug="railway-children",
        public_summary=f"Outreach at the stations. {SECRET} platform.",
    )
    factories.PartnershipPartyFactory(partnership=railway, organization=proposed, role="funder")
    withhold(railway, "public_summary")
    shelters_mou = factories.AgreementFactory(
        partnership=shelters, title="Shelter referral protocol", reference="MP-7"
    )
    railway_mou = factories.AgreementFactory(
        partnership=railway,
        title="Station outreach protocol",
        reference=f"{SECRET}-REF",
        independent_auditor=secret_auditor,
    )
    withhold(railway_mou, "reference")
    withhold(railway_mou, "independent_auditor")
    factories.ReviewFactory(
        agreement=railway_mou,
        reviewer=factories.OversightBodyFactory(name="Civilian Board", slug="civilian-board"),
        kind=Review.Kind.AUDIT,
        completed_on=dt.date(2026, 3, 1),
        public_summary="Outreach records kept well.",
    )
    return {
        "shelters": shelters,
        "railway": railway,
        "shelters_mou": shelters_mou,
        "railway_mou": railway_mou,
    }


def api(client, endpoint: str, search: str) -> list:
    response = client.get(f"/api/v1/{endpoint}/", {"search": search})
    assert response.status_code == 200, response.content[:400]
    return response.json()["results"]


def partnership_slugs(client, search: str) -> list[str]:
    return [row["slug"] for row in api(client, "partnerships", search)]


def agreement_titles(client, search: str) -> list[str]:
    return [row["title"] for row in api(client, "agreements", search)]


def page_titles(client, search: str) -> set[str]:
    """The partnerships the registry page lists for ``search`` (of the two here)."""
    response = client.get(PAGE, {"search": search})
    assert response.status_code == 200, response.content[:400]
    html = response.content.decode()
    return {
        title for title in ("Night shelter referrals", "Railway children outreach") if title in html
    }


# Exclusion across fields -------------------------------------------------------------


def test_excluding_a_party_name_excludes_the_record_whose_other_party_matched(client, mumbai):
    """Before, each party's name was matched alone: "Mumbai Police" found both through the
    police, and -Prerana excluded nothing, as the police's name holds no "Prerana"."""
    assert partnership_slugs(client, '"Mumbai Police"') == ["night-shelters", "railway-children"]
    assert partnership_slugs(client, '"Mumbai Police" -Prerana') == ["railway-children"]
    assert page_titles(client, '"Mumbai Police" -Prerana') == {"Railway children outreach"}


def test_excluding_a_word_of_the_title_excludes_a_record_found_by_its_party(client, mumbai):
    assert partnership_slugs(client, "Prerana -shelter") == []
    assert partnership_slugs(client, "police -railway") == ["night-shelters"]


def test_an_exclusion_alone_keeps_every_other_record(client, mumbai):
    assert partnership_slugs(client, "-Prerana") == ["railway-children"]


def test_agreements_are_searched_with_their_partnerships_document(client, mumbai):
    assert agreement_titles(client, '"Mumbai Police" -Prerana') == ["Station outreach protocol"]
    assert agreement_titles(client, "protocol -Salaam") == ["Shelter referral protocol"]
    assert agreement_titles(client, "MP-7 Prerana") == ["Shelter referral protocol"]


def test_reviews_and_flags_are_searched_with_their_agreements_document(client, mumbai):
    assert len(api(client, "reviews", "outreach -Prerana")) == 1
    assert api(client, "reviews", "outreach -Salaam") == []


# Phrases -------------------------------------------------------------------------------


def test_a_phrase_of_the_title_is_found_and_the_same_words_in_another_order_are_not(client, mumbai):
    assert partnership_slugs(client, '"railway children outreach"') == ["railway-children"]
    assert partnership_slugs(client, '"outreach railway children"') == []
    assert page_titles(client, '"railway children outreach"') == {"Railway children outreach"}


def test_a_phrase_inside_a_party_name_is_found(client, mumbai):
    assert partnership_slugs(client, '"Salaam Baalak"') == ["railway-children"]
    assert partnership_slugs(client, '"Baalak Salaam"') == []
    assert agreement_titles(client, '"Salaam Baalak Trust"') == ["Station outreach protocol"]
    assert page_titles(client, '"Salaam Baalak"') == {"Railway children outreach"}


def test_a_phrase_and_a_word_from_different_fields_match_together(client, mumbai):
    assert partnership_slugs(client, '"night shelter" "Mumbai Police" children') == [
        "night-shelters"
    ]


# Withheld and unpublished values ------------------------------------------------------


@pytest.mark.parametrize(
    "search",
    [SECRET, f'"{SECRET} platform"', "Quaysidesentinel", "Unconfirmedsentinel"],
)
def test_a_withheld_or_unpublished_value_is_never_found(client, mumbai, search):
    for endpoint in ("partnerships", "agreements", "reviews", "flags"):
        assert api(client, endpoint, search) == [], endpoint
    assert page_titles(client, search) == set()


@pytest.mark.parametrize("word", [SECRET, "Quaysidesentinel", "Unconfirmedsentinel"])
def test_excluding_a_withheld_or_unpublished_value_hides_nothing(client, mumbai, word):
    """Were it in the document, ``-word`` would drop the record and so tell the word."""
    assert partnership_slugs(client, f"outreach -{word}") == ["railway-children"]
    assert agreement_titles(client, f"outreach -{word}") == ["Station outreach protocol"]
    assert page_titles(client, f"outreach -{word}") == {"Railway children outreach"}


def test_the_public_text_of_a_record_with_a_withheld_value_is_still_searched(client, mumbai):
    assert partnership_slugs(client, "railway") == ["railway-children"]
    assert agreement_titles(client, "station") == ["Station outreach protocol"]


def test_a_restricted_record_is_not_found(client, mumbai):
    Agreement.objects.filter(pk=mumbai["railway_mou"].pk).update(visibility="restricted")
    assert agreement_titles(client, "station") == []


# Ranking --------------------------------------------------------------------------------


def test_a_title_match_ranks_above_a_party_name_match(client, mumbai):
    factories.partnership_with_parties(
        ngo=factories.NgoFactory(name="Railway Watch", slug="railway-watch"),
        police=factories.PoliceAgencyFactory(name="Pune Police", slug="pune-police"),
        title="Pune information exchange",
        slug="pune-exchange",
    )
    assert partnership_slugs(client, "railway") == ["railway-children", "pune-exchange"]
