"""The public API's lists and details: shapes, links, filters, search, ordering, pages."""

import pytest

from agreements.models import Agreement
from oversight.models import Flag
from partnerships.models import Partnership
from tests import factories

pytestmark = pytest.mark.django_db

ENDPOINTS = ["organizations", "partnerships", "agreements", "reviews", "flags"]


@pytest.fixture
def reviewed(registry):
    review = factories.ReviewFactory(
        agreement=registry.trafficking_mou,
        reviewer=registry.auditor,
        kind="audit",
        public_summary="Audit of the coalition's data flows.",
    )
    factories.FindingFactory(review=review, summary="Retention is not stated.")
    return review


def ids(data) -> list[int]:
    return [item["id"] for item in data["results"]]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_object_has_a_stable_id_and_an_absolute_url_that_leads_back_to_it(
    registry, reviewed, get, endpoint
):
    listing = get(f"/api/v1/{endpoint}/")
    assert listing["count"] == len(listing["results"]) > 0
    for item in listing["results"]:
        assert isinstance(item["id"], int)
        assert item["url"] == f"http://testserver/api/v1/{endpoint}/{item['id']}/"
        assert get(item["url"]) == item


def test_a_journalist_follows_every_link_from_an_agreement(registry, get):
    agreement = get(f"/api/v1/agreements/{registry.safe_homes_mou.pk}/")
    partnership = get(agreement["partnership"]["url"])
    assert partnership["slug"] == "safe-homes"
    assert agreement["partnership"]["name"] == partnership["title"]
    assert [a["id"] for a in partnership["agreements"]] == [registry.safe_homes_mou.pk]
    for party in partnership["parties"]:
        organization = get(party["organization"]["url"])
        assert organization["name"] == party["organization"]["name"]
        listed = get(organization["partnerships"])
        assert "safe-homes" in [p["slug"] for p in listed["results"]]
    for area in partnership["focus_areas"]:
        assert ids(get(area["url"])) == [registry.safe_homes.pk]


def test_partnership_carries_parties_focus_areas_risk_open_flags_and_next_review(registry, get):
    data = get(f"/api/v1/partnerships/{registry.safe_homes.pk}/")
    assert [(p["organization"]["slug"], p["role"]) for p in data["parties"]] == [
        ("safe-harbour", "lead_ngo"),
        ("riverside-police", "police_agency"),
    ]
    assert [f["slug"] for f in data["focus_areas"]] == ["domestic-violence"]
    assert data["risk_level"] == "high"
    assert data["open_flags"] == ["review_overdue"]
    assert data["next_review_due"] == registry.safe_homes_mou.next_review_due.isoformat()
    assert data["html_url"] == "http://testserver/partnerships/safe-homes/"


def test_agreement_carries_terms_auditor_independence_and_public_documents(registry, get):
    factories.AgreementDocumentFactory(
        agreement=registry.trafficking_mou, version=1, is_public=True
    )
    factories.AgreementDocumentFactory(
        agreement=registry.trafficking_mou, version=2, is_public=False
    )
    data = get(f"/api/v1/agreements/{registry.trafficking_mou.pk}/")
    assert data["independent_auditor"]["slug"] == "civilian-board"
    assert data["has_independent_auditor"] is True
    assert data["status"] == "signed"
    assert data["risk_level"] == "low"
    assert data["review_overdue"] is False
    [term] = data["data_sharing_terms"]
    assert term["data_category"] == "aggregate_statistics"
    assert term["risk_level"] == "low"
    assert [d["version"] for d in data["documents"]] == [1]
    assert data["documents"][0]["url"].endswith(
        f"/agreements/{registry.trafficking_mou.pk}/documents/1/"
    )

    youth = get(f"/api/v1/agreements/{registry.youth_mou.pk}/")
    assert youth["independent_auditor"] is not None
    assert youth["has_independent_auditor"] is False  # the auditor is a party


def test_review_carries_summary_findings_and_independence(registry, reviewed, get):
    data = get(f"/api/v1/reviews/{reviewed.pk}/")
    assert data["public_summary"] == "Audit of the coalition's data flows."
    assert [f["summary"] for f in data["findings"]] == ["Retention is not stated."]
    assert data["is_independent"] is True
    assert data["reviewer"]["slug"] == "civilian-board"


