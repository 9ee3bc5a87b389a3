"""factory_boy factories for every registry model."""

import datetime as dt
import hashlib

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from agreements.derived import derived_facts_refresh, partnership_derived_facts_refresh
from agreements.models import Agreement, AgreementDocument, AgreementSignatory, DataSharingTerm
from oversight.models import Finding, Flag, Review
from partnerships.models import (
    FocusArea,
    Membership,
    Organization,
    Partnership,
    PartnershipParty,
    Region,
    Source,
)
from publication.choices import PublicationStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")
    kind = Organization.Kind.NGO
    ngo_type = factory.Maybe(
        factory.LazyAttribute(lambda o: o.kind == Organization.Kind.NGO),
        yes_declaration=Organization.NgoType.VICTIM_SUPPORT,
        no_declaration="",
    )
    scope = Organization.Scope.LOCAL
    country = "GB"
    region = Region.EUROPE


class NgoFactory(OrganizationFactory):
    kind = Organization.Kind.NGO


class PoliceAgencyFactory(OrganizationFactory):
    kind = Organization.Kind.POLICE_AGENCY
    name = factory.Sequence(lambda n: f"Police Service {n}")
    slug = factory.Sequence(lambda n: f"police-service-{n}")


class OversightBodyFactory(OrganizationFactory):
    kind = Organization.Kind.OVERSIGHT_BODY
    name = factory.Sequence(lambda n: f"Oversight Board {n}")
    slug = factory.Sequence(lambda n: f"oversight-board-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(NgoFactory)
    role = Membership.Role.EDITOR


class FocusAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FocusArea
        django_get_or_create = ("slug",)

    slug = "domestic-violence"
    name = factory.LazyAttribute(lambda f: f.slug.replace("-", " ").capitalize())


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Report {n}")
    url = factory.Sequence(lambda n: f"https://news.example.org/report-{n}")
    kind = Source.Kind.NEWS_REPORT


class PartnershipFactory(factory.django.DjangoModelFactory):
    """A partnership with no parties; use ``partnership_with_parties`` for a full one."""

    class Meta:
        model = Partnership

    title = factory.Sequence(lambda n: f"Partnership {n}")
    slug = factory.Sequence(lambda n: f"partnership-{n}")
    status = Partnership.Status.ACTIVE
    region = Region.EUROPE
    country = "GB"
    established_on = dt.date(2020, 1, 1)
    # On the public record unless a test says otherwise (the workflow's own tests do).
    publication_status = PublicationStatus.PUBLISHED


def _derived_refresh(agreement: Agreement) -> None:
    """What the services do after a write: the agreement's derived facts stored anew, and
    shown by the instance the test holds."""
    derived_facts_refresh(agreement_ids=[agreement.pk])
    agreement.refresh_from_db(fields=Agreement.DERIVED_FIELDS)


class PartnershipPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnershipParty

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        party = super()._create(model_class, *args, **kwargs)
        partnership_derived_facts_refresh(partnership_ids=[party.partnership_id])
        return party

    partnership = factory.SubFactory(PartnershipFactory)
    organization = factory.SubFactory(NgoFactory)
    role = PartnershipParty.Role.LEAD_NGO


def partnership_with_parties(*, ngo=None, police=None, **kwargs) -> Partnership:
    """A partnership between an NGO (lead) and a police agency."""
    partnership = PartnershipFactory(**kwargs)
    PartnershipPartyFactory(
        partnership=partnership,
        organization=ngo or NgoFactory(),
        role=PartnershipParty.Role.LEAD_NGO,
    )
    PartnershipPartyFactory(
        partnership=partnership,
        organization=police or PoliceAgencyFactory(),
        role=PartnershipParty.Role.POLICE_AGENCY,
    )
    return partnership


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    partnership = factory.SubFactory(PartnershipFactory)
    kind = Agreement.Kind.MOU
    title = factory.Sequence(lambda n: f"Memorandum of understanding {n}")
    status = Agreement.Status.ACTIVE
    signed_on = dt.date(2024, 1, 1)
    effective_from = dt.date(2024, 1, 1)
    review_interval_months = 12
    publication_status = PublicationStatus.PUBLISHED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        agreement = super()._create(model_class, *args, **kwargs)
        _derived_refresh(agreement)
        return agreement


class AgreementSignatoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementSignatory

    agreement = factory.SubFactory(AgreementFactory)
    organization = factory.SubFactory(NgoFactory)
    signed_on = dt.date(2024, 1, 1)


class AgreementDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementDocument

    agreement = factory.SubFactory(AgreementFactory)
    version = factory.Sequence(lambda n: n + 1)
    sha256 = factory.LazyAttribute(lambda d: hashlib.sha256(f"v{d.version}".encode()).hexdigest())
    file = factory.django.FileField(filename="agreement.pdf", data=b"%PDF-1.4\n%%EOF\n")
    size_bytes = 15


class DataSharingTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataSharingTerm

    agreement = factory.SubFactory(AgreementFactory)
    data_category = DataSharingTerm.DataCategory.AGGREGATE_STATISTICS
    direction = DataSharingTerm.Direction.POLICE_TO_NGO
    purpose = "Monthly counts of referrals, for service planning."
    legal_basis = DataSharingTerm.LegalBasis.PUBLIC_TASK
    surveillance_practice = DataSharingTerm.SurveillancePractice.NONE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        term = super()._create(model_class, *args, **kwargs)
        _derived_refresh(term.agreement)
        return term


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    agreement = factory.SubFactory(AgreementFactory)
    reviewer = factory.SubFactory(OversightBodyFactory)
    kind = Review.Kind.SCHEDULED_REVIEW
    status = Review.Status.COMPLETED
    started_on = dt.date(2025, 1, 1)
    completed_on = dt.date(2025, 2, 1)
    outcome = Review.Outcome.COMPLIANT
    public_summary = "The agreement was reviewed against its terms."


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    review = factory.SubFactory(ReviewFactory)
    severity = Finding.Severity.MINOR
    summary = "Retention periods are not stated for case records."
    corrective_action = "State a retention period for every data category."
    due_on = dt.date(2025, 6, 1)


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    agreement = factory.SubFactory(AgreementFactory)
    kind = Flag.Kind.REVIEW_OVERDUE
    raised_at = factory.LazyFunction(timezone.now)


class IncidentFactory(factory.django.DjangoModelFactory):
    """A published data breach, notified in time; pass ``agreements=[...]``."""

    class Meta:
        model = "incidents.Incident"
        skip_postgeneration_save = True

    kind = "data_breach"
    title = factory.Sequence(lambda n: f"Incident {n}")
    discovered_at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    reported_to_authority_at = factory.LazyAttribute(
        lambda incident: incident.discovered_at + dt.timedelta(hours=24)
    )
    authority = "Information Commissioner's Office"
    nature = "Case files were sent to the wrong recipient."
    how_found = "internal_audit"
    publication_status = PublicationStatus.PUBLISHED

    @factory.post_generation
    def agreements(self, create, extracted, **kwargs):
        if create and extracted:
            self.agreements.set(extracted)
