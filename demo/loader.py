"""The demo registry loaded by ``manage.py seed_demo``.

Every partnership of ``fixtures/seed_partnerships.csv`` (named in public
reporting) is loaded as given. The agreements, data-sharing terms, reviews and
the oversight organizations around them are illustrative: invented to show every
agreement status, every risk level and every flag condition, and labelled as
demo records wherever they appear. Dates are relative to the day of loading.

Loading is idempotent: a record that exists (by its natural key) is left as it is.
"""

import csv
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from agreements.derived import derived_facts_refresh
from agreements.models import Agreement, AgreementSignatory, DataSharingTerm
from oversight.models import Finding, Review
from partnerships.forms import PartnershipForm
from partnerships.models import (
    FocusArea,
    Membership,
    Organization,
    Partnership,
    PartnershipParty,
    Source,
    Visibility,
)
from publication.choices import PublicationStatus, WithholdingReason
from publication.models import Revision, Withholding
from publication.services import revision_store

from .activities import load_demo_activities, load_demo_report
from .feedback import load_demo_feedback

SEED_CSV = Path(__file__).resolve().parent / "fixtures" / "seed_partnerships.csv"
# A note of the seed table names a source when it gives the source's address; the words
# around the address are its title. The other notes (a description, or a remark about
# "the source" that does not say which) stay in the partnership's summary only: a source
# a journalist cannot find is not cited.
NOTE_ADDRESS = re.compile(r"https?://[^\s<>\"]+")
DEMO_NOTE = "Illustrative demo record: not taken from the parties' actual agreement."

# The seed table gives no status; these spread the demo over every partnership status.
# (slug, status, ended how many years ago)
PARTNERSHIP_STATUS = {
    "local-gang-prevention-ngos-los-angeles-police-department": ("ended", 2),
    "local-ngos-independent-policing-oversight-authority": ("suspended", None),
    "ngos-monitoring-police-conduct-independent-police-investigative-directorate": (
        "proposed",
        None,
    ),
}

# Police-side parties of the seed table that are in fact civilian oversight bodies.
CIVILIAN_OVERSIGHT = {
    "Independent Policing Oversight Authority": "Kenya's civilian oversight body for the police.",
    "Independent Police Investigative Directorate": (
        "South Africa's independent body investigating complaints against the police."
    ),
}

Term = DataSharingTerm
Category = DataSharingTerm.DataCategory
Direction = DataSharingTerm.Direction
Practice = DataSharingTerm.SurveillancePractice
Basis = DataSharingTerm.LegalBasis


@dataclass
class DemoReview:
    reviewer: str  # organization slug
    kind: str
    status: str = Review.Status.COMPLETED
    started_months_ago: int | None = None
    completed_months_ago: int | None = None
    outcome: str = ""
    summary: str = ""
    notes: str = ""
    # (severity, summary, corrective action, due in days from today (negative: past), resolved)
    findings: list[tuple[str, str, str, int, bool]] = field(default_factory=list)


@dataclass
class DemoAgreement:
    partnership: str  # partnership slug
    title: str
    kind: str
    status: str
    signed_years_ago: float | None = None
    effective_years_ago: float | None = None
    expires_in_days: int | None = None
    auto_expire: bool = False
    review_interval_months: int = 12
    auditor: str | None = None  # organization slug
    visibility: str = Visibility.PUBLIC
    supersedes: str | None = None  # title of another demo agreement
    # (category, direction, purpose, legal basis, surveillance, onward sharing, retention days)
    terms: list[tuple[str, str, str, str, str, bool, int | None]] = field(default_factory=list)
    reviews: list[DemoReview] = field(default_factory=list)


OVERSIGHT_ORGANIZATIONS = [
    # (slug, name, kind, country, region, description)
    (
        "civilian-oversight-board-demo",
        "Civilian Oversight Board (demo)",
        Organization.Kind.OVERSIGHT_BODY,
        "",
        "",
        "An illustrative independent oversight body for the demo registry.",
    ),
    (
        "community-advisory-board-demo",
        "Community Advisory Board (demo)",
        Organization.Kind.COMMUNITY_BOARD,
        "",
        "",
        "An illustrative community advisory board for the demo registry.",
    ),
    (
        "data-protection-auditors-demo",
        "Data Protection Auditors (demo)",
        Organization.Kind.AUDITOR,
        "",
        "",
        "An illustrative independent auditor for the demo registry.",
    ),
]

