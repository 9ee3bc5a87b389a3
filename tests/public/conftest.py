"""A public registry with private sentinels around it, for the public pages and feeds.

Every value that must never be published contains ``SENTINEL`` (or is the sentinel
person's e-mail or the hash of an unpublished document); ``PRIVATE_VALUES`` lists them.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

import pytest
from django.utils import timezone

from agreements.models import Agreement, DataSharingTerm, DocumentText
from oversight.models import Flag, Review
from partnerships.models import Membership, Organization, Partnership, PartnershipParty, Visibility
from tests import factories

Term = DataSharingTerm
HIDDEN_HASH = hashlib.sha256(b"unpublished draft").hexdigest()
PUBLIC_HASH = hashlib.sha256(b"signed text").hexdigest()
PRIVATE_VALUES = (
    "SENTINEL",
    "sentinel.person@example.org",
    "sentinel_person",
    "Sentinelina",
    HIDDEN_HASH,
)


@dataclass
class PublicRegistry:
    partnership: Partnership  # public, with everything a page shows
    agreement: Agreement  # its public, high-risk agreement
    restricted: Partnership  # a restricted partnership of the same parties
    restricted_agreement: Agreement  # a restricted agreement of the public partnership
    ngo: Organization
    police: Organization
    auditor: Organization
    proposed: Organization  # proposed by staff, not confirmed: not published


@pytest.fixture
def public_registry(db) -> PublicRegistry:
    now = timezone.now()
    ngo = factories.NgoFactory(
        name="Safe Harbour Women's Aid", slug="safe-harbour", region="europe"
    )
    police = factories.PoliceAgencyFactory(name="Riverside Police", slug="riverside-police")
    auditor = factories.OversightBodyFactory(name="Civilian Oversight Board", slug="civilian-board")
    person = factories.UserFactory(
        username="sentinel_person",
        email="sentinel.person@example.org",
        first_name="Sentinelina",
        last_name="Privata",
    )
    factories.MembershipFactory(user=person, organization=ngo, role=Membership.Role.EDITOR)
    proposed = factories.NgoFactory(
        name="SENTINEL Proposed Charity",
        slug="sentinel-proposed",
        is_confirmed=False,
        proposed_by=person,
    )
    trafficking = factories.FocusAreaFactory(slug="human-trafficking")

    partnership = factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="Harbour Anti-Trafficking Partnership",
        slug="harbour-anti-trafficking",
        region="europe",
        country="GB",
        established_on=dt.date(2021, 4, 1),
        public_summary="Referrals of trafficking survivors between the charity and police.",
        objectives="Identify victims earlier.",
        roles_and_responsibilities="The charity runs the helpline; the police investigate.",
    )
    partnership.focus_areas.add(trafficking)
    partnership.sources.add(
        factories.SourceFactory(title="Council minutes, April 2021", url="https://example.org/m")
    )
    PartnershipParty.objects.create(
        partnership=partnership, organization=proposed, role=PartnershipParty.Role.PARTNER_NGO
    )
    agreement = factories.AgreementFactory(
        partnership=partnership,
        title="Harbour information-sharing protocol",
        reference="HSP-2021-04",
        independent_auditor=auditor,
        signed_on=dt.date(2021, 4, 1),
        effective_from=dt.date(2021, 5, 1),
        expires_on=dt.date(2031, 4, 30),
        next_review_due=dt.date(2022, 5, 1),
    )
    factories.DataSharingTermFactory(
        agreement=agreement,
        data_category=Term.DataCategory.VICTIM_RECORDS,
        direction=Term.Direction.NGO_TO_POLICE,
        purpose="Referral of identified victims for investigation.",
        legal_basis=Term.LegalBasis.CONSENT,
        retention_days=365,
    )
    factories.DataSharingTermFactory(agreement=agreement)
    public_version = factories.AgreementDocumentFactory(
        agreement=agreement, version=1, sha256=PUBLIC_HASH, is_public=True, uploaded_by=person
    )
    hidden_version = factories.AgreementDocumentFactory(
        agreement=agreement, version=2, sha256=HIDDEN_HASH, is_public=False, uploaded_by=person
    )
    # The texts read from them: the unpublished version's is private.
    DocumentText.objects.create(
        document=public_version, status="extracted", text="1. Purpose\nReferrals of survivors."
    )
    DocumentText.objects.create(
        document=hidden_version,
        status="extracted",
        text="1. Purpose\nReferrals of survivors.\n2. Onward sharing\nSENTINEL private clause.",
    )
    review = factories.ReviewFactory(
        agreement=agreement,
        reviewer=auditor,
        kind=Review.Kind.AUDIT,
        outcome=Review.Outcome.CONCERNS,
        public_summary="Consent forms were missing for some referrals.",
        notes="SENTINEL review notes: the caseworker's name is in the file.",
    )
    factories.FindingFactory(
        review=review,
        severity="major",
        summary="Consent not recorded for 4 of 20 referrals.",
        corrective_action="Record consent before every referral.",
        due_on=dt.date(2022, 3, 1),
    )
    factories.FlagFactory(
        agreement=agreement,
        kind=Flag.Kind.REVIEW_OVERDUE,
        raised_at=now - dt.timedelta(days=3),
        detail="The review was due on 1 May 2022.",
    )
    factories.FlagFactory(
        agreement=agreement,
        kind=Flag.Kind.NO_INDEPENDENT_AUDITOR,
        raised_at=now - dt.timedelta(days=90),
        resolved_at=now - dt.timedelta(days=60),
        detail="No independent auditor is assigned.",
        resolution="An independent auditor is assigned.",
    )

    restricted_agreement = factories.AgreementFactory(
        partnership=partnership,
        title="SENTINEL camera annex",
        visibility=Visibility.RESTRICTED,
        public_summary="SENTINEL restricted summary",
    )
    factories.DataSharingTermFactory(
        agreement=restricted_agreement,
        data_category=Term.DataCategory.BIOMETRIC_DATA,
        direction=Term.Direction.NGO_TO_POLICE,
        purpose="SENTINEL biometric purpose",
        surveillance_practice=Term.SurveillancePractice.FACIAL_RECOGNITION,
    )
    factories.FlagFactory(
        agreement=restricted_agreement,
        kind=Flag.Kind.HIGH_RISK_WITHOUT_DPIA,
        detail="SENTINEL flag on a restricted agreement",
    )

    restricted = factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="SENTINEL Restricted Pilot",
        slug="sentinel-restricted-pilot",
        region="europe",
        visibility=Visibility.RESTRICTED,
        public_summary="SENTINEL restricted partnership summary",
    )
    restricted.focus_areas.add(trafficking)
    hidden_mou = factories.AgreementFactory(partnership=restricted, title="SENTINEL pilot MOU")
    factories.FlagFactory(
        agreement=hidden_mou, kind=Flag.Kind.REVIEW_OVERDUE, detail="SENTINEL hidden flag"
    )
    return PublicRegistry(
        partnership=partnership,
        agreement=agreement,
        restricted=restricted,
        restricted_agreement=restricted_agreement,
        ngo=ngo,
        police=police,
        auditor=auditor,
        proposed=proposed,
    )


def assert_no_private_value(text: str, where: str) -> None:
    for value in PRIVATE_VALUES:
        assert value not in text, f"{value!r} published on {where}"
