"""seed_demo loads the incidents of the seed table, each on a demo partnership that matches
its place, year, kind of partnership and surveillance practice."""

import csv
import io

import pytest
from django.core.management import call_command

from demo.incidents import SEED_INCIDENTS_CSV
from incidents.models import Incident
from partnerships.models import PartnershipParty

pytestmark = pytest.mark.django_db


def seed():
    call_command("seed_demo", stdout=io.StringIO())


def test_it_loads_each_incident_of_the_seed_table_on_a_matching_partnership():
    seed()

    with SEED_INCIDENTS_CSV.open(encoding="utf-8") as rows:
        rows = list(csv.DictReader(rows))
    assert Incident.objects.public().count() == len(rows) == 2
    for row in rows:
        incident = Incident.objects.public().get(
            agreements__partnership__country=row["country"],
            discovered_at__year=int(row["year"]),
        )
        (agreement,) = incident.agreements.all()
        partnership = agreement.partnership
        assert partnership.established_on.year == int(row["year"])
        roles = set(partnership.parties.values_list("role", flat=True))
        assert {PartnershipParty.Role.LEAD_NGO, PartnershipParty.Role.POLICE_AGENCY} <= roles
        assert agreement.data_sharing_terms.filter(
            surveillance_practice=row["surveillance_practice"]
        ).exists()
        assert (
            row["location"].split(",")[0]
            in partnership.parties.get(role=PartnershipParty.Role.LEAD_NGO).organization.city
        )


def test_how_found_and_kind_follow_the_seed_table():
    seed()

    london = Incident.objects.get(agreements__partnership__country="GB")
    chicago = Incident.objects.get(agreements__partnership__country="US")

    assert london.how_found == Incident.HowFound.INDEPENDENT_AUDIT
    assert london.kind == Incident.Kind.SCOPE_VIOLATION
    assert "Data used beyond the agreed scope" in london.nature
    assert chicago.how_found == Incident.HowFound.CIVIL_SOCIETY_REPORT
    assert chicago.kind == Incident.Kind.DISCRIMINATORY_OUTCOME


def test_the_registry_finds_the_predictive_policing_partnership(client):
    seed()

    response = client.get("/api/v1/partnerships/?surveillance_practice=predictive_policing")
    incidents = client.get("/api/v1/incidents/?surveillance_practice=predictive_policing")

    slugs = [row["slug"] for row in response.json()["results"]]
    assert "safer-streets-london-demo-metropolitan-police-service-london" in slugs
    assert [row["how_found"] for row in incidents.json()["results"]] == ["independent_audit"]
    assert client.get("/incidents/?how_found=civil_society_report").status_code == 200


def test_seeding_twice_adds_no_incident():
    seed()
    first = list(Incident.objects.order_by("pk").values_list("pk", "title"))

    seed()

    assert list(Incident.objects.order_by("pk").values_list("pk", "title")) == first