# A fictional partnership, restricted, to which the demo staff accounts belong.
NORTHBRIDGE = {
    "ngo": ("northbridge-womens-refuge-demo", "Northbridge Women's Refuge (demo)"),
    "police": ("northbridge-constabulary-demo", "Northbridge Constabulary (demo)"),
    "partnership": "northbridge-womens-refuge-northbridge-constabulary-demo",
}

BOARD = "civilian-oversight-board-demo"
COMMUNITY = "community-advisory-board-demo"
AUDITORS = "data-protection-auditors-demo"

AGREEMENTS = [
    DemoAgreement(
        partnership="safe-horizon-new-york-police-department",
        title="Domestic violence referral MOU",
        kind=Agreement.Kind.MOU,
        status=Agreement.Status.ACTIVE,
        signed_years_ago=3,
        effective_years_ago=3,
        expires_in_days=730,
        auditor=AUDITORS,
        terms=[
            (
                Category.AGGREGATE_STATISTICS,
                Direction.POLICE_TO_NGO,
                "Monthly counts of domestic incident reports, for service planning.",
                Basis.PUBLIC_TASK,
                Practice.NONE,
                False,
                365,
            ),
        ],
        reviews=[
            DemoReview(
                BOARD,
                Review.Kind.SCHEDULED_REVIEW,
                started_months_ago=6,
                completed_months_ago=5,
                outcome=Review.Outcome.COMPLIANT,
                summary="Referrals and statistics are shared as the MOU describes.",
            ),
        ],
    ),
    DemoAgreement(
        partnership="safe-horizon-new-york-police-department",
        title="Victim information sharing protocol",
        kind=Agreement.Kind.DATA_SHARING,
        status=Agreement.Status.ACTIVE,
        signed_years_ago=2,
        effective_years_ago=2,
        terms=[
            (
                Category.VICTIM_RECORDS,
                Direction.NGO_TO_POLICE,
                "Victim statements passed to investigators when the victim agrees.",
                Basis.CONSENT,
                Practice.NONE,
                False,
                None,
            ),
        ],
        reviews=[
            DemoReview(
                BOARD,
                Review.Kind.SCHEDULED_REVIEW,
                started_months_ago=16,
                completed_months_ago=15,
                outcome=Review.Outcome.CONCERNS,
                summary="Consent is recorded, but no retention period is stated.",
                notes="Board member spoke to two caseworkers; names withheld.",
            ),
        ],
    ),
    DemoAgreement(
        partnership="la-strada-international-metropolitan-police-service-london",
        title="Anti-trafficking cooperation MOU (1995)",
        kind=Agreement.Kind.MOU,
        status=Agreement.Status.SUPERSEDED,
        signed_years_ago=31,
        effective_years_ago=31,
        terms=[
            (
                Category.AGGREGATE_STATISTICS,
                Direction.BIDIRECTIONAL,
                "Annual figures on identified victims of trafficking.",
                Basis.NONE_STATED,
                Practice.NONE,
                False,
                None,
            ),
        ],
    ),
    DemoAgreement(
        partnership="la-strada-international-metropolitan-police-service-london",
        title="Anti-trafficking cooperation MOU (2018)",
        kind=Agreement.Kind.MOU,
        status=Agreement.Status.ACTIVE,
        signed_years_ago=8,
        effective_years_ago=8,
        expires_in_days=-30,
        auditor="metropolitan-police-service-london",
        supersedes="Anti-trafficking cooperation MOU (1995)",
        terms=[
            (
                Category.CASE_RECORDS,
                Direction.BIDIRECTIONAL,
                "Case files of referred victims, to coordinate support and investigation.",
                Basis.LEGAL_OBLIGATION,
                Practice.NONE,
                False,
                2190,
            ),
            (
                Category.PERSONAL_IDENTIFIABLE,
                Direction.NGO_TO_POLICE,
                "Names and contact details of victims willing to give evidence.",
                Basis.CONSENT,
                Practice.NONE,
                False,
                2190,
            ),
        ],
        reviews=[
            DemoReview(
                BOARD,
                Review.Kind.AUDIT,
                started_months_ago=7,
                completed_months_ago=6,
                outcome=Review.Outcome.COMPLIANT,
                summary="Case files are exchanged through the agreed secure channel.",
            ),
        ],
    ),
    DemoAgreement(
        partnership="child-rights-and-you-cry-mumbai-police",
        title="Child protection referral MOU",
        kind=Agreement.Kind.MOU,
        status=Agreement.Status.SIGNED,
        signed_years_ago=0.05,
        effective_years_ago=-0.03,
        expires_in_days=1095,
        auditor=AUDITORS,
        terms=[
            (
                Category.AGGREGATE_STATISTICS,
                Direction.POLICE_TO_NGO,
                "Quarterly counts of children referred to child welfare committees.",
                Basis.PUBLIC_TASK,
                Practice.NONE,
                False,
                730,
            ),
        ],
    ),
    DemoAgreement(
        partnership="white-ribbon-australia-victoria-police",
        title="Online safety programme agreement",
        kind=Agreement.Kind.SERVICE,
        status=Agreement.Status.ACTIVE,
        signed_years_ago=4,
        effective_years_ago=4,
        expires_in_days=400,
        auditor=AUDITORS,
        terms=[
            (
                Category.SOCIAL_MEDIA_DATA,
                Direction.POLICE_TO_NGO,
                "Public posts flagged as threats, shared for outreach to those at risk.",
                Basis.LEGITIMATE_INTERESTS,
                Practice.SOCIAL_MEDIA_MONITORING,
                False,
                90,
            ),
        ],
        reviews=[
            DemoReview(
                AUDITORS,
                Review.Kind.DPIA,
                started_months_ago=3,
                completed_months_ago=2,
                outcome=Review.Outcome.CONCERNS,
                summary="The monitoring is broader than the programme needs.",
            ),
            DemoReview(
                BOARD,
                Review.Kind.AUDIT,
                started_months_ago=3,
                completed_months_ago=2,
                outcome=Review.Outcome.NON_COMPLIANT,
                summary="Monitoring continued after the programme's pilot area ended.",
                findings=[
                    (
                        "major",
                        "Monitoring covers suburbs outside the agreed pilot area.",
                        "Limit monitoring to the pilot area and delete data from elsewhere.",
                        -10,
                        False,
                    ),
                    (
                        "minor",
                        "No log of who accessed the shared posts.",
                        "Keep an access log.",
                        -40,
                        True,
                    ),
                ],
            ),
        ],
    ),
    DemoAgreement(
        partnership="prerana-mumbai-police",
        title="Anti-trafficking rescue protocol",
        kind=Agreement.Kind.MOU,
        status=Agreement.Status.NEGOTIATING,
        terms=[
            (
                Category.PERSONAL_IDENTIFIABLE,
                Direction.BIDIRECTIONAL,
                "Identities of rescued persons, to arrange shelter and testimony.",
                Basis.VITAL_INTERESTS,
                Practice.NONE,
                True,
                None,
            ),
        ],
    ),
    DemoAgreement(
        partnership="childline-south-africa-south-african-police-service",
        title="National helpline referral MOU",
        kind=Agreement.Kind.MOU,
        status=Agreement.Status.EXPIRED,
        signed_years_ago=16,
        effective_years_ago=16,
        expires_in_days=-365,
        auto_expire=True,
        auditor=AUDITORS,
        terms=[
            (
                Category.CASE_RECORDS,
                Direction.NGO_TO_POLICE,
                "Helpline reports of child abuse passed to the police for investigation.",
                Basis.LEGAL_OBLIGATION,
                Practice.NONE,
                True,
                1825,
            ),
        ],
    ),
    DemoAgreement(
        partnership="local-gang-prevention-ngos-los-angeles-police-department",
        title="Community outreach MOU",
        kind=Agreement.Kind.MOU,
        status=Agreement.Status.TERMINATED,
        signed_years_ago=12,
        effective_years_ago=12,
        terms=[
            (
                Category.BODY_WORN_CAMERA_FOOTAGE,
                Direction.POLICE_TO_NGO,
                "Footage of stops shown to outreach workers for follow-up.",
                Basis.NONE_STATED,
                Practice.BODY_WORN_CAMERAS,
                False,
                None,
            ),
        ],
    ),
    DemoAgreement(
        partnership="mental-health-ngos-new-york-police-department",
        title="Crisis co-response agreement",
        kind=Agreement.Kind.SERVICE,
        status=Agreement.Status.ACTIVE,
        signed_years_ago=3,
        effective_years_ago=3,
        expires_in_days=-3,
        auto_expire=True,
        auditor=AUDITORS,
        terms=[
            (
                Category.SPECIAL_CATEGORY,
                Direction.NGO_TO_POLICE,
                "Mental health history of a person in crisis, shared with responding officers.",
                Basis.VITAL_INTERESTS,
                Practice.NONE,
                False,
                30,
            ),
        ],
        reviews=[
            DemoReview(
                AUDITORS,
                Review.Kind.DPIA,
                started_months_ago=12,
                completed_months_ago=11,
                outcome=Review.Outcome.COMPLIANT,
                summary="Sharing is limited to what responders need on a call.",
            ),
        ],
    ),
    DemoAgreement(
        partnership="toronto-community-safety-partnership-toronto-police-service",
        title="Transparency reporting MOU",
        kind=Agreement.Kind.MOU,
        status=Agreement.Status.ACTIVE,
        signed_years_ago=5,
        effective_years_ago=5,
        auditor=COMMUNITY,
        terms=[
            (
                Category.AGGREGATE_STATISTICS,
                Direction.POLICE_TO_NGO,
                "Figures for the annual transparency report.",
                Basis.PUBLIC_TASK,
                Practice.NONE,
                False,
                None,
            ),
        ],
        reviews=[
            DemoReview(
                COMMUNITY,
                Review.Kind.COMMUNITY_REVIEW,
                started_months_ago=4,
                completed_months_ago=3,
                outcome=Review.Outcome.COMPLIANT,
                summary="The annual report was published with all agreed figures.",
            ),
        ],
    ),
    DemoAgreement(
        partnership="toronto-community-safety-partnership-toronto-police-service",
        title="Neighbourhood data-sharing agreement",
        kind=Agreement.Kind.DATA_SHARING,
        status=Agreement.Status.DRAFT,
        terms=[
            (
                Category.AGGREGATE_STATISTICS,
                Direction.BIDIRECTIONAL,
                "Neighbourhood-level counts of calls for service and referrals.",
                Basis.PUBLIC_TASK,
                Practice.NONE,
                False,
                365,
            ),
        ],
    ),
    DemoAgreement(
        partnership="local-ngos-independent-policing-oversight-authority",
        title="Community reporting MOU",
        kind=Agreement.Kind.MOU,
        status=Agreement.Status.ACTIVE,
        signed_years_ago=6,
        effective_years_ago=6,
        auditor="independent-policing-oversight-authority",
        terms=[
            (
                Category.CASE_RECORDS,
                Direction.NGO_TO_POLICE,
                "Complaints of police misconduct gathered by community monitors.",
                Basis.PUBLIC_TASK,
                Practice.NONE,
                False,
                None,
            ),
        ],
        reviews=[
            DemoReview(
                "independent-policing-oversight-authority",
                Review.Kind.SCHEDULED_REVIEW,
                started_months_ago=8,
                completed_months_ago=7,
                outcome=Review.Outcome.COMPLIANT,
                summary="A review by a party to the partnership: not independent.",
            ),
        ],
    ),
    DemoAgreement(
        partnership="ngos-monitoring-police-conduct-independent-police-investigative-directorate",
        title="Police conduct monitoring MOU",
        kind=Agreement.Kind.MOU,
        status=Agreement.Status.DRAFT,
        review_interval_months=24,
        auditor=BOARD,
        terms=[
            (
                Category.AGGREGATE_STATISTICS,
                Direction.POLICE_TO_NGO,
                "Quarterly figures on complaints and their outcomes.",
                Basis.PUBLIC_TASK,
                Practice.NONE,
                False,
                None,
            ),
        ],
        reviews=[DemoReview(BOARD, Review.Kind.SCHEDULED_REVIEW, status=Review.Status.SCHEDULED)],
    ),
    DemoAgreement(
        partnership=NORTHBRIDGE["partnership"],
        title="Northbridge safeguarding data-sharing agreement",
        kind=Agreement.Kind.DATA_SHARING,
        status=Agreement.Status.ACTIVE,
        signed_years_ago=1.5,
        effective_years_ago=1.5,
        expires_in_days=500,
        review_interval_months=6,
        visibility=Visibility.RESTRICTED,
        terms=[
            (
                Category.BIOMETRIC_DATA,
                Direction.NGO_TO_POLICE,
                "Photographs of refuge residents matched against offender images.",
                Basis.LEGITIMATE_INTERESTS,
                Practice.FACIAL_RECOGNITION,
                False,
                180,
            ),
        ],
        reviews=[
            DemoReview(
                BOARD,
                Review.Kind.DPIA,
                status=Review.Status.IN_PROGRESS,
                started_months_ago=1,
                notes="Restricted: residents' representative to be interviewed.",
            ),
        ],
    ),
]


