"""The schema a client generator reads: JSON on request, anonymous operations, and a list's
JSON answer that is its page or, with format=json, the array (the export)."""

import json

import pytest

from tests.public_registry import build_registry

pytestmark = pytest.mark.django_db

LISTS = ["organizations", "partnerships", "agreements", "reviews", "flags"]


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    return json.loads(response.content)


def test_format_json_gives_the_schema_in_json_and_the_default_stays_yaml(client, schema):
    assert schema["openapi"].startswith("3.")
    assert client.get("/api/schema/").content.startswith(b"openapi:")


def test_every_operation_is_anonymous(schema):
    operations = [op for methods in schema["paths"].values() for op in methods.values()]
    assert len(operations) >= 12
    assert all(op["security"] == [] for op in operations)


@pytest.mark.parametrize("name", LISTS)
def test_a_list_answers_its_page_or_the_export_array_and_csv(schema, name):
    content = schema["paths"][f"/api/v1/{name}/"]["get"]["responses"]["200"]["content"]
    page, export = content["application/json"]["schema"]["oneOf"]
    component = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]
    assert component["properties"]["results"] == export
    assert export["type"] == "array"
    assert content["text/csv"]["schema"] == {"type": "string"}


def test_the_answers_are_what_the_schema_says(client, schema):
    build_registry()
    page = client.get("/api/v1/partnerships/").json()
    assert isinstance(page, dict) and isinstance(page["results"], list)
    export = json.loads(b"".join(client.get("/api/v1/partnerships/?format=json").streaming_content))
    assert isinstance(export, list) and len(export) == page["count"]
    assert set(export[0]) == set(page["results"][0])
    csv = client.get("/api/v1/partnerships/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")


def test_a_history_is_paged_by_number_and_a_list_by_cursor(schema):
    """A client reads from the schema how to page each list: a history has no cursor."""
    history = schema["paths"]["/api/v1/agreements/{id}/history/"]["get"]
    listing = schema["paths"]["/api/v1/agreements/"]["get"]
    assert "cursor" not in {parameter["name"] for parameter in history["parameters"]}
    assert "cursor" in {parameter["name"] for parameter in listing["parameters"]}

    def next_link(operation):
        reference = operation["responses"]["200"]["content"]["application/json"]["schema"]
        reference = reference.get("$ref") or reference["oneOf"][0]["$ref"]
        component = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
        return component["properties"]["next"]["description"]

    assert "by page number" in next_link(history)
    assert "by cursor" in next_link(listing)
