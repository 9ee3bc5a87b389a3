"""The incidents of the demo registry: one per row of ``fixtures/seed_incidents.csv``
(incidents named in public reporting, by place, year, kind of partnership and
surveillance practice), each on an illustrative demo partnership that matches the row,
with an illustrative agreement whose data-sharing term involves the practice. The
partnership is created when the demo registry has none that matches.

Loading is idempotent, as the rest of the demo registry: a record that exists (by its
natural key) is left as it is.
"""

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from django.db import transaction

from agreements.models import Agreement, DataSharingTerm
from incidents.models import Incident
from partnerships.models import FocusArea, Organization, Partnership, PartnershipParty
from publication.choices import PublicationStatus

from .loader import DEMO_NOTE, DemoAgreement, LoadReport, _load_agreement, get_or_create

SEED_INCIDENTS_CSV = Path(__file__).resolve().parent / "fixtures" / "seed_incidents.csv"

Category = DataSharingTerm.DataCategory
Direction = DataSharingTerm.Direction
Basis = DataSharingTerm.LegalBasis

# How the seed table says an incident was found, in the registry's words.
HOW_FOUND = {
    "audit by an independent oversight body": Incident.HowFound.INDEPENDENT_AUDIT,
    "report by a civil liberties organization": Incident.HowFound.CIVIL_SOCIETY_REPORT,
}
# The kind of partnership, as the seed table words it: its parties' roles.
PARTNERSHIP_TYPES = {
    "NGO and police": (PartnershipParty.Role.LEAD_NGO, PartnershipParty.Role.POLICE_AGENCY),
    "NGO and law enforcement": (
        PartnershipParty.Role.LEAD_NGO,
        PartnershipParty.Role.POLICE_AGENCY,
    ),
}


@dataclass(frozen=True)
class DemoIncident:
    """The illustrative details of one seed row (by its location): who, which agreement,
    and what the registry records of the incident beyond the seed table's words."""

    ngo: tuple[str, str]  # slug, name (fictional)
    police: tuple[str, str]  # slug, name
    region: str
    focus_areas: tuple[str, ...]
    agreement_title: str
    term: tuple[str, str, str, str]  # category, direction, purpose, legal basis
    kind: str
    title: str
    discovered_at: datetime
    reported_to_authority_at: datetime | None
    authority: str
    data_categories: tuple[str, ...]
    people_categories: tuple[str, ...]
    status: str
    closed_on: date | None = None


DEMO_INCIDENTS = {
    "London, UK": DemoIncident(
        ngo=("safer-streets-london-demo", "Safer Streets London (demo)"),
        police=("metropolitan-police-service-london", "Metropolitan Police Service, London"),
        region="europe",
        focus_areas=("community-safety", "youth-development"),
        agreement_title="Area risk data-sharing agreement (demo)",
        term=(
            Category.SOCIAL_MEDIA_DATA,
            Direction.NGO_TO_POLICE,
            "Aggregate referral data to inform where patrols are sent.",
            Basis.PUBLIC_TASK,
        ),
        kind=Incident.Kind.SCOPE_VIOLATION,
        title="Referral data used beyond the agreed scope to profile social media activity "
        "(illustrative)",
        discovered_at=datetime(2021, 9, 14, 10, 0, tzinfo=UTC),
        reported_to_authority_at=datetime(2021, 9, 20, 16, 0, tzinfo=UTC),
        authority="Information Commissioner's Office",
        data_categories=(Category.SOCIAL_MEDIA_DATA, Category.PERSONAL_IDENTIFIABLE),
        people_categories=(Incident.PeopleCategory.GENERAL_PUBLIC,),
        status=Incident.Status.CLOSED,
        closed_on=date(2022, 2, 1),
    ),
    "Chicago, USA": DemoIncident(
        ngo=("chicago-youth-futures-demo", "Chicago Youth Futures (demo)"),
        police=("chicago-police-department", "Chicago Police Department"),
        region="north_america",
        focus_areas=("youth-development", "gang-prevention"),
        agreement_title="Youth outreach and social media monitoring agreement (demo)",
        term=(
            Category.SOCIAL_MEDIA_DATA,
            Direction.BIDIRECTIONAL,
            "Public social media posts reviewed to offer outreach to young people at risk.",
            Basis.LEGITIMATE_INTERESTS,
        ),
        kind=Incident.Kind.DISCRIMINATORY_OUTCOME,
        title="Young people disproportionately flagged by social media monitoring (illustrative)",
        discovered_at=datetime(2022, 10, 3, 15, 0, tzinfo=UTC),
        reported_to_authority_at=None,
        authority="",
        data_categories=(Category.SOCIAL_MEDIA_DATA,),
        people_categories=(
            Incident.PeopleCategory.CHILDREN,
            Incident.PeopleCategory.GENERAL_PUBLIC,
        ),
        status=Incident.Status.UNDER_INVESTIGATION,
    ),
}


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def matching_partnership(row: dict, spec: DemoIncident):
    """A public partnership of the row's country, established in its year, between parties
    of its kind, with a public agreement involving its surveillance practice; None if the
    demo registry has none."""
    roles = PARTNERSHIP_TYPES[row["partnership_type"]]
    candidates = Partnership.objects.public().filter(
        country=row["country"],
        established_on__year=int(row["year"]),
        agreements__in=Agreement.objects.public().filter(
            data_sharing_terms__surveillance_practice=row["surveillance_practice"]
        ),
    )
    for role in roles:
        candidates = candidates.filter(parties__role=role)
    return candidates.distinct().order_by("pk").first()