def months_ago(today: date, months: int | None) -> date | None:
    return None if months is None else today - relativedelta(months=months)


def years_ago(today: date, years: float | None) -> date | None:
    return None if years is None else today - relativedelta(days=round(years * 365.25))


def organization_slug(name: str, country: str) -> str:
    # Collective names ("Local NGOs") are not unique across countries.
    slug = slugify(name)
    return f"{slug}-{country.lower()}" if "ngos" in slug.split("-") else slug


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    accounts: list[tuple[str, str, str | None]] = field(default_factory=list)

    def count(self, label: str, created: bool) -> None:
        self.created[label] = self.created.get(label, 0) + int(created)


def get_or_create(report: LoadReport, model, defaults=None, **lookup):
    obj, created = model.objects.get_or_create(defaults=defaults or {}, **lookup)
    report.count(model._meta.verbose_name_plural, created)
    return obj


@transaction.atomic
def load_demo_registry(*, today: date, reset_passwords: bool = False) -> LoadReport:
    """Load the demo registry.

    1. The partnerships of the seed table, with their NGO and police parties.
    2. The fictional, restricted Northbridge partnership and the oversight organizations.
    3. Agreements, their signatories and data-sharing terms, reviews and findings.
    4. One account per kind of user.
    5. The publication workflow at work: a fictional public partnership of the demo staff's
       organizations with a withheld value, a submission and a change of the published
       partnership waiting for the other party's approval, and an announced embargo.
    6. Public feedback on that partnership: published, answered, hidden, reported.
    7. ``next_review_due`` of each agreement, from its reviews.
    8. Joint activities with their results on that partnership and two of the seed table,
       and its published transparency report of last year (``demo/activities.py``).
    9. The facts the agreements and partnerships store (``agreements.derived``): the rows
       above were written as they are, not through the services that store them.
    """
    report = LoadReport()
    with SEED_CSV.open(newline="", encoding="utf-8") as seed:
        for row in csv.DictReader(seed):
            _load_seed_row(report, row, today)
    _load_northbridge(report)
    for slug, name, kind, country, region, description in OVERSIGHT_ORGANIZATIONS:
        get_or_create(
            report,
            Organization,
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "country": country,
                "region": region,
                "description": description,
                "scope": Organization.Scope.NATIONAL,
            },
        )
    for spec in AGREEMENTS:
        _load_agreement(report, spec, today)
    _load_accounts(report, reset_passwords)
    _load_workflow_examples(report, today)
    report.count(
        "feedback",
        load_demo_feedback(
            partnership_slug=REFUGE_REFERRALS["slug"], ngo_slug=NORTHBRIDGE["ngo"][0]
        ),
    )
    next_reviews_due()
    seeded = Partnership.objects.public().exclude(slug=REFUGE_REFERRALS["slug"]).order_by("pk")
    demo_slugs = [REFUGE_REFERRALS["slug"], *seeded.values_list("slug", flat=True)[:2]]
    report.count(
        "joint activities", load_demo_activities(partnership_slugs=demo_slugs, today=today)
    )
    report.count(
        "transparency reports",
        load_demo_report(partnership_slug=REFUGE_REFERRALS["slug"], today=today),
    )
    derived_facts_refresh()
    return report


