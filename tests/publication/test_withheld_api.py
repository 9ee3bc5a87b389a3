"""Withheld values in the public API: each object says what is withheld and why, the value
itself is null (a marker in the CSV), and no filter, ordering or search reveals it."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from agreements.models import Agreement
from core.api.columns import Column, Shape, Withheld
from oversight.models import Flag
from partnerships.models import Partnership
from publication.choices import PublicationStatus, WithholdingReason
from publication.models import Withholding
from tests import factories
from tests.public_registry import build_registry

from .withheld import withhold

pytestmark = pytest.mark.django_db

SHELTER = "Marigold House on Quayside Lane"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry(db):
    return build_registry()


@pytest.fixture
def withheld(registry):
    """The safe-homes partnership with its summary and country withheld; its agreement
    with its reference and auditor withheld, a term's purpose and a document's text."""
    partnership = registry.safe_homes
    Partnership.objects.filter(pk=partnership.pk).update(
        public_summary=f"Referrals to {SHELTER}.", objectives="Safe housing."
    )
    mou = registry.safe_homes_mou
    Agreement.objects.filter(pk=mou.pk).update(
        reference="SH-2024-QUAYSIDE", independent_auditor=registry.auditor
    )
    term = factories.DataSharingTermFactory(
        agreement=mou, data_category="case_records", purpose=f"Transfers to {SHELTER}."
    )
    document = factories.AgreementDocumentFactory(agreement=mou, version=3, is_public=True)
    entries = {
        "summary": withhold(partnership, "public_summary", available_on=dt.date(2030, 1, 1)),
        "country": withhold(partnership, "country", reason=WithholdingReason.SECURITY_OF_PREMISES),
        "reference": withhold(mou, "reference", reason=WithholdingReason.ONGOING_INVESTIGATION),
        "auditor": withhold(mou, "independent_auditor"),
        "purpose": withhold(term, "purpose"),
        "file": withhold(document, "file", reason=WithholdingReason.LEGAL_PRIVILEGE),
    }
    return registry, term, document, entries


def rows_of(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def by_id(items, pk):
    return next(item for item in items if item["id"] == pk)


# The withheld entries and the null values -------------------------------------------------


def test_a_partnership_says_what_is_withheld_and_why_and_never_the_value(client, withheld):
    registry, *_ = withheld
    pk = registry.safe_homes.pk
    listed = by_id(client.get("/api/v1/partnerships/").json()["results"], pk)
    detail = client.get(f"/api/v1/partnerships/{pk}/").json()
    export = client.get("/api/v1/partnerships/?format=json")
    exported = by_id(json.loads(b"".join(export.streaming_content)), pk)
    for item in (listed, detail, exported):
        assert item["public_summary"] is None
        assert item["country"] is None
        assert item["objectives"] == "Safe housing."
        assert item["withheld"] == [
            {
                "field": "country",
                "reason_code": "security_of_premises",
                "reason_label": "Security of premises",
                "rationale": "It would tell where survivors stay.",
                "available_on": None,
            },
            {
                "field": "public_summary",
                "reason_code": "survivor_safety",
                "reason_label": "Survivor safety",
                "rationale": "It would tell where survivors stay.",
                "available_on": "2030-01-01",
            },
        ]
    assert SHELTER not in client.get(f"/api/v1/partnerships/{pk}/").content.decode()


def test_the_entries_are_what_withholding_as_public_gives(client, withheld):
    registry, *_, entries = withheld
    detail = client.get(f"/api/v1/partnerships/{registry.safe_homes.pk}/").json()
    summary = entries["summary"]
    expected = summary.as_public() | {"available_on": summary.available_on.isoformat()}
    assert expected in detail["withheld"]


def test_an_agreement_its_terms_and_documents_carry_their_own_withheld_entries(client, withheld):
    registry, term, document, _ = withheld
    item = client.get(f"/api/v1/agreements/{registry.safe_homes_mou.pk}/").json()
    assert [(e["field"], e["reason_code"]) for e in item["withheld"]] == [
        ("reference", "ongoing_investigation"),
        ("independent_auditor", "survivor_safety"),
    ]
    assert item["reference"] is None
    assert item["independent_auditor"] is None
    withheld_term = next(t for t in item["data_sharing_terms"] if t["purpose"] is None)
    assert [e["field"] for e in withheld_term["withheld"]] == ["purpose"]
    assert withheld_term["data_category"] == "case_records"  # the rest stays public
    other = next(t for t in item["data_sharing_terms"] if t is not withheld_term)
    assert other["withheld"] == [] and other["purpose"]
    (version,) = item["documents"]
    # The text is withheld: no download; its version, size and hash stay public.
    assert version["url"] is None
    assert version["sha256"] == document.sha256
    assert version["withheld"][0]["reason_label"] == "Legal privilege"
    body = client.get(f"/api/v1/agreements/{registry.safe_homes_mou.pk}/").content.decode()
    for value in (SHELTER, "SH-2024-QUAYSIDE", "Civilian Oversight Board", "/documents/3/"):
        assert value not in body


def test_a_review_summary_may_be_withheld(client, registry):
    review = factories.ReviewFactory(
        agreement=registry.safe_homes_mou, public_summary=f"Visited {SHELTER}."
    )
    withhold(review, "public_summary")
    item = client.get(f"/api/v1/reviews/{review.pk}/").json()
    assert item["public_summary"] is None
    assert item["withheld"][0]["field"] == "public_summary"
    rows = rows_of(client.get("/api/v1/reviews/?format=csv"))
    row = next(r for r in rows if r["id"] == str(review.pk))
    assert row["public_summary"] == "[withheld: Survivor safety]"
    assert row["withheld_fields"] == "public_summary"


def test_the_csv_puts_a_marker_in_each_withheld_cell_and_lists_what_is_withheld(client, withheld):
    registry, *_ = withheld
    rows = rows_of(client.get("/api/v1/partnerships/?format=csv"))
    row = next(r for r in rows if r["slug"] == "safe-homes")
    assert row["country"] == "[withheld: Security of premises]"
    assert row["public_summary"] == "[withheld: Survivor safety]"
    assert row["withheld_fields"] == "country;public_summary"
    assert next(r for r in rows if r["slug"] == "trafficking-watch")["withheld_fields"] == ""

    rows = rows_of(client.get("/api/v1/agreements/?format=csv"))
    row = next(r for r in rows if r["id"] == str(registry.safe_homes_mou.pk))
    assert row["reference"] == "[withheld: Ongoing investigation]"
    assert row["independent_auditor"] == "[withheld: Survivor safety]"
    # The terms in their JSON order: case records (withheld purpose) first.
    assert row["withheld_fields"] == (
        "reference;independent_auditor;purpose (term 1);file (document version 3)"
    )
    text = b"".join(client.get("/api/v1/agreements/?format=csv").streaming_content).decode()
    assert "SH-2024-QUAYSIDE" not in text and SHELTER not in text


def test_the_csv_of_a_record_with_only_nested_values_withheld_lists_them(client, withheld):
    # Nothing of the agreement's own is withheld: only its term's purpose and document.
    registry, _, _, entries = withheld
    entries["reference"].delete()
    entries["auditor"].delete()
    rows = rows_of(client.get("/api/v1/agreements/?format=csv"))
    row = next(r for r in rows if r["id"] == str(registry.safe_homes_mou.pk))
    assert row["reference"] == "SH-2024-QUAYSIDE"
    assert row["withheld_fields"] == "purpose (term 1);file (document version 3)"
    assert json.loads(row["data_sharing_terms"])[0]["purpose"] is None
    text = b"".join(client.get("/api/v1/agreements/?format=csv").streaming_content).decode()
    assert SHELTER not in text


def test_values_are_public_again_once_the_withholding_is_lifted(client, withheld):
    registry, term, document, _ = withheld
    Withholding.objects.all().delete()
    item = client.get(f"/api/v1/partnerships/{registry.safe_homes.pk}/").json()
    assert item["withheld"] == []
    assert item["country"] == "GB"
    assert SHELTER in item["public_summary"]
    agreement = client.get(f"/api/v1/agreements/{registry.safe_homes_mou.pk}/").json()
    assert agreement["reference"] == "SH-2024-QUAYSIDE"
    assert agreement["independent_auditor"]["name"] == "Civilian Oversight Board"
    assert agreement["documents"][0]["url"].endswith("/documents/3/")
    assert client.get("/api/v1/partnerships/?search=Marigold").json()["count"] == 1


def test_the_etag_changes_when_a_value_is_withheld(client, registry):
    url = f"/api/v1/partnerships/{registry.trafficking_watch.pk}/"
    before = client.get(url)["ETag"]
    withhold(registry.trafficking_watch, "public_summary")
    assert client.get(url, headers={"if-none-match": before}).status_code == 200


# Publication dates and published_since -----------------------------------------------------


def test_partnerships_and_agreements_show_when_they_were_published(client, registry):
    moment = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    Partnership.objects.filter(pk=registry.safe_homes.pk).update(published_at=moment)
    item = client.get(f"/api/v1/partnerships/{registry.safe_homes.pk}/").json()
    assert dt.datetime.fromisoformat(item["published_at"]) == moment
    agreement = client.get(f"/api/v1/agreements/{registry.trafficking_mou.pk}/").json()
    assert agreement["published_at"] is None  # not recorded


def test_published_since_takes_a_date_or_a_date_and_time(client, registry):
    now = timezone.now()
    Partnership.objects.filter(pk=registry.safe_homes.pk).update(
        published_at=now - dt.timedelta(days=1)
    )
    Partnership.objects.filter(pk=registry.youth_cameras.pk).update(
        published_at=now - dt.timedelta(days=30)
    )
    Agreement.objects.filter(pk=registry.trafficking_mou.pk).update(published_at=now)

    def slugs(query):
        return {r["slug"] for r in client.get(f"/api/v1/partnerships/?{query}").json()["results"]}

    week_ago = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert slugs(f"published_since={week_ago}") == {"safe-homes"}
    stamp = (now - dt.timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert slugs(f"published_since={stamp}") == {"safe-homes", "youth-cameras"}
    agreements = client.get(f"/api/v1/agreements/?published_since={week_ago}").json()
    assert [a["id"] for a in agreements["results"]] == [registry.trafficking_mou.pk]


@pytest.mark.parametrize("endpoint", ["partnerships", "agreements"])
def test_a_bad_published_since_is_a_400_naming_it(client, endpoint):
    response = client.get(f"/api/v1/{endpoint}/?published_since=last-tuesday")
    assert response.status_code == 400
    assert list(response.json()) == ["published_since"]


def test_only_published_records_are_listed(client, registry):
    for state in ("draft", "submitted", "embargoed", "retracted"):
        factories.partnership_with_parties(
            title=f"Unpublished {state}",
            publication_status=state,
            retraction_reason="Published in error." if state == "retracted" else "",
        )
    titles = {
        r["title"] for r in client.get("/api/v1/partnerships/?page_size=500").json()["results"]
    }
    assert not any(title.startswith("Unpublished") for title in titles)


# The schema -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_documents_withheld_and_the_publication_dates(schema):
    components = schema["components"]["schemas"]
    for name in ("Partnership", "Agreement"):
        assert components[name]["properties"]["published_at"]["nullable"] is True
    for name, entry in [
        ("Partnership", "PartnershipWithheld"),
        ("Agreement", "AgreementWithheld"),
        ("DataSharingTerm", "DataSharingTermWithheld"),
        ("Document", "AgreementDocumentWithheld"),
        ("Review", "ReviewWithheld"),
    ]:
        withheld = components[name]["properties"]["withheld"]
        assert withheld["type"] == "array"
        assert withheld["items"]["$ref"] == f"#/components/schemas/{entry}"
        assert list(components[entry]["properties"]) == list(
            Withholding(field="x", reason_code="other").as_public()
        )
    reasons = components["ReasonCodeEnum"]["enum"]
    assert reasons == list(WithholdingReason.values)
    fields = components["PartnershipWithheldFieldEnum"]["enum"]
    assert fields == list(Partnership.WITHHOLDABLE_FIELDS)
    # A withholdable value may be null, and the schema says why.
    summary = components["Partnership"]["properties"]["public_summary"]
    assert summary["nullable"] is True and "withheld" in summary["description"]
    assert components["Document"]["properties"]["url"]["nullable"] is True


def test_the_schema_documents_published_since(schema):
    for path in ("/api/v1/partnerships/", "/api/v1/agreements/"):
        parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert "ISO 8601" in parameters["published_since"]["description"]
        assert "withheld never matches" in parameters["country"]["description"]


# Shapes: a withholdable field must be shown by a column -----------------------------------


def test_a_withholdable_field_no_column_shows_is_refused():
    from django.core.exceptions import ImproperlyConfigured
    from rest_framework import serializers

    withheld = Withheld(
        "withheld",
        serializers.ListField(),
        rows=lambda ids: Withholding.objects.none(),
        fields=("public_summary", "country"),
    )
    with pytest.raises(ImproperlyConfigured, match="country"):
        Shape("Probe", Column("public_summary", serializers.CharField()), withheld)


# Filters, ordering and search never reveal a withheld value -------------------------------


def test_a_filter_on_a_withheld_field_does_not_match_the_record(client, withheld):
    def slugs(query):
        return {r["slug"] for r in client.get(f"/api/v1/partnerships/?{query}").json()["results"]}

    assert slugs("country=GB") == set()  # safe-homes' country is withheld
    assert slugs("region=europe") == {"safe-homes", "quiet-europe"}  # its region is not
    registry, *_ = withheld
    withhold(registry.safe_homes, "region")
    withhold(registry.youth_cameras, "established_on")
    assert slugs("region=europe") == {"quiet-europe"}
    assert slugs("established_after=2010-01-01") == {"safe-homes", "trafficking-watch"}
    assert slugs("established_before=2016-01-01") == set()

    def agreements(query):
        return {r["id"] for r in client.get(f"/api/v1/agreements/?{query}").json()["results"]}

    assert agreements("country=GB") == set()  # through the partnership
    assert registry.safe_homes_mou.pk not in agreements("region=europe")
    # The auditor of the safe-homes agreement is withheld: its slug does not find it.
    assert agreements("organization=civilian-board") == {registry.trafficking_mou.pk}
    withhold(registry.trafficking_mou, "expires_on")
    assert agreements("expires_before=2026-12-31") == {registry.youth_mou.pk}


def test_the_registry_page_filters_the_same_way(client, withheld):
    page = client.get("/partnerships/?country=GB").content.decode()
    assert "Safe Homes Referral Partnership" not in page


def test_ordering_sorts_withheld_values_as_empty_ones(client, withheld):
    registry, *_ = withheld
    Partnership.objects.filter(pk=registry.quiet_europe.pk).update(country="AA")
    for ordering in ("country", "-country"):
        results = client.get(f"/api/v1/partnerships/?ordering={ordering}").json()["results"]
        assert results[-1]["slug"] == "safe-homes", ordering  # withheld: last both ways
    withhold(registry.trafficking_mou, "expires_on")
    for ordering in ("expires_on", "-expires_on"):
        results = client.get(f"/api/v1/agreements/?ordering={ordering}").json()["results"]
        assert results[-1]["id"] == registry.trafficking_mou.pk, ordering


def test_a_search_for_a_withheld_word_finds_nothing(client, withheld):
    registry, *_ = withheld
    for endpoint in ("partnerships", "agreements"):
        assert client.get(f"/api/v1/{endpoint}/?search=Marigold").json()["count"] == 0
    assert client.get("/api/v1/agreements/?search=QUAYSIDE").json()["count"] == 0
    # The auditor is withheld on the safe-homes agreement: its name finds only the other.
    found = client.get("/api/v1/agreements/?search=Civilian").json()["results"]
    assert [a["id"] for a in found] == [registry.trafficking_mou.pk]
    # The public text of the same records is still searched.
    assert client.get("/api/v1/partnerships/?search=Homes").json()["count"] == 1
    page = client.get("/partnerships/?search=Marigold").content.decode()
    assert "Safe Homes Referral Partnership" not in page


def test_a_withheld_word_adds_nothing_to_the_ranking(client, registry):
    first = factories.partnership_with_parties(
        title="Lighthouse watch", slug="lighthouse-a", public_summary="lighthouse lighthouse"
    )
    factories.partnership_with_parties(
        title="Lighthouse watch", slug="lighthouse-b", public_summary="A lighthouse scheme."
    )
    ranked = client.get("/api/v1/partnerships/?search=lighthouse").json()["results"]
    assert [r["slug"] for r in ranked] == ["lighthouse-a", "lighthouse-b"]
    withhold(first, "public_summary")
    ranked = client.get("/api/v1/partnerships/?search=lighthouse").json()["results"]
    assert [r["slug"] for r in ranked] == ["lighthouse-b", "lighthouse-a"]


# A flag's text -----------------------------------------------------------------------------


def test_a_flag_text_naming_a_withheld_value_is_not_shown(client, registry):
    flag = factories.FlagFactory(
        agreement=registry.trafficking_mou,
        kind=Flag.Kind.EXPIRED_BUT_ACTIVE,
        detail="Expired on 30 June 2026 but still marked active.",
    )
    item = client.get(f"/api/v1/flags/{flag.pk}/").json()
    assert "30 June 2026" in item["detail"]
    withhold(registry.trafficking_mou, "expires_on")
    item = client.get(f"/api/v1/flags/{flag.pk}/").json()
    assert "30 June 2026" not in item["detail"]
    assert item["detail"].startswith(str(Flag.Kind.EXPIRED_BUT_ACTIVE.label))
    assert "withheld" in item["detail"]
    rows = rows_of(client.get("/api/v1/flags/?format=csv"))
    assert "30 June 2026" not in str(rows)


def test_publication_status_of_a_nested_reference_is_respected(client, registry):
    """A superseded agreement that is not published is not named by the one superseding
    it."""
    old = factories.AgreementFactory(
        partnership=registry.trafficking_watch,
        title="Draft predecessor",
        publication_status=PublicationStatus.DRAFT,
    )
    Agreement.objects.filter(pk=registry.trafficking_mou.pk).update(supersedes=old)
    item = client.get(f"/api/v1/agreements/{registry.trafficking_mou.pk}/").json()
    assert item["supersedes"] is None


def test_the_reviews_and_flags_filters_do_not_match_a_withheld_country(client, withheld):
    registry, *_ = withheld
    review = factories.ReviewFactory(agreement=registry.safe_homes_mou, reviewer=registry.auditor)
    flag = factories.FlagFactory(
        agreement=registry.safe_homes_mou, kind=Flag.Kind.CORRECTIVE_ACTION_OVERDUE
    )

    def ids(endpoint, query):
        return {r["id"] for r in client.get(f"/api/v1/{endpoint}/?{query}").json()["results"]}

    # Safe-homes' country (GB) is withheld; its region is not.
    assert review.pk not in ids("reviews", "country=GB")
    assert review.pk in ids("reviews", "region=europe")
    assert flag.pk not in ids("flags", "country=GB")
    withhold(registry.safe_homes, "region")
    assert review.pk not in ids("reviews", "region=europe")


# A value derived from a withheld one -------------------------------------------------------


def test_the_next_review_date_is_withheld_with_the_date_the_agreement_takes_effect(
    client, registry
):
    mou = registry.trafficking_mou
    effective = dt.date(2023, 3, 14)
    due = dt.date(2024, 3, 14)  # never reviewed: one 12-month interval after it takes effect
    Agreement.objects.filter(pk=mou.pk).update(
        effective_from=effective, review_interval_months=12, next_review_due=due
    )
    assert client.get(f"/api/v1/agreements/{mou.pk}/").json()["next_review_due"] == "2024-03-14"
    overdue = client.get("/api/v1/agreements/?review_overdue=true").json()["results"]
    assert mou.pk in [a["id"] for a in overdue]

    withhold(mou, "effective_from")

    item = client.get(f"/api/v1/agreements/{mou.pk}/").json()
    assert (item["effective_from"], item["next_review_due"]) == (None, None)
    entries = {entry["field"]: entry for entry in item["withheld"]}
    assert entries["next_review_due"]["reason_code"] == entries["effective_from"]["reason_code"]
    for answer in ("true", "false"):
        listed = client.get(f"/api/v1/agreements/?review_overdue={answer}").json()["results"]
        assert mou.pk not in [a["id"] for a in listed], answer
    for ordering in ("next_review_due", "-next_review_due"):
        results = client.get(f"/api/v1/agreements/?ordering={ordering}").json()["results"]
        after = results[[a["id"] for a in results].index(mou.pk) :]
        # Sorted among the empty values, last both ways (the others have a date).
        assert [a["next_review_due"] for a in after] == [None] * len(after), ordering
        assert any(a["next_review_due"] for a in results), ordering
    page = client.get(mou.get_absolute_url()).content.decode()
    assert "14 March 2024" not in page and "14 Mar 2024" not in page
    assert "2024-03-14" not in client.get("/api/v1/agreements/?format=csv").getvalue().decode()
    history = client.get(f"/api/v1/agreements/{mou.pk}/history/").content.decode()
    assert "2024-03-14" not in history
