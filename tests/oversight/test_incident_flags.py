"""The two flags incidents raise: a data breach notified late without a reason, and an
incident not followed by a review. Raised on the boundary, not just inside it, never
twice, and closed when the condition clears."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from incidents.models import Incident
from oversight.flagging import flagging_run
from oversight.models import Flag
from publication.choices import PublicationStatus
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
LATE = Flag.Kind.BREACH_NOTIFIED_LATE
UNREVIEWED = Flag.Kind.INCIDENT_WITHOUT_REVIEW


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership)


def breach(agreement, **fields):
    return factories.IncidentFactory(agreements=[agreement], **fields)


def open_kinds(agreement) -> set[str]:
    return set(agreement.flags.open().values_list("kind", flat=True))


def run():
    return flagging_run(now=timezone.now())


# breach_notified_late ---------------------------------------------------------------


def test_a_breach_reported_exactly_72_hours_after_discovery_is_in_time(agreement):
    discovered = dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC)
    breach(
        agreement,
        discovered_at=discovered,
        reported_to_authority_at=discovered + dt.timedelta(hours=72),
    )

    run()

    assert LATE not in open_kinds(agreement)


def test_a_breach_reported_a_minute_past_72_hours_raises_the_flag(agreement):
    discovered = dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC)
    breach(
        agreement,
        discovered_at=discovered,
        reported_to_authority_at=discovered + dt.timedelta(hours=72, minutes=1),
    )

    report = run()

    flag = agreement.flags.open().get(kind=LATE)
    assert flag.raised_at == NOW
    assert "72 hours" in flag.detail
    assert report.raised[LATE] == 1


def test_hours_are_counted_between_instants_whatever_the_time_zones(agreement):
    # Discovered 09:00 in London (summer time, 08:00 UTC); reported 10:00 in New York
    # three days later (14:00 UTC): 78 hours, although the wall clocks say 73.
    discovered = dt.datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    reported = dt.datetime(2026, 6, 4, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    incident = breach(agreement, discovered_at=discovered, reported_to_authority_at=reported)

    run()

    assert LATE in open_kinds(agreement)
    assert incident.hours_to_notify == 78.0
    annotated = Incident.objects.with_hours_to_notify().get(pk=incident.pk)
    assert annotated.notified_after_hours == 78.0
    assert annotated.hours_to_notify == 78.0


def test_a_breach_not_reported_72_hours_after_discovery_raises_the_flag(agreement):
    breach(
        agreement,
        discovered_at=NOW - dt.timedelta(hours=72, seconds=1),
        reported_to_authority_at=None,
    )

    run()

    assert LATE in open_kinds(agreement)


def test_a_breach_not_reported_yet_within_72_hours_is_not_flagged(agreement):
    breach(agreement, discovered_at=NOW - dt.timedelta(hours=72), reported_to_authority_at=None)

    run()

    assert LATE not in open_kinds(agreement)


def test_a_reason_for_the_delay_keeps_a_late_breach_unflagged(agreement):
    breach(
        agreement,
        discovered_at=NOW - dt.timedelta(days=10),
        reported_to_authority_at=NOW - dt.timedelta(days=2),
        delay_reason="The scale of the breach was only established after forensic work.",
    )

    run()

    assert LATE not in open_kinds(agreement)


@pytest.mark.parametrize("kind", ["scope_violation", "security_incident"])
def test_only_data_breaches_have_a_notification_deadline(agreement, kind):
    breach(
        agreement,
        kind=kind,
        discovered_at=NOW - dt.timedelta(days=10),
        reported_to_authority_at=None,
    )

    run()

    assert LATE not in open_kinds(agreement)


def test_an_unpublished_breach_raises_no_flag(agreement):
    breach(
        agreement,
        discovered_at=NOW - dt.timedelta(days=10),
        reported_to_authority_at=None,
        publication_status=PublicationStatus.SUBMITTED,
    )

    run()

    assert LATE not in open_kinds(agreement)


def test_recording_a_delay_reason_closes_the_flag_and_a_second_run_raises_nothing(agreement):
    incident = breach(
        agreement, discovered_at=NOW - dt.timedelta(days=10), reported_to_authority_at=None
    )
    run()
    assert run().raised[LATE] == 0
    assert agreement.flags.filter(kind=LATE).count() == 1

    incident.delay_reason = "The police held the notification while an arrest was planned."
    incident.save()
    report = run()

    flag = agreement.flags.get(kind=LATE)
    assert report.closed[LATE] == 1
    assert flag.resolved_at == NOW
    assert "reason for the delay" in flag.resolution


def test_the_flag_is_raised_on_every_agreement_of_the_breach(partnership):
    first, second = factories.AgreementFactory.create_batch(2, partnership=partnership)
    factories.IncidentFactory(
        agreements=[first, second],
        discovered_at=NOW - dt.timedelta(days=5),
        reported_to_authority_at=None,
    )

    run()

    assert LATE in open_kinds(first)
    assert LATE in open_kinds(second)


# incident_without_review ----------------------------------------------------------------


def test_an_incident_open_for_60_days_without_a_review_raises_the_flag(agreement):
    # 22 September is 60 days before 21 November (in the registry's time zone, UTC here):
    # the day of discovery counts, not the hour.
    breach(agreement, discovered_at=dt.datetime(2026, 9, 22, 23, 0, tzinfo=dt.UTC))

    run()

    flag = agreement.flags.open().get(kind=UNREVIEWED)
    assert "60 days" in flag.detail


def test_an_incident_open_for_59_days_is_not_flagged(agreement):
    breach(agreement, discovered_at=dt.datetime(2026, 9, 23, 12, 0, tzinfo=dt.UTC))

    run()

    assert UNREVIEWED not in open_kinds(agreement)


def test_the_day_of_discovery_is_read_in_the_registry_time_zone(settings, agreement):
    # 23:30 UTC on 22 September is already 23 September in Tokyo: 59 days there.
    settings.TIME_ZONE = "Asia/Tokyo"
    breach(agreement, discovered_at=dt.datetime(2026, 9, 22, 23, 30, tzinfo=dt.UTC))

    run()

    assert UNREVIEWED not in open_kinds(agreement)


def test_a_closed_incident_without_a_review_raises_the_flag_at_once(agreement):
    breach(
        agreement,
        discovered_at=NOW - dt.timedelta(days=3),
        status=Incident.Status.CLOSED,
        closed_on=NOW.date(),
    )

    run()

    assert UNREVIEWED in open_kinds(agreement)


def test_a_review_completed_before_the_discovery_does_not_count(agreement):
    breach(
        agreement, discovered_at=NOW - dt.timedelta(days=3), status="closed", closed_on=NOW.date()
    )
    factories.ReviewFactory(
        agreement=agreement, started_on=dt.date(2026, 11, 1), completed_on=dt.date(2026, 11, 17)
    )

    run()

    assert UNREVIEWED in open_kinds(agreement)


def test_a_review_completed_after_the_discovery_closes_the_flag(agreement):
    breach(
        agreement, discovered_at=NOW - dt.timedelta(days=3), status="closed", closed_on=NOW.date()
    )
    run()
    assert UNREVIEWED in open_kinds(agreement)

    factories.ReviewFactory(
        agreement=agreement, started_on=dt.date(2026, 11, 18), completed_on=dt.date(2026, 11, 18)
    )
    report = run()

    assert UNREVIEWED not in open_kinds(agreement)
    assert report.closed[UNREVIEWED] == 1
    assert agreement.flags.get(kind=UNREVIEWED).resolved_at == NOW


def test_a_review_of_another_agreement_does_not_count(partnership, agreement):
    other = factories.AgreementFactory(partnership=partnership)
    breach(
        agreement, discovered_at=NOW - dt.timedelta(days=3), status="closed", closed_on=NOW.date()
    )
    factories.ReviewFactory(
        agreement=other, started_on=dt.date(2026, 11, 19), completed_on=dt.date(2026, 11, 19)
    )

    run()

    assert UNREVIEWED in open_kinds(agreement)
    assert UNREVIEWED not in open_kinds(other)


def test_a_flag_resolved_by_hand_holds_until_another_incident(agreement, board_member):
    from oversight.services import flag_resolve

    breach(
        agreement, discovered_at=NOW - dt.timedelta(days=3), status="closed", closed_on=NOW.date()
    )
    run()
    flag = agreement.flags.open().get(kind=UNREVIEWED)
    flag_resolve(flag=flag, actor=board_member, reason="Reviewed informally with the board.")
    assert run().raised[UNREVIEWED] == 0

    breach(
        agreement, discovered_at=NOW - dt.timedelta(days=1), status="closed", closed_on=NOW.date()
    )

    assert run().raised[UNREVIEWED] == 1