def next_reviews_due() -> None:
    """Store each agreement's ``next_review_due``, from its reviews (the demo's rows are
    written as they are, not through the services that keep it)."""
    for agreement in Agreement.objects.prefetch_related("reviews"):
        due = agreement.compute_next_review_due()
        if agreement.next_review_due != due:
            Agreement.objects.filter(pk=agreement.pk).update(next_review_due=due)


def _load_seed_row(report: LoadReport, row: dict[str, str], today: date) -> None:
    country, region = row["country"], row["region"]
    ngo = get_or_create(
        report,
        Organization,
        slug=organization_slug(row["ngo"], country),
        defaults={
            "name": row["ngo"],
            "kind": Organization.Kind.NGO,
            "country": country,
            "region": region,
        },
    )
    police_name = row["police_agency"]
    oversight = CIVILIAN_OVERSIGHT.get(police_name)
    police = get_or_create(
        report,
        Organization,
        slug=organization_slug(police_name, country),
        defaults={
            "name": police_name,
            "kind": Organization.Kind.OVERSIGHT_BODY
            if oversight
            else Organization.Kind.POLICE_AGENCY,
            "country": country,
            "region": region,
            "description": oversight or "",
            "scope": Organization.Scope.NATIONAL if oversight else Organization.Scope.LOCAL,
        },
    )
    year = row["year_established"]
    summary = f"{ngo.name} and {police_name}: {row['focus_area'].replace('-', ' ')}."
    if row["note"]:
        summary += f" Source note: {row['note']}."
    slug = slugify(f"{ngo.name} {police_name}")[:200]
    status, ended_years_ago = PARTNERSHIP_STATUS.get(slug, (Partnership.Status.ACTIVE, None))
    partnership = get_or_create(
        report,
        Partnership,
        slug=slug,
        defaults={
            "title": f"{ngo.name} – {police_name}",
            "status": status,
            "ended_on": years_ago(today, ended_years_ago),
            "region": region,
            "country": country,
            "established_on": date(int(year), 1, 1) if year else None,
            "established_precision": Partnership.DatePrecision.YEAR,
            "public_summary": summary,
            "publication_status": PublicationStatus.PUBLISHED,
        },
    )
    partnership.focus_areas.add(FocusArea.objects.get(slug=row["focus_area"]))
    get_or_create(
        report,
        PartnershipParty,
        partnership=partnership,
        organization=ngo,
        defaults={"role": PartnershipParty.Role.LEAD_NGO},
    )
    get_or_create(
        report,
        PartnershipParty,
        partnership=partnership,
        organization=police,
        defaults={"role": PartnershipParty.Role.POLICE_AGENCY},
    )
    _cite_note_source(report, partnership, row["note"])


