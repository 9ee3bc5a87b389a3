"""PartnershipFilter as the public pages use it: a plain FilterSet over ``.public()``."""

import datetime as dt

import pytest
from django.http import QueryDict
from django.utils import timezone

from partnerships.filters import OrganizationFilter
from partnerships.models import Organization, Partnership
from public.filters import PartnershipFilter
from tests.public_registry import build_registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    return build_registry()


def slugs(query: str) -> list[str]:
    filterset = PartnershipFilter(QueryDict(query), queryset=Partnership.objects.public())
    assert filterset.is_valid(), filterset.errors
    return [p.slug for p in filterset.qs]


ALL_PUBLIC = ["quiet-europe", "safe-homes", "trafficking-watch", "youth-cameras"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL_PUBLIC),
        ("region=europe", ["quiet-europe", "safe-homes"]),
        ("region=europe&region=asia", ["quiet-europe", "safe-homes", "youth-cameras"]),
        ("country=GB", ["safe-homes"]),
        ("country=ke", ["trafficking-watch"]),
        ("status=active", ["quiet-europe", "safe-homes"]),
        ("status=proposed&status=ended", ["trafficking-watch", "youth-cameras"]),
        ("focus_area=domestic-violence", ["safe-homes"]),
        ("focus_area=human-trafficking", ["trafficking-watch"]),
        ("organization=safe-harbour", ["safe-homes"]),
        ("organization=riverside-police", ["safe-homes"]),
        # Quiet Streets' only agreement is restricted: its facts never count.
        ("risk_level=high", ["safe-homes"]),
        ("risk_level=medium", ["youth-cameras"]),
        ("risk_level=low", ["quiet-europe", "trafficking-watch"]),
        ("data_category=personal_identifiable", ["safe-homes"]),
        ("data_category=biometric_data", []),
        (
            "data_category=case_records&data_category=aggregate_statistics",
            ["trafficking-watch", "youth-cameras"],
        ),
        ("surveillance_practice=facial_recognition", []),
        ("surveillance_practice=none", ["safe-homes", "trafficking-watch", "youth-cameras"]),
        ("legal_basis=consent", ["safe-homes"]),
        ("legal_basis=public_task", ["trafficking-watch", "youth-cameras"]),
        ("legal_basis=legitimate_interests", []),
        ("has_independent_auditor=true", ["trafficking-watch"]),
        ("has_independent_auditor=false", ["quiet-europe", "safe-homes", "youth-cameras"]),
        ("review_overdue=true", ["safe-homes"]),
        ("review_overdue=false", ["quiet-europe", "trafficking-watch", "youth-cameras"]),
        ("flag=review_overdue", ["safe-homes"]),
        ("flag=high_risk_without_dpia", []),
        ("flag=no_independent_auditor", []),
        ("established_after=2019-05-01", ["safe-homes", "trafficking-watch"]),
        ("established_after=2019-05-02", ["trafficking-watch"]),
        ("established_before=2019-05-01", ["safe-homes", "youth-cameras"]),
        ("established_after=2016-01-01&established_before=2020-01-01", ["safe-homes"]),
        # Combinations: every filter narrows the others.
        ("region=europe&status=active&risk_level=high", ["safe-homes"]),
        (
            "region=europe&has_independent_auditor=false&data_category=personal_identifiable",
            ["safe-homes"],
        ),
        ("region=africa&risk_level=high", []),
        ("focus_area=domestic-violence&review_overdue=false", []),
        ("legal_basis=public_task&has_independent_auditor=false", ["youth-cameras"]),
    ],
)
def test_each_filter_alone_and_combined_finds_the_known_answer(registry, query, expected):
    assert sorted(slugs(query)) == expected


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("region=mars", "region"),
        ("status=dormant", "status"),
        ("country=XX", "country"),
        ("country=GBR", "country"),
        ("risk_level=extreme", "risk_level"),
        ("data_category=dna", "data_category"),
        ("surveillance_practice=drones", "surveillance_practice"),
        ("legal_basis=whim", "legal_basis"),
        ("flag=late", "flag"),
        ("has_independent_auditor=maybe", "has_independent_auditor"),
        ("review_overdue=yes please", "review_overdue"),
        ("established_after=2019-13-01", "established_after"),
        ("established_before=last year", "established_before"),
        ("updated_since=yesterday", "updated_since"),
        ("ordering=visibility", "ordering"),
    ],
)
def test_a_bad_value_is_an_error_naming_its_parameter(registry, query, parameter):
    filterset = PartnershipFilter(QueryDict(query), queryset=Partnership.objects.public())
    assert filterset.is_valid() is False
    assert list(filterset.errors) == [parameter]