def test_flags_open_and_closed(registry, get):
    assert len(get("/api/v1/flags/")["results"]) == 2
    open_flags = get("/api/v1/flags/?open=true")["results"]
    assert [(f["kind"], f["is_open"]) for f in open_flags] == [("review_overdue", True)]
    [closed] = get("/api/v1/flags/?open=false")["results"]
    assert closed["resolution"] == "A review was completed."
    assert closed["agreement"]["id"] == registry.trafficking_mou.pk


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_restricted_records_are_404(registry, get, endpoint):
    hidden_ids = {
        "organizations": factories.NgoFactory(is_confirmed=False).pk,
        "partnerships": registry.hidden.pk,
        "agreements": registry.quiet_restricted.pk,
        "reviews": factories.ReviewFactory(agreement=registry.hidden_mou).pk,
        "flags": Flag.objects.get(agreement=registry.hidden_mou).pk,
    }
    response = get(f"/api/v1/{endpoint}/{hidden_ids[endpoint]}/", raw=True)
    assert response.status_code == 404
    assert get(f"/api/v1/{endpoint}/999999999/", raw=True).status_code == 404


def test_the_journalists_question(registry, get):
    """Which active agreements in Europe share personal data with the police and have no
    independent auditor? And all of them as CSV."""
    query = (
        "status=active&region=europe&data_category=personal_identifiable"
        "&direction=ngo_to_police&direction=bidirectional&has_independent_auditor=false"
    )
    data = get(f"/api/v1/agreements/?{query}")
    assert ids(data) == [registry.safe_homes_mou.pk]
    towards_the_ngo = query.replace("ngo_to_police", "police_to_ngo")
    assert (
        ids(get(f"/api/v1/agreements/?{towards_the_ngo}".replace("&direction=bidirectional", "")))
        == []
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=active", ["safe_homes_mou"]),
        ("status=signed&status=expired", ["trafficking_mou", "youth_mou"]),
        ("region=africa", ["trafficking_mou"]),
        ("country=IN", ["youth_mou"]),
        ("focus_area=domestic-violence", ["safe_homes_mou"]),
        ("organization=civilian-board", ["trafficking_mou"]),
        ("organization=safe-harbour", ["safe_homes_mou"]),
        ("partnership=trafficking-watch", ["trafficking_mou"]),
        ("partnership=quiet-europe", []),  # its only agreement is restricted
        ("partnership=hidden", []),
        ("partnership=no-such-partnership", []),
        ("kind=mou", ["safe_homes_mou", "trafficking_mou", "youth_mou"]),
        ("kind=amendment", []),
        ("risk_level=high", ["safe_homes_mou"]),
        ("risk_level=medium&risk_level=low", ["trafficking_mou", "youth_mou"]),
        ("data_category=case_records", ["youth_mou"]),
        ("surveillance_practice=facial_recognition", []),
        ("legal_basis=consent", ["safe_homes_mou"]),
        ("data_category=personal_identifiable&legal_basis=public_task", []),
        ("has_independent_auditor=true", ["trafficking_mou"]),
        ("has_independent_auditor=false", ["safe_homes_mou", "youth_mou"]),
        ("review_overdue=true", ["safe_homes_mou"]),
        ("review_overdue=false", ["trafficking_mou", "youth_mou"]),
        ("flag=review_overdue", ["safe_homes_mou"]),
        ("flag=high_risk_without_dpia", []),
        ("expires_after=2026-07-01", ["safe_homes_mou"]),
        ("expires_before=2026-06-30", ["trafficking_mou", "youth_mou"]),
        ("expires_after=2018-01-02&expires_before=2027-01-01", ["trafficking_mou"]),
        ("search=coalition", ["trafficking_mou"]),
        ("search=riverside", ["safe_homes_mou"]),  # a party's name
        ("search=civilian", ["trafficking_mou"]),  # the auditor's name
    ],
)
def test_agreement_filters_find_the_known_answer(registry, get, query, expected):
    wanted = sorted(getattr(registry, name).pk for name in expected)
    assert sorted(ids(get(f"/api/v1/agreements/?{query}&page_size=500"))) == wanted