def _cite_note_source(report: LoadReport, partnership: Partnership, note: str) -> None:
    """The source a seed row's note names (``NOTE_ADDRESS``), cited once: an address the
    registry has already is that source (``Source.objects.with_url``)."""
    match = NOTE_ADDRESS.search(note)
    if match is None:
        return
    url = match.group().rstrip(".,;:)")
    title = f"{note[: match.start()]} {note[match.end() :]}".strip(" .,;:()-–") or url
    source = Source.objects.with_url(url).first()
    report.count(Source._meta.verbose_name_plural, source is None)
    if source is None:
        source = Source(url=url, title=title[:300], kind=Source.Kind.OTHER)
        source.full_clean()
        source.save()
    partnership.sources.add(source)


def _load_northbridge(report: LoadReport) -> None:
    (ngo_slug, ngo_name), (police_slug, police_name) = NORTHBRIDGE["ngo"], NORTHBRIDGE["police"]
    common = {
        "country": "GB",
        "region": "europe",
        "city": "Northbridge",
        "description": "A fictional organization of the demo registry.",
    }
    ngo = get_or_create(
        report,
        Organization,
        slug=ngo_slug,
        defaults={
            "name": ngo_name,
            "kind": Organization.Kind.NGO,
            "ngo_type": Organization.NgoType.VICTIM_SUPPORT,
            **common,
        },
    )
    police = get_or_create(
        report,
        Organization,
        slug=police_slug,
        defaults={"name": police_name, "kind": Organization.Kind.POLICE_AGENCY, **common},
    )
    partnership = get_or_create(
        report,
        Partnership,
        slug=NORTHBRIDGE["partnership"],
        defaults={
            "title": f"{ngo_name} – {police_name}",
            "status": Partnership.Status.ACTIVE,
            "region": "europe",
            "country": "GB",
            "established_on": date(2021, 3, 1),
            "established_precision": Partnership.DatePrecision.MONTH,
            "objectives": "Safeguarding of refuge residents at risk of serious harm.",
            "public_summary": "A fictional, restricted partnership of the demo registry.",
            "visibility": Visibility.RESTRICTED,
        },
    )
    partnership.focus_areas.add(
        *FocusArea.objects.filter(slug__in=["domestic-violence", "victim-support"])
    )
    get_or_create(
        report,
        PartnershipParty,
        partnership=partnership,
        organization=ngo,
        defaults={"role": PartnershipParty.Role.LEAD_NGO},
    )
    get_or_create(
        report,
        PartnershipParty,
        partnership=partnership,
        organization=police,
        defaults={"role": PartnershipParty.Role.POLICE_AGENCY},
    )