def test_empty_values_of_an_html_form_filter_nothing(registry):
    every_field = "&".join(f"{name}=" for name in PartnershipFilter.base_filters)
    assert sorted(slugs(every_field + "&region=europe")) == ["quiet-europe", "safe-homes"]


@pytest.mark.parametrize("query", ["focus_area=no-such-area", "organization=no-such-org"])
def test_an_unknown_slug_matches_nothing(registry, query):
    assert slugs(query) == []


def test_an_unconfirmed_organization_slug_matches_nothing(registry):
    Organization.objects.filter(pk=registry.ngo.pk).update(is_confirmed=False)
    assert slugs("organization=safe-harbour") == []


def test_restricted_partnerships_never_match(registry):
    assert "hidden" not in slugs("region=europe&status=active&focus_area=domestic-violence")
    assert "hidden" not in slugs("organization=safe-harbour")


def test_updated_since_takes_a_date_or_a_datetime(registry):
    long_ago = timezone.now() - dt.timedelta(days=400)
    Partnership.objects.exclude(slug="safe-homes").update(updated_at=long_ago)
    since = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    assert slugs(f"updated_since={since}") == ["safe-homes"]
    earlier = (long_ago - dt.timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert sorted(slugs(f"updated_since={earlier}")) == ALL_PUBLIC


def test_ordering_by_a_field_and_descending(registry):
    assert slugs("ordering=country") == [
        "quiet-europe",  # FR
        "safe-homes",  # GB
        "youth-cameras",  # IN
        "trafficking-watch",  # KE
    ]
    assert slugs("established_after=2000-01-01&ordering=-established_on") == [
        "trafficking-watch",
        "safe-homes",
        "youth-cameras",
    ]


def test_search_finds_titles_summaries_and_party_names(registry):
    assert slugs("search=trafficking") == ["trafficking-watch"]
    assert slugs("search=survivors") == ["safe-homes"]  # the summary
    assert slugs("search=Riverside") == ["safe-homes"]  # a party's name
    assert slugs("search=courts") == ["youth-cameras"]
    assert slugs("search=hidden pilot") == []  # restricted


def test_search_is_full_text_stemmed_and_ranked_by_relevance(registry):
    # "referral" finds "Referral" in one title and "Referrals" in the other's summary; the
    # title match ranks first.
    other = Partnership.objects.get(slug="trafficking-watch")
    other.public_summary = "Referrals of victims to shelters."
    other.save()
    assert slugs("search=referral") == ["safe-homes", "trafficking-watch"]
    assert slugs("search=referral&ordering=-title") == ["trafficking-watch", "safe-homes"]
    assert slugs('search="domestic abuse" -charity') == []
    assert slugs('search="domestic abuse"') == ["safe-homes"]


def test_organization_filter_kinds_and_search(registry):
    def names(query):
        filterset = OrganizationFilter(QueryDict(query), queryset=Organization.objects.public())
        assert filterset.is_valid(), filterset.errors
        return [o.slug for o in filterset.qs]

    assert names("kind=oversight_body") == ["civilian-board"]
    assert names("search=riverside") == ["riverside-police"]
    assert "safe-harbour" in names("focus_area=domestic-violence")
    assert names("focus_area=nothing-like-it") == []
    bad = OrganizationFilter(QueryDict("kind=club"), queryset=Organization.objects.public())
    assert bad.is_valid() is False
    assert list(bad.errors) == ["kind"]
