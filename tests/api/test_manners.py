"""Read-only, throttled, CORS for GET, licensed, cacheable details, documented offline."""

import pytest
import yaml
from django.core.management import call_command

from tests import factories

pytestmark = pytest.mark.django_db

ENDPOINTS = ["organizations", "partnerships", "agreements", "reviews", "flags"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_anonymous_writes_are_refused(client, registry, endpoint, method):
    factories.ReviewFactory(agreement=registry.safe_homes_mou)
    listing = getattr(client, method)(
        f"/api/v1/{endpoint}/", data={}, content_type="application/json"
    )
    item_url = client.get(f"/api/v1/{endpoint}/").json()["results"][0]["url"]
    detail = getattr(client, method)(item_url, data={}, content_type="application/json")
    assert listing.status_code in (401, 403, 405)
    assert detail.status_code in (401, 403, 405)


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/stats/"])
@pytest.mark.parametrize("method", ["post", "delete"])
def test_the_root_and_stats_are_read_only(client, path, method):
    assert getattr(client, method)(path).status_code == 405


def test_the_throttle_answers_429_with_retry_after(client, settings, registry):
    settings.API_ANON_THROTTLE_RATE = "3/minute"
    statuses = [client.get("/api/v1/partnerships/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/agreements/")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused["X-Data-Licence"] == "CC BY 4.0"
    # Another address has its own allowance.
    assert client.get("/api/v1/flags/", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_a_client_cannot_dodge_the_throttle_with_its_own_forwarded_for(client, settings, registry):
    settings.API_ANON_THROTTLE_RATE = "2/minute"
    statuses = [
        client.get("/api/v1/flags/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_cors_allows_get_from_any_origin(client, registry):
    origin = {"Origin": "https://notebook.example.net"}
    response = client.get("/api/v1/agreements/", headers=origin)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/agreements/",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    # Staff pages are not opened to other origins.
    assert "Access-Control-Allow-Origin" not in client.get("/accounts/login/", headers=origin)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/",
        "/api/v1/stats/",
        "/api/v1/agreements/",
        "/api/v1/agreements/?format=csv",
        "/api/v1/agreements/?status=nonsense",
        "/api/v1/agreements/999999/",
        "/api/schema/",
    ],
)
def test_every_response_carries_the_licence(client, registry, path):
    response = client.get(path)
    assert response["X-Data-Licence"] == "CC BY 4.0"
    assert response["Link"] == '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'


def test_the_licence_is_configurable_and_on_the_root(client, settings):
    settings.DATA_LICENCE_NAME = "ODbL 1.0"
    settings.DATA_LICENCE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
    response = client.get("/api/v1/")
    assert response["X-Data-Licence"] == "ODbL 1.0"
    root = response.json()
    assert root["licence"] == {
        "name": "ODbL 1.0",
        "url": "https://opendatacommons.org/licenses/odbl/1-0/",
    }
    for name in [*ENDPOINTS, "stats"]:
        assert client.get(root["endpoints"][name]).status_code == 200


def test_details_answer_conditional_gets_with_304(client, registry):
    url = f"/api/v1/agreements/{registry.safe_homes_mou.pk}/"
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    registry.safe_homes_mou.public_summary = "Changed."
    registry.safe_homes_mou.save()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_the_schema_documents_every_filter_and_enum(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    parameters = {p["name"] for p in schema["paths"]["/api/v1/agreements/"]["get"]["parameters"]}
    assert {
        "region",
        "country",
        "focus_area",
        "status",
        "organization",
        "kind",
        "risk_level",
        "surveillance_practice",
        "data_category",
        "legal_basis",
        "has_independent_auditor",
        "review_overdue",
        "flag",
        "expires_after",
        "expires_before",
        "updated_since",
        "search",
        "ordering",
        "page",
        "page_size",
        "format",
    } <= parameters
    for parameter in schema["paths"]["/api/v1/partnerships/"]["get"]["parameters"]:
        assert parameter.get("description"), parameter["name"]
    assert "established_after" in {
        p["name"] for p in schema["paths"]["/api/v1/partnerships/"]["get"]["parameters"]
    }
    assert schema["components"]["schemas"]["RiskLevelEnum"]["enum"] == ["low", "medium", "high"]


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_the_docs_page_loads_nothing_from_another_host(client):
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page
    assert "/static/drf_spectacular_sidecar/" in page
