"""A value with a ``%`` in it is a bad value like any other: a 400 naming the parameter and
quoting the value, never a 500 (django-filter %-formats every error message)."""

import pytest

from core.filters import CountryField, DateOrDateTimeField, StrictBooleanField
from public.api.urls import router

pytestmark = pytest.mark.django_db

VALUES = ["%", "%s", "100%", "%(value)s"]
STRICT_FIELDS = (CountryField, DateOrDateTimeField, StrictBooleanField)


def strict_parameters():
    """(list URL, parameter) for every filter of every endpoint that checks its value."""
    for prefix, viewset, _basename in router.registry:
        for name, filter_ in viewset.filterset_class.base_filters.items():
            if issubclass(filter_.field_class, STRICT_FIELDS):
                yield f"/api/v1/{prefix}/", name


PARAMETERS = list(strict_parameters())


def test_every_endpoint_has_such_filters():
    assert {url for url, _ in PARAMETERS} == {
        f"/api/v1/{prefix}/" for prefix, _, _ in router.registry
    }


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize(("url", "parameter"), PARAMETERS)
def test_a_percent_sign_is_a_400_naming_the_parameter(client, registry, url, parameter, value):
    response = client.get(url, {parameter: value})
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [parameter]
    # Country codes are read in either case, and quoted as read.
    assert f"“{value}”".upper() in errors[parameter][0].upper()


@pytest.mark.parametrize("value", VALUES)
def test_the_registry_page_names_the_bad_value(client, registry, value):
    response = client.get("/partnerships/", {"country": value})
    assert response.status_code == 400
    page = response.content.decode()
    assert f"“{value.upper()}” is not an ISO 3166-1 alpha-2 country code" in page


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/flags/", "agreement"),
        ("/api/v1/organizations/", "ori_code"),
        ("/api/v1/reviews/", "notes"),
        ("/api/v1/agreements/", "search_query"),
        ("/api/v1/partnerships/", "regoin"),
    ],
)
def test_an_unknown_parameter_is_a_400_naming_it_not_every_row(client, registry, url, parameter):
    response = client.get(url, {parameter: "x", "page_size": "10"})
    assert response.status_code == 400
    assert list(response.json()) == [parameter]
    assert "Not a parameter of this endpoint" in response.json()[parameter][0]


def test_an_unknown_parameter_is_refused_in_exports_too(client, registry):
    response = client.get("/api/v1/agreements/", {"format": "csv", "colour": "red"})
    assert response.status_code == 400
    assert list(response.json()) == ["colour"]
