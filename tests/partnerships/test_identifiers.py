"""Organizations' identifiers: edited by their editors, validated (the FBI's ORI format),
shown on the organization page, and exact filters of the organizations API."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from partnerships.models import Organization, OrganizationEvent
from tests import factories

pytestmark = pytest.mark.django_db


def identifiers_url(organization):
    return reverse("partnerships:organization_identifiers", kwargs={"slug": organization.slug})


def test_a_police_editor_saves_the_ori_in_upper_case_and_it_is_audited(
    client, police, police_editor
):
    client.force_login(police_editor)
    response = client.post(identifiers_url(police), {"ori": " ny0303000 ", "website": "nypd.gov"})
    assert response.status_code == 302
    police.refresh_from_db()
    assert (police.ori, police.website) == ("NY0303000", "https://nypd.gov")
    update = OrganizationEvent.objects.filter(pgh_obj_id=police.pk, pgh_label="update").last()
    assert update.ori == "NY0303000"


@pytest.mark.parametrize("ori", ["NY030300", "N10303000", "NY0303-00", "NY03030001"])
def test_a_bad_ori_is_an_error_next_to_the_field_and_nothing_is_lost(
    client, police, police_editor, ori
):
    client.force_login(police_editor)
    response = client.post(
        identifiers_url(police), {"ori": ori, "website": "https://police.example.org"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["ori"]
    page = response.content.decode()
    assert 'id="id_ori_error"' in page
    assert 'value="https://police.example.org"' in page
    police.refresh_from_db()
    assert police.ori == ""


def test_the_ori_error_says_the_format(client, police, police_editor):
    client.force_login(police_editor)
    response = client.post(identifiers_url(police), {"ori": "NY12"})
    assert "two letters of the state, then 7 letters or digits" in response.content.decode()


def test_an_ngo_has_no_ori_field_and_a_registration_number_needs_its_registry(
    client, ngo, ngo_editor
):
    client.force_login(ngo_editor)
    assert "ori" not in client.get(identifiers_url(ngo)).context["form"].fields
    response = client.post(identifiers_url(ngo), {"registration_number": "1234567"})
    assert list(response.context["form"].errors) == ["registry_name"]
    response = client.post(
        identifiers_url(ngo),
        {
            "registration_number": "1234567",
            "registry_name": "Charity Commission",
            "ori": "NY0303000",
        },
    )
    assert response.status_code == 302
    ngo.refresh_from_db()
    assert (ngo.registration_number, ngo.registry_name, ngo.ori) == (
        "1234567",
        "Charity Commission",
        "",
    )


def test_another_organizations_editor_is_refused(client, police, ngo_editor):
    client.force_login(ngo_editor)
    assert client.post(identifiers_url(police), {"ori": "NY0303000"}).status_code == 403
    police.refresh_from_db()
    assert police.ori == ""


def test_the_database_refuses_an_ori_out_of_format_or_not_of_a_police_agency(police, ngo):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=police.pk).update(ori="ny0303000")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=ngo.pk).update(ori="NY0303000")


def test_the_organization_page_shows_the_identifiers(client):
    police = factories.PoliceAgencyFactory(ori="NY0303000", website="https://nypd.example.org")
    ngo = factories.NgoFactory(registration_number="1234567", registry_name="Charity Commission")
    page = client.get(reverse("public:organization", kwargs={"slug": police.slug})).content
    assert b"NY0303000" in page and b"https://nypd.example.org" in page
    page = client.get(reverse("public:organization", kwargs={"slug": ngo.slug})).content
    assert b"1234567</code> in Charity Commission" in page


@pytest.fixture
def identified():
    factories.PoliceAgencyFactory(name="Other police")
    factories.NgoFactory(name="Other NGO")
    return (
        factories.PoliceAgencyFactory(name="NYPD", ori="NY0303000"),
        factories.NgoFactory(
            name="Refuge", registration_number="1015186", registry_name="Charity Commission"
        ),
    )


def names(client, **params):
    response = client.get(reverse("api:organization-list"), params)
    assert response.status_code == 200
    return [row["name"] for row in response.json()["results"]]


def test_the_ori_filter_matches_exactly_in_either_case(client, identified):
    assert names(client, ori="NY0303000") == ["NYPD"]
    assert names(client, ori="ny0303000") == ["NYPD"]
    assert names(client, ori="NY0303001") == []
    assert names(client, ori="NY03") == []


def test_the_registration_number_filter_matches_exactly(client, identified):
    assert names(client, registration_number="1015186") == ["Refuge"]
    assert names(client, registration_number="101518") == []
    assert names(client, registration_number="unknown") == []
    row = client.get(reverse("api:organization-list"), {"registration_number": "1015186"})
    assert row.json()["results"][0]["registry_name"] == "Charity Commission"


def test_the_identifier_filters_are_documented(client):
    schema = client.get("/api/schema/?format=json").json()
    parameters = {
        p["name"]: p for p in schema["paths"]["/api/v1/organizations/"]["get"]["parameters"]
    }
    assert "ORI" in parameters["ori"]["description"]
    assert "matches nothing" in parameters["registration_number"]["description"]
