"""Factories of joint activities and their results (the reports' tests use them too)."""

import datetime as dt
from decimal import Decimal

import factory

from activities.models import Activity, ActivityResult, Indicator
from publication.choices import PublicationStatus
from tests.factories import PartnershipFactory


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity
        skip_postgeneration_save = True

    partnership = factory.SubFactory(PartnershipFactory)
    kind = Activity.Kind.TRAINING
    title = factory.Sequence(lambda n: f"Training on trauma-informed interviews {n}")
    description = "Two-day training for custody officers."
    started_on = dt.date(2025, 3, 1)
    ended_on = dt.date(2025, 3, 2)
    # On the public record unless a test says otherwise.
    publication_status = PublicationStatus.PUBLISHED

    @factory.post_generation
    def organizations(self, create, extracted, **kwargs):
        if create and extracted:
            self.organizations.set(extracted)


class ActivityResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityResult

    activity = factory.SubFactory(ActivityFactory)
    indicator = Indicator.PEOPLE_TRAINED
    value = Decimal("24")
    unit = "people"
    period_start = dt.date(2025, 3, 1)
    period_end = dt.date(2025, 3, 2)
