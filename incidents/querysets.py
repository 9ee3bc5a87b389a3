"""Incidents asked of many rows at once: who sees which, and the notification rule
(``models.py`` imports this)."""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Exists, F, FloatField, Func, OuterRef, Q

from agreements.models import Agreement
from partnerships.models import PartnershipParty
from partnerships.querysets import sees_every_record
from publication.choices import PublicationStatus

from .choices import IncidentKind, IncidentStatus

# GDPR Art. 33(1) and the Law Enforcement Directive Art. 30(1): a personal-data breach is
# notified to the supervisory authority within 72 hours of its discovery, or the
# notification gives the reasons for the delay.
NOTIFICATION_DEADLINE = timedelta(hours=72)

# An incident closed, or open this long after its discovery, should have been followed by
# a completed review of its agreement (the ``incident_without_review`` flag).
REVIEW_EXPECTED_WITHIN = timedelta(days=60)


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    """Hours from ``start`` to ``end``, rounded to a tenth (the rounding the annotation
    ``with_hours_to_notify`` applies in SQL); None when either is missing."""
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 1)


class HoursBetween(Func):
    """SQL of ``hours_between``: the hours between two timestamps, to a tenth."""

    template = "ROUND((EXTRACT(EPOCH FROM (%(expressions)s)) / 3600)::numeric, 1)::float"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, start, end, **extra):
        super().__init__(end, start, **extra)


class IncidentQuerySet(models.QuerySet):
    # Visibility ---------------------------------------------------------------

    def public(self):
        """Incidents an anonymous reader may see: published by the workflow, on at least one
        agreement, and every agreement they are recorded on public (an incident never gives
        away a restricted or unpublished agreement)."""
        through = self.model.agreements.through
        non_public = through.objects.filter(incident=OuterRef("pk")).exclude(
            agreement__in=Agreement.objects.public()
        )
        any_agreement = through.objects.filter(incident=OuterRef("pk"))
        return self.filter(
            Q(publication_status=PublicationStatus.PUBLISHED)
            & Q(Exists(any_agreement))
            & ~Q(Exists(non_public))
        )

    # The manager's name for it, as the brief of every public surface says.
    published = public

    def visible_to(self, user):
        """Public incidents, plus every incident on an agreement of a partnership one of the
        user's organizations is a party to; oversight members and administrators see all."""
        if not user.is_authenticated:
            return self.public()
        if sees_every_record(user):
            return self.all()
        through = self.model.agreements.through
        of_member = PartnershipParty.objects.of_member(user).filter(
            partnership=OuterRef("agreement__partnership")
        )
        theirs = through.objects.filter(incident=OuterRef("pk")).filter(Exists(of_member))
        return self.filter(Q(pk__in=self.public().values("pk")) | Q(Exists(theirs)))

    def on_agreement(self, agreement):
        return self.filter(agreements=agreement)

    # Notification ---------------------------------------------------------------

    def with_hours_to_notify(self):
        """Annotate ``notified_after_hours``: the hours from discovery to the notification
        of the authority (None while not notified). ``Incident.hours_to_notify`` reads it."""
        return self.annotate(
            notified_after_hours=HoursBetween(F("discovered_at"), F("reported_to_authority_at"))
        )

    def notified_late(self, now: datetime):
        """Data breaches notified to the authority more than ``NOTIFICATION_DEADLINE`` after
        their discovery, or not notified although the deadline has passed by ``now``, with no
        reason given for the delay. Exactly 72 hours is in time."""
        late = Q(
            reported_to_authority_at__isnull=False,
            reported_to_authority_at__gt=F("discovered_at") + NOTIFICATION_DEADLINE,
        ) | Q(reported_to_authority_at__isnull=True, discovered_at__lt=now - NOTIFICATION_DEADLINE)
        return self.filter(late, kind=IncidentKind.DATA_BREACH, delay_reason="")

    def review_expected(self, now: datetime):
        """Incidents after which a review of the agreement is expected by ``now``: closed,
        or still open ``REVIEW_EXPECTED_WITHIN`` after their discovery (that instant
        included)."""
        return self.filter(
            Q(status=IncidentStatus.CLOSED) | Q(discovered_at__lte=now - REVIEW_EXPECTED_WITHIN)
        )

    def counted_by_flags(self):
        """The incidents the flagging job reads: approved for publication (a draft is not
        yet a recorded fact, and a flag is public with its agreement)."""
        return self.filter(publication_status=PublicationStatus.PUBLISHED)
