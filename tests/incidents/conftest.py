"""An incident registry for the public surfaces: one published incident with a withheld
value and private notes, and beside it incidents no public surface may show (a draft, a
submitted one, one on a restricted agreement), each carrying a sentinel."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from agreements.models import Agreement
from incidents.models import Incident
from partnerships.models import Visibility
from publication.choices import PublicationStatus
from tests import factories
from tests.publication.withheld import withhold

# Never on a public surface.
SENTINELS = (
    "NOTES-SENTINEL-7781",
    "WITHHELD-SENTINEL-5531",
    "DRAFT-SENTINEL-4420",
    "SUBMITTED-SENTINEL-9902",
    "RESTRICTED-SENTINEL-3301",
)


def assert_no_sentinel(text: str) -> None:
    for sentinel in SENTINELS:
        assert sentinel not in text, sentinel


@dataclass
class IncidentRegistry:
    partnership: object
    agreement: object
    incident: Incident
    draft: Incident
    submitted: Incident
    restricted: Incident


@pytest.fixture
def incident_registry(partnership):
    agreement = factories.AgreementFactory(partnership=partnership, title="Referral MOU")
    factories.DataSharingTermFactory(
        agreement=agreement, surveillance_practice="predictive_policing"
    )
    incident = factories.IncidentFactory(
        agreements=[agreement],
        title="Case files sent to a wrong address",
        discovered_at=dt.datetime(2025, 5, 1, 9, 0, tzinfo=dt.UTC),
        reported_to_authority_at=dt.datetime(2025, 5, 5, 9, 0, tzinfo=dt.UTC),
        nature="Letters about 40 referrals went to a former address.",
        measures_taken="WITHHELD-SENTINEL-5531 the shelter was moved.",
        notes="NOTES-SENTINEL-7781",
        how_found="independent_audit",
        published_at=timezone.now(),
    )
    withhold(incident, "measures_taken")
    source = factories.SourceFactory(title="Audit report 2025")
    incident.sources.add(source)
    draft = factories.IncidentFactory(
        agreements=[agreement],
        title="DRAFT-SENTINEL-4420",
        nature="DRAFT-SENTINEL-4420",
        publication_status=PublicationStatus.DRAFT,
    )
    submitted = factories.IncidentFactory(
        agreements=[agreement],
        title="SUBMITTED-SENTINEL-9902",
        nature="SUBMITTED-SENTINEL-9902",
        publication_status=PublicationStatus.SUBMITTED,
    )
    hidden = factories.AgreementFactory(
        partnership=partnership, title="Hidden agreement", visibility=Visibility.RESTRICTED
    )
    restricted = factories.IncidentFactory(
        agreements=[agreement, hidden],
        title="RESTRICTED-SENTINEL-3301",
        nature="RESTRICTED-SENTINEL-3301",
    )
    assert Agreement.objects.public().filter(pk=hidden.pk).exists() is False
    return IncidentRegistry(partnership, agreement, incident, draft, submitted, restricted)
