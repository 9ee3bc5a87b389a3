"""A small public registry where the right answer to every filter is known.

- safe-homes (europe, GB, active, domestic-violence, established 2019-05-01): one public
  agreement, high risk (personal data from the NGO to the police, on consent), no auditor,
  review overdue, an open review_overdue flag.
- trafficking-watch (africa, KE, proposed, human-trafficking, 2022-03-01): low risk
  (aggregate statistics), an independent auditor, review not due, a closed flag.
- youth-cameras (asia, IN, ended, youth-development, 2015-07-01): medium risk (case
  records, public task), an auditor that is a party (so not independent).
- quiet-europe (europe, FR, active, no date): its only agreement is restricted (biometric
  data, facial recognition), so none of its facts may count.
- hidden (europe, GB, active, domestic-violence): a restricted partnership, never published.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from agreements.models import Agreement, DataSharingTerm
from oversight.models import Flag
from partnerships.models import Organization, Partnership, PartnershipParty, Visibility
from tests import factories

Term = DataSharingTerm


@dataclass
class Registry:
    safe_homes: Partnership
    trafficking_watch: Partnership
    youth_cameras: Partnership
    quiet_europe: Partnership
    hidden: Partnership
    safe_homes_mou: Agreement
    trafficking_mou: Agreement
    youth_mou: Agreement
    quiet_restricted: Agreement
    hidden_mou: Agreement
    ngo: Organization
    police: Organization
    auditor: Organization


def build_registry() -> Registry:
    today = timezone.localdate()
    ngo = factories.NgoFactory(name="Safe Harbour Women's Aid", slug="safe-harbour")
    police = factories.PoliceAgencyFactory(name="Riverside Police", slug="riverside-police")
    auditor = factories.OversightBodyFactory(name="Civilian Oversight Board", slug="civilian-board")
    dv = factories.FocusAreaFactory(slug="domestic-violence")
    trafficking = factories.FocusAreaFactory(slug="human-trafficking")
    youth = factories.FocusAreaFactory(slug="youth-development")

    safe_homes = factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="Safe Homes Referral Partnership",
        slug="safe-homes",
        region="europe",
        country="GB",
        status=Partnership.Status.ACTIVE,
        established_on=dt.date(2019, 5, 1),
        public_summary="Referrals of domestic abuse survivors between the charity and police.",
    )
    safe_homes.focus_areas.add(dv)
    safe_homes_mou = factories.AgreementFactory(
        partnership=safe_homes,
        title="Safe Homes information-sharing protocol",
        status=Agreement.Status.ACTIVE,
        next_review_due=today - dt.timedelta(days=10),
        expires_on=dt.date(2027, 12, 31),
    )
    factories.DataSharingTermFactory(
        agreement=safe_homes_mou,
        data_category=Term.DataCategory.PERSONAL_IDENTIFIABLE,
        direction=Term.Direction.NGO_TO_POLICE,
        legal_basis=Term.LegalBasis.CONSENT,
    )
    factories.FlagFactory(agreement=safe_homes_mou, kind=Flag.Kind.REVIEW_OVERDUE)

    trafficking_watch = factories.partnership_with_parties(
        title="Trafficking Watch Coalition",
        slug="trafficking-watch",
        region="africa",
        country="KE",
        status=Partnership.Status.PROPOSED,
        established_on=dt.date(2022, 3, 1),
        public_summary="Joint training on identifying victims of trafficking.",
    )
    trafficking_watch.focus_areas.add(trafficking)
    trafficking_mou = factories.AgreementFactory(
        partnership=trafficking_watch,
        title="Coalition memorandum",
        status=Agreement.Status.SIGNED,
        independent_auditor=auditor,
        next_review_due=today + dt.timedelta(days=100),
        expires_on=dt.date(2026, 6, 30),
    )
    factories.DataSharingTermFactory(
        agreement=trafficking_mou,
        data_category=Term.DataCategory.AGGREGATE_STATISTICS,
        direction=Term.Direction.POLICE_TO_NGO,
        legal_basis=Term.LegalBasis.PUBLIC_TASK,
    )
    factories.FlagFactory(
        agreement=trafficking_mou,
        kind=Flag.Kind.REVIEW_OVERDUE,
        raised_at=timezone.now() - dt.timedelta(days=30),
        resolved_at=timezone.now() - dt.timedelta(days=1),
        resolution="A review was completed.",
    )

    youth_cameras = factories.partnership_with_parties(
        title="Youth Diversion Scheme",
        slug="youth-cameras",
        region="asia",
        country="IN",
        status=Partnership.Status.ENDED,
        established_on=dt.date(2015, 7, 1),
        ended_on=dt.date(2018, 1, 1),
        public_summary="Diverting young people away from the courts.",
    )
    youth_cameras.focus_areas.add(youth)
    party_auditor = youth_cameras.parties.get(role=PartnershipParty.Role.LEAD_NGO).organization
    youth_mou = factories.AgreementFactory(
        partnership=youth_cameras,
        title="Diversion agreement",
        status=Agreement.Status.EXPIRED,
        signed_on=dt.date(2015, 6, 1),
        effective_from=dt.date(2015, 7, 1),
        independent_auditor=party_auditor,
        expires_on=dt.date(2018, 1, 1),
    )
    factories.DataSharingTermFactory(
        agreement=youth_mou,
        data_category=Term.DataCategory.CASE_RECORDS,
        direction=Term.Direction.BIDIRECTIONAL,
        legal_basis=Term.LegalBasis.PUBLIC_TASK,
    )

    quiet_europe = factories.partnership_with_parties(
        title="Quiet Streets",
        slug="quiet-europe",
        region="europe",
        country="FR",
        status=Partnership.Status.ACTIVE,
        established_on=None,
    )
    quiet_restricted = factories.AgreementFactory(
        partnership=quiet_europe,
        title="Quiet Streets camera annex",
        visibility=Visibility.RESTRICTED,
        independent_auditor=auditor,
        next_review_due=today - dt.timedelta(days=1),
    )
    factories.DataSharingTermFactory(
        agreement=quiet_restricted,
        data_category=Term.DataCategory.BIOMETRIC_DATA,
        direction=Term.Direction.NGO_TO_POLICE,
        legal_basis=Term.LegalBasis.LEGITIMATE_INTERESTS,
        surveillance_practice=Term.SurveillancePractice.FACIAL_RECOGNITION,
    )
    factories.FlagFactory(agreement=quiet_restricted, kind=Flag.Kind.HIGH_RISK_WITHOUT_DPIA)

    hidden = factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="Hidden Safe Homes pilot",
        slug="hidden",
        region="europe",
        country="GB",
        status=Partnership.Status.ACTIVE,
        established_on=dt.date(2019, 5, 1),
        visibility=Visibility.RESTRICTED,
    )
    hidden.focus_areas.add(dv)
    hidden_mou = factories.AgreementFactory(partnership=hidden, title="Hidden pilot MOU")
    factories.DataSharingTermFactory(
        agreement=hidden_mou,
        data_category=Term.DataCategory.PERSONAL_IDENTIFIABLE,
        direction=Term.Direction.NGO_TO_POLICE,
    )
    factories.FlagFactory(agreement=hidden_mou, kind=Flag.Kind.NO_INDEPENDENT_AUDITOR)

    return Registry(
        safe_homes=safe_homes,
        trafficking_watch=trafficking_watch,
        youth_cameras=youth_cameras,
        quiet_europe=quiet_europe,
        hidden=hidden,
        safe_homes_mou=safe_homes_mou,
        trafficking_mou=trafficking_mou,
        youth_mou=youth_mou,
        quiet_restricted=quiet_restricted,
        hidden_mou=hidden_mou,
        ngo=ngo,
        police=police,
        auditor=auditor,
    )