def _load_agreement(report: LoadReport, spec: DemoAgreement, today: date) -> None:
    partnership = Partnership.objects.get(slug=spec.partnership)
    signed_on = years_ago(today, spec.signed_years_ago)
    effective_from = years_ago(today, spec.effective_years_ago)
    agreement = get_or_create(
        report,
        Agreement,
        partnership=partnership,
        title=spec.title,
        defaults={
            "kind": spec.kind,
            "status": spec.status,
            "signed_on": signed_on,
            "effective_from": effective_from,
            "expires_on": None
            if spec.expires_in_days is None
            else today + relativedelta(days=spec.expires_in_days),
            "auto_expire": spec.auto_expire,
            "review_interval_months": spec.review_interval_months,
            "independent_auditor": Organization.objects.get(slug=spec.auditor)
            if spec.auditor
            else None,
            "visibility": spec.visibility,
            "publication_status": PublicationStatus.PUBLISHED
            if spec.visibility == Visibility.PUBLIC
            else PublicationStatus.DRAFT,
            "supersedes": Agreement.objects.get(partnership=partnership, title=spec.supersedes)
            if spec.supersedes
            else None,
            "public_summary": DEMO_NOTE,
        },
    )
    if signed_on:
        for party in partnership.parties.filter(
            role__in=[PartnershipParty.Role.LEAD_NGO, PartnershipParty.Role.POLICE_AGENCY]
        ):
            get_or_create(
                report,
                AgreementSignatory,
                agreement=agreement,
                organization_id=party.organization_id,
                defaults={"signed_on": signed_on},
            )
    for category, direction, purpose, basis, practice, onward, retention in spec.terms:
        get_or_create(
            report,
            DataSharingTerm,
            agreement=agreement,
            data_category=category,
            direction=direction,
            defaults={
                "purpose": purpose,
                "legal_basis": basis,
                "surveillance_practice": practice,
                "onward_sharing_allowed": onward,
                "retention_days": retention,
                "consent_required": basis == Basis.CONSENT,
            },
        )
    for review_spec in spec.reviews:
        review = get_or_create(
            report,
            Review,
            agreement=agreement,
            kind=review_spec.kind,
            reviewer=Organization.objects.get(slug=review_spec.reviewer),
            defaults={
                "status": review_spec.status,
                "started_on": months_ago(today, review_spec.started_months_ago),
                "completed_on": months_ago(today, review_spec.completed_months_ago),
                "outcome": review_spec.outcome,
                "public_summary": review_spec.summary,
                "notes": review_spec.notes,
            },
        )
        for severity, summary, action, due_in_days, resolved in review_spec.findings:
            due_on = today + relativedelta(days=due_in_days)
            get_or_create(
                report,
                Finding,
                review=review,
                summary=summary,
                defaults={
                    "severity": severity,
                    "corrective_action": action,
                    "due_on": due_on,
                    "status": Finding.Status.RESOLVED if resolved else Finding.Status.OPEN,
                    "resolved_on": due_on if resolved else None,
                },
            )