def _create_partnership(report: LoadReport, row: dict, spec: DemoIncident, today: date):
    (ngo_slug, ngo_name), (police_slug, police_name) = spec.ngo, spec.police
    country, region = row["country"], spec.region
    city = row["location"].split(",")[0]
    ngo = get_or_create(
        report,
        Organization,
        slug=ngo_slug,
        defaults={
            "name": ngo_name,
            "kind": Organization.Kind.NGO,
            "country": country,
            "region": region,
            "city": city,
            "description": "A fictional organization of the demo registry.",
        },
    )
    police = get_or_create(
        report,
        Organization,
        slug=police_slug,
        defaults={
            "name": police_name,
            "kind": Organization.Kind.POLICE_AGENCY,
            "country": country,
            "region": region,
            "city": city,
        },
    )
    partnership = get_or_create(
        report,
        Partnership,
        slug=f"{ngo_slug}-{police_slug}"[:200],
        defaults={
            "title": f"{ngo_name} – {police_name}",
            "status": Partnership.Status.ACTIVE,
            "region": region,
            "country": country,
            "established_on": date(int(row["year"]), 1, 1),
            "established_precision": Partnership.DatePrecision.YEAR,
            "public_summary": f"{DEMO_NOTE} An illustrative partnership for the incident "
            f"reported in {row['location']} in {row['year']}.",
            "publication_status": PublicationStatus.PUBLISHED,
        },
    )
    partnership.focus_areas.add(*FocusArea.objects.filter(slug__in=spec.focus_areas))
    ngo_role, police_role = PARTNERSHIP_TYPES[row["partnership_type"]]
    for organization, role in ((ngo, ngo_role), (police, police_role)):
        get_or_create(
            report,
            PartnershipParty,
            partnership=partnership,
            organization=organization,
            defaults={"role": role},
        )
    category, direction, purpose, basis = spec.term
    years = (today - date(int(row["year"]), 3, 1)).days / 365.25
    _load_agreement(
        report,
        DemoAgreement(
            partnership=partnership.slug,
            title=spec.agreement_title,
            kind=Agreement.Kind.DATA_SHARING,
            status=Agreement.Status.ACTIVE,
            signed_years_ago=years,
            effective_years_ago=years,
            terms=[(category, direction, purpose, basis, row["surveillance_practice"], False, 365)],
        ),
        today,
    )
    return partnership


@transaction.atomic
def load_demo_incidents(*, report: LoadReport, today: date) -> None:
    """Each incident of the seed table on its demo partnership's agreement that involves
    the row's surveillance practice, published."""
    with SEED_INCIDENTS_CSV.open(newline="", encoding="utf-8") as seed:
        for row in csv.DictReader(seed):
            spec = DEMO_INCIDENTS[row["location"]]
            partnership = matching_partnership(row, spec) or _create_partnership(
                report, row, spec, today
            )
            agreement = (
                Agreement.objects.public()
                .filter(
                    partnership=partnership,
                    data_sharing_terms__surveillance_practice=row["surveillance_practice"],
                )
                .order_by("pk")
                .first()
            )
            issues = [_sentence(issue) for issue in row["issues_identified"].split(";")]
            incident = get_or_create(
                report,
                Incident,
                title=spec.title,
                defaults={
                    "kind": spec.kind,
                    # The seed table gives the year alone: the day it occurred is unknown.
                    "occurred_on": None,
                    "discovered_at": spec.discovered_at,
                    "reported_to_authority_at": spec.reported_to_authority_at,
                    "authority": spec.authority,
                    "nature": " ".join(issues),
                    "data_categories": list(spec.data_categories),
                    "people_categories": list(spec.people_categories),
                    "how_found": HOW_FOUND[row["how_found"]],
                    "status": spec.status,
                    "closed_on": spec.closed_on,
                    "notes": DEMO_NOTE,
                    "publication_status": PublicationStatus.PUBLISHED,
                    "published_at": spec.discovered_at,
                },
            )
            incident.agreements.add(agreement)