def test_partnership_filters_through_the_api(registry, get):
    data = get("/api/v1/partnerships/?region=europe&risk_level=high&flag=review_overdue")
    assert ids(data) == [registry.safe_homes.pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=audit", ["reviewed"]),
        ("kind=dpia", []),
        ("organization=civilian-board", ["reviewed"]),
        ("region=africa&status=completed", ["reviewed"]),
        ("search=coalition", ["reviewed"]),
    ],
)
def test_review_filters(registry, reviewed, get, query, expected):
    assert ids(get(f"/api/v1/reviews/?{query}")) == ([reviewed.pk] if expected else [])


@pytest.mark.parametrize(
    ("endpoint", "query", "parameter"),
    [
        ("partnerships", "region=atlantis", "region"),
        ("partnerships", "established_after=2020-02-30", "established_after"),
        ("partnerships", "review_overdue=perhaps", "review_overdue"),
        ("agreements", "status=lost", "status"),
        ("agreements", "expires_before=soon", "expires_before"),
        ("agreements", "has_independent_auditor=2", "has_independent_auditor"),
        ("agreements", "updated_since=2025-99-01", "updated_since"),
        ("flags", "updated_since=0581-07-12T00:17:17%2B17:29", "updated_since"),
        ("agreements", "ordering=notes", "ordering"),
        ("organizations", "kind=person", "kind"),
        ("reviews", "outcome=great", "outcome"),
        ("flags", "open=maybe", "open"),
        ("flags", "kind=scandal", "kind"),
        ("flags", "page_size=501", "page_size"),
        ("flags", "page_size=0", "page_size"),
        ("flags", "page_size=ten", "page_size"),
        ("flags", "page=-1", "page"),
        ("flags", "page=first", "page"),
        ("agreements", "format=xml", "format"),
    ],
)
def test_a_bad_value_is_a_400_whose_json_names_the_parameter(
    registry, get, endpoint, query, parameter
):
    response = get(f"/api/v1/{endpoint}/?{query}", raw=True)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == [parameter]


@pytest.mark.parametrize(
    ("endpoint", "query"),
    [
        ("partnerships", "organization=nobody"),
        ("partnerships", "focus_area=nothing"),
        ("agreements", "organization=nobody"),
        ("agreements", "focus_area=nothing"),
        ("organizations", "focus_area=nothing"),
        ("reviews", "organization=nobody"),
        ("flags", "organization=nobody"),
        ("flags", "focus_area=nothing"),
    ],
)
def test_an_unknown_slug_matches_nothing(registry, reviewed, get, endpoint, query):
    assert get(f"/api/v1/{endpoint}/?{query}")["count"] == 0


def test_pages_are_bounded_and_linked(registry, get):
    for n in range(6):
        factories.AgreementFactory(partnership=registry.safe_homes, title=f"Annex {n}")
    first = get("/api/v1/agreements/?page_size=4&ordering=title")
    assert first["count"] == 9
    assert len(first["results"]) == 4
    assert first["previous"] is None
    second = get(first["next"])
    third = get(second["next"])
    assert third["next"] is None
    assert len(third["results"]) == 1
    seen = ids(first) + ids(second) + ids(third)
    assert sorted(seen) == sorted(Agreement.objects.public().values_list("pk", flat=True))
    assert len(get("/api/v1/agreements/?page_size=500")["results"]) == 9
    assert get("/api/v1/agreements/?page=99", raw=True).status_code == 404
    assert len(get("/api/v1/agreements/")["results"]) == 9  # default 50


def test_ordering_and_search_ranking(registry, get):
    titles = [p["title"] for p in get("/api/v1/partnerships/?ordering=-title")["results"]]
    assert titles == sorted(titles, reverse=True)
    newest = get("/api/v1/partnerships/?ordering=-established_on&established_after=2000-01-01")
    assert [p["slug"] for p in newest["results"]] == [
        "trafficking-watch",
        "safe-homes",
        "youth-cameras",
    ]
    Partnership.objects.filter(pk=registry.trafficking_watch.pk).update(
        public_summary="Safe referral of victims."
    )
    found = get("/api/v1/partnerships/?search=safe")["results"]
    assert [p["slug"] for p in found][0] == "safe-homes"  # in the title: ranks first