DEMO_ACCOUNTS = [
    # (username, organization slug or None for the site administrator, membership role)
    ("ngo-editor", NORTHBRIDGE["ngo"][0], Membership.Role.EDITOR),
    ("police-editor", NORTHBRIDGE["police"][0], Membership.Role.EDITOR),
    ("board-member", BOARD, Membership.Role.EDITOR),
    ("admin", None, None),
]


def _load_accounts(report: LoadReport, reset_passwords: bool) -> None:
    User = get_user_model()
    for username, organization_slug_, role in DEMO_ACCOUNTS:
        is_admin = organization_slug_ is None
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@registry.invalid",
                "is_staff": is_admin,
                "is_superuser": is_admin,
            },
        )
        report.count("demo accounts", created)
        password = None
        if created or reset_passwords:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
        if not is_admin:
            get_or_create(
                report,
                Membership,
                user=user,
                organization=Organization.objects.get(slug=organization_slug_),
                defaults={"role": role},
            )
        report.accounts.append((username, organization_slug_ or "site administrator", password))


# The publication workflow, shown on records of the demo staff's own organizations.
REFUGE_REFERRALS = {
    "slug": "northbridge-refuge-referral-partnership-demo",
    "title": "Northbridge refuge referral partnership (demo)",
}


def _load_workflow_examples(report: LoadReport, today: date) -> None:
    User = get_user_model()
    ngo_editor = User.objects.get(username="ngo-editor")
    police_editor = User.objects.get(username="police-editor")
    now = timezone.now()
    partnership = get_or_create(
        report,
        Partnership,
        slug=REFUGE_REFERRALS["slug"],
        defaults={
            "title": REFUGE_REFERRALS["title"],
            "status": Partnership.Status.ACTIVE,
            "region": "europe",
            "country": "GB",
            "established_on": years_ago(today, 1),
            "established_precision": Partnership.DatePrecision.MONTH,
            "objectives": "Officers refer women at risk of domestic abuse to the refuge, "
            "day and night.",
            "roles_and_responsibilities": "Officers bring referred women to the refuge at "
            "14 Alder Row, Northbridge; the refuge keeps its own records.",
            "public_summary": DEMO_NOTE,
            "publication_status": PublicationStatus.PUBLISHED,
            "submitted_by": ngo_editor,
            "submitted_at": now,
            "published_at": now,
        },
    )
    for slug, role in (
        (NORTHBRIDGE["ngo"][0], PartnershipParty.Role.LEAD_NGO),
        (NORTHBRIDGE["police"][0], PartnershipParty.Role.POLICE_AGENCY),
    ):
        get_or_create(
            report,
            PartnershipParty,
            partnership=partnership,
            organization=Organization.objects.get(slug=slug),
            defaults={"role": role},
        )
    # A refuge's address is never published: withheld for the survivors' safety.
    get_or_create(
        report,
        Withholding,
        content_type=ContentType.objects.get_for_model(Partnership),
        object_id=partnership.pk,
        field="roles_and_responsibilities",
        defaults={
            "reason_code": WithholdingReason.SURVIVOR_SAFETY,
            "rationale": "The text gives the address of the refuge, whose location is kept "
            "from the public to protect the women staying there.",
            "created_by": ngo_editor,
            "confirmed_by": police_editor,
            "confirmed_at": now,
        },
    )
    common = {
        "kind": Agreement.Kind.MOU,
        "status": Agreement.Status.SIGNED,
        "signed_on": today - relativedelta(days=20),
        "effective_from": today + relativedelta(days=10),
        "public_summary": DEMO_NOTE,
    }
    # Submitted by the refuge's editor; the constabulary's editor approves or sends it back.
    get_or_create(
        report,
        Agreement,
        partnership=partnership,
        title="Northbridge out-of-hours referral MOU (demo)",
        defaults={
            **common,
            "publication_status": PublicationStatus.SUBMITTED,
            "submitted_by": ngo_editor,
            "submitted_at": now,
        },
    )
    # Approved, published automatically by the daily job once its embargo lifts.
    get_or_create(
        report,
        Agreement,
        partnership=partnership,
        title="Northbridge joint safeguarding training agreement (demo)",
        defaults={
            **common,
            "publication_status": PublicationStatus.EMBARGOED,
            "submitted_by": police_editor,
            "submitted_at": now,
            "embargoed_until": today + relativedelta(days=14),
            "embargo_reason": "Announced with the training programme's launch.",
            "embargo_announced": True,
        },
    )
    # A change of the published partnership, waiting for the constabulary's approval: the
    # public keeps the published objectives until then.
    if not Revision.objects.of_record(partnership).exists():
        form = PartnershipForm(instance=partnership)
        data = {name: form[name].value() for name in form.fields}
        data["objectives"] = (
            "Officers refer women at risk of domestic abuse to the refuge, day and night, "
            "and the refuge's outreach workers join the constabulary's weekly safeguarding "
            "meeting."
        )
        revision_store(record=partnership, actor=ngo_editor, form_data=data)
        report.count("Pending revision", True)
