"""The daily embargo job: embargoes lapse at local midnight, document versions and withheld
values become public on their date, the editors hear of it the day before, once."""

import datetime as dt
import io
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from agreements import tasks
from agreements.embargoes import embargo_run
from agreements.models import Agreement, AgreementDocument, AgreementEvent
from partnerships.models import Membership, Partnership, PartnershipEvent
from publication.choices import PublicationStatus, WithholdingReason
from publication.models import Withholding, WithholdingEvent
from tests import factories

pytestmark = pytest.mark.django_db

EMBARGOED = PublicationStatus.EMBARGOED
PUBLISHED = PublicationStatus.PUBLISHED
LIFTS_ON = dt.date(2026, 11, 22)
TIME_ZONE = "Europe/Berlin"  # the registry's, in most tests: UTC+1 in November


def at(local: str, tz: str = TIME_ZONE) -> dt.datetime:
    """An instant given as the registry's wall-clock time, e.g. ``"2026-11-22 00:00"``."""
    return dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz))


def run_at(instant: dt.datetime):
    with time_machine.travel(instant, tick=False):
        return embargo_run(timezone.now())


def command_at(instant: dt.datetime) -> str:
    out = io.StringIO()
    with time_machine.travel(instant, tick=False):
        call_command("lift_embargoes", stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def registry_time_zone(settings):
    settings.TIME_ZONE = TIME_ZONE
    settings.SITE_URL = "https://registry.example.org/"


def embargoed_partnership(ngo, police, until=LIFTS_ON, **fields) -> Partnership:
    return factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title=fields.pop("title", "Shelter referral partnership"),
        publication_status=fields.pop("publication_status", EMBARGOED),
        embargoed_until=until,
        **fields,
    )


def embargoed_agreement(partnership, until=LIFTS_ON, **fields) -> Agreement:
    return factories.AgreementFactory(
        partnership=partnership,
        title=fields.pop("title", "Information sharing protocol"),
        publication_status=fields.pop("publication_status", EMBARGOED),
        embargoed_until=until,
        **fields,
    )


def status_events(event_model, record):
    """The audit events that changed the record's publication status."""
    return [
        event
        for event in event_model.objects.filter(pgh_obj_id=record.pk, pgh_label="update")
        if "publication_status" in (event.pgh_diff or {})
    ]


# The date boundary, in the registry's time zone -----------------------------------


@pytest.mark.parametrize(
    ("tz", "utc_day_before_midnight", "utc_midnight"),
    [
        # New York is behind UTC: the last minute before its midnight is already the
        # embargo's date in UTC, and must not publish.
        ("America/New_York", "2026-11-22 04:59", "2026-11-22 05:00"),
        # Auckland is ahead: its midnight is still the day before in UTC, and publishes.
        ("Pacific/Auckland", "2026-11-21 10:59", "2026-11-21 11:00"),
    ],
)
def test_an_embargo_lapses_exactly_at_midnight_in_the_registrys_time_zone(
    settings, ngo, police, tz, utc_day_before_midnight, utc_midnight
):
    settings.TIME_ZONE = tz
    partnership = embargoed_partnership(ngo, police)
    agreement = embargoed_agreement(partnership)
    last_minute = at("2026-11-21 23:59:59", tz)
    midnight = at("2026-11-22 00:00", tz)
    assert last_minute.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") == utc_day_before_midnight
    assert midnight.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") == utc_midnight

    run_at(last_minute)

    partnership.refresh_from_db()
    agreement.refresh_from_db()
    assert partnership.publication_status == EMBARGOED
    assert agreement.publication_status == EMBARGOED
    assert not Partnership.objects.public().filter(pk=partnership.pk).exists()

    report = run_at(midnight)

    partnership.refresh_from_db()
    agreement.refresh_from_db()
    assert partnership.publication_status == PUBLISHED
    assert agreement.publication_status == PUBLISHED
    assert partnership.published_at == midnight
    assert agreement.published_at == midnight
    # Published, the record no longer has an embargo (the audit trail keeps the date).
    assert partnership.embargoed_until is None
    assert partnership.has_embargo is False
    assert Partnership.objects.public().filter(pk=partnership.pk).exists()
    assert Agreement.objects.public().filter(pk=agreement.pk).exists()
    assert (report.partnerships, report.agreements) == (1, 1)


def test_an_embargo_from_the_past_is_published_by_the_next_run(ngo, police):
    # A missed run (the worker was down) is caught up.
    partnership = embargoed_partnership(ngo, police, until=LIFTS_ON - dt.timedelta(days=3))

    run_at(at("2026-11-22 00:05"))

    partnership.refresh_from_db()
    assert partnership.publication_status == PUBLISHED


def test_a_permanent_embargo_never_lapses(ngo, police):
    partnership = embargoed_partnership(
        ngo,
        police,
        until=None,
        embargo_indefinite=True,
        embargo_reason="Survivors are still housed at the site.",
    )
    agreement = embargoed_agreement(
        partnership, until=None, embargo_indefinite=True, embargo_reason="Ongoing inquiry."
    )
    factories.MembershipFactory(organization=ngo, user__username="ngo_editor")

    report = run_at(at("2099-12-31 12:00"))

    partnership.refresh_from_db()
    agreement.refresh_from_db()
    assert partnership.publication_status == EMBARGOED
    assert partnership.embargo_indefinite is True
    assert agreement.publication_status == EMBARGOED
    assert agreement.embargo_indefinite is True
    assert (report.partnerships, report.agreements, report.notices) == (0, 0, 0)
    assert mail.outbox == []
    assert partnership.embargo_notice_sent_at is None


@pytest.mark.parametrize("status", [PublicationStatus.DRAFT, PublicationStatus.SUBMITTED])
def test_a_record_not_yet_approved_is_not_published_on_its_embargo_date(
    ngo, police, ngo_editor, status
):
    partnership = embargoed_partnership(ngo, police, publication_status=status)
    agreement = embargoed_agreement(
        factories.partnership_with_parties(ngo=ngo, police=police),
        publication_status=status,
    )

    report = run_at(at("2026-11-23 09:00"))

    partnership.refresh_from_db()
    agreement.refresh_from_db()
    assert partnership.publication_status == status
    assert agreement.publication_status == status
    assert partnership.embargoed_until == LIFTS_ON
    assert partnership.published_at is None
    assert (report.partnerships, report.agreements) == (0, 0)
    # Nor are its editors told that it becomes public.
    run_at(at("2026-11-21 00:05"))
    assert mail.outbox == []


# Running twice ---------------------------------------------------------------------


def test_running_twice_publishes_once_and_tells_once(ngo, police, ngo_editor):
    partnership = embargoed_partnership(ngo, police)
    agreement = embargoed_agreement(partnership)

    run_at(at("2026-11-21 00:05"))
    run_at(at("2026-11-21 06:00"))
    assert len(mail.outbox) == 2  # one per record: the partnership and the agreement

    first = run_at(at("2026-11-22 00:05"))
    events = PartnershipEvent.objects.count() + AgreementEvent.objects.count()
    second = run_at(at("2026-11-22 00:06"))

    assert (first.partnerships, first.agreements) == (1, 1)
    assert second.as_dict() == {
        "partnerships": 0,
        "agreements": 0,
        "documents": 0,
        "withholdings": 0,
        "notices": 0,
        "emails": 0,
        "failed": [],
    }
    assert PartnershipEvent.objects.count() + AgreementEvent.objects.count() == events
    assert len(status_events(PartnershipEvent, partnership)) == 1
    assert len(status_events(AgreementEvent, agreement)) == 1
    agreement.refresh_from_db()
    assert agreement.published_at == at("2026-11-22 00:05")
    assert len(mail.outbox) == 2


def test_publishing_fifty_records_costs_the_queries_of_one(ngo, police):
    def queries_to_publish(count: int, day: int) -> int:
        for n in range(count):
            embargoed_partnership(
                ngo, police, title=f"Partnership {day}-{n}", until=dt.date(2026, 11, day)
            )
        with CaptureQueriesContext(connection) as queries:
            report = run_at(at(f"2026-11-{day} 00:05"))
        assert report.partnerships == count
        return len(queries)

    assert queries_to_publish(50, 23) == queries_to_publish(1, 22)


# The audit trail names the job ------------------------------------------------------


def test_the_command_publishes_as_the_job_not_as_a_person(ngo, police):
    partnership = embargoed_partnership(ngo, police)
    agreement = embargoed_agreement(partnership)

    out = command_at(at("2026-11-22 00:05"))

    assert "published 1 partnership(s), 1 agreement(s)" in out
    for event_model, record in ((PartnershipEvent, partnership), (AgreementEvent, agreement)):
        [event] = status_events(event_model, record)
        assert event.pgh_diff["publication_status"] == [EMBARGOED, PUBLISHED]
        assert event.pgh_context["job"] == "lift_embargoes"
        assert "user" not in event.pgh_context
        assert "username" not in event.pgh_context


def test_the_task_publishes_under_its_name(ngo, police):
    partnership = embargoed_partnership(ngo, police)

    with time_machine.travel(at("2026-11-22 00:05"), tick=False):
        result = tasks.lift_embargoes.apply().get()

    assert result["partnerships"] == 1
    [event] = status_events(PartnershipEvent, partnership)
    assert event.pgh_context["job"] == "agreements.tasks.lift_embargoes"


# Document versions and withheld values ------------------------------------------------


def test_a_document_versions_embargo_lapses_on_its_date(partnership):
    agreement = factories.AgreementFactory(partnership=partnership)
    due = factories.AgreementDocumentFactory(
        agreement=agreement, is_public=True, embargoed_until=LIFTS_ON
    )
    later = factories.AgreementDocumentFactory(
        agreement=agreement, is_public=True, embargoed_until=LIFTS_ON + dt.timedelta(days=1)
    )

    run_at(at("2026-11-21 23:59:59"))
    assert not AgreementDocument.objects.public().filter(pk=due.pk).exists()

    report = run_at(at("2026-11-22 00:00"))

    due.refresh_from_db()
    later.refresh_from_db()
    assert due.embargoed_until is None
    assert due.is_published is True
    assert later.embargoed_until == LIFTS_ON + dt.timedelta(days=1)
    assert set(AgreementDocument.objects.public().filter(agreement=agreement)) == {due}
    assert report.documents == 1
    assert run_at(at("2026-11-22 00:05")).documents == 0


def withholding(record, field, available_on):
    return Withholding.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        field=field,
        reason_code=WithholdingReason.SURVIVOR_SAFETY,
        rationale="It would locate a shelter.",
        available_on=available_on,
    )


def test_a_withheld_value_becomes_available_on_its_date(partnership):
    due = withholding(partnership, "region", LIFTS_ON)
    later = withholding(partnership, "country", LIFTS_ON + dt.timedelta(days=1))
    until_lifted = withholding(partnership, "objectives", None)

    run_at(at("2026-11-21 23:59:59"))
    assert Withholding.objects.filter(pk=due.pk).exists()

    report = run_at(at("2026-11-22 00:00"))

    assert set(Withholding.objects.of_record(partnership)) == {later, until_lifted}
    assert report.withholdings == 1
    assert run_at(at("2026-11-22 00:05")).withholdings == 0


def test_a_lapsed_withholding_is_lifted_as_an_audited_event_of_the_job(partnership):
    due = withholding(partnership, "region", LIFTS_ON)

    command_at(at("2026-11-22 00:05"))

    [event] = WithholdingEvent.objects.filter(pgh_obj_id=due.pk, pgh_label="delete")
    assert event.pgh_context["job"] == "lift_embargoes"


# The notice the day before -------------------------------------------------------------


def test_the_editors_of_the_parties_are_told_the_day_before(
    ngo, police, ngo_editor, police_editor, ngo_viewer, other_ngo_editor
):
    partnership = embargoed_partnership(ngo, police)
    factories.MembershipFactory(organization=ngo, user__username="gone", user__is_active=False)

    report = run_at(at("2026-11-21 00:05"))

    # Editors of the parties only: not a viewer, a former colleague, or another organization.
    assert sorted(message.to[0] for message in mail.outbox) == [
        ngo_editor.email,
        police_editor.email,
    ]
    assert all(len(message.to) == 1 for message in mail.outbox)
    message = mail.outbox[0]
    assert message.subject == (
        "Partnership Registry: “Shelter referral partnership” becomes public on 22 November 2026"
    )
    assert '"Shelter referral partnership"' in message.body
    assert "Sunday 22 November 2026" in message.body
    assert "Europe/Berlin" in message.body
    assert "https://registry.example.org/" in message.body
    assert "registry.example.org//" not in message.body
    html = message.alternatives[0].content
    assert message.alternatives[0].mimetype == "text/html"
    assert "Sunday 22 November 2026" in html
    partnership.refresh_from_db()
    assert partnership.embargo_notice_sent_at == at("2026-11-21 00:05")
    assert partnership.publication_status == EMBARGOED
    assert (report.notices, report.emails) == (1, 2)


def test_the_notice_links_to_the_records_publication_page(ngo, police, ngo_editor):
    partnership = embargoed_partnership(ngo, police)
    agreement = embargoed_agreement(partnership)

    run_at(at("2026-11-21 00:05"))

    bodies = {message.subject: message.body for message in mail.outbox}
    pages = {
        "Shelter referral partnership": ("agreements:partnership_publication", partnership),
        "Information sharing protocol": ("agreements:agreement_publication", agreement),
    }
    for title, (name, record) in pages.items():
        [body] = [body for subject, body in bodies.items() if title in subject]
        try:
            path = reverse(name, kwargs={"pk": record.pk})
        except NoReverseMatch:  # the staff publication pages are not routed yet
            path = record.get_absolute_url()
        assert f"\nhttps://registry.example.org{path}\n" in body


def test_an_agreements_notice_goes_to_the_editors_of_its_partnerships_parties(
    partnership, ngo_editor, police_editor, other_ngo_editor
):
    embargoed_agreement(partnership, title="Referral data protocol")

    run_at(at("2026-11-21 00:05"))

    assert sorted(message.to[0] for message in mail.outbox) == [
        ngo_editor.email,
        police_editor.email,
    ]
    assert "Referral data protocol" in mail.outbox[0].subject
    assert f'(partnership "{partnership.title}")' in mail.outbox[0].body


def test_no_notice_two_days_before(ngo, police, ngo_editor):
    partnership = embargoed_partnership(ngo, police)

    # 00:00 on 21 November in Berlin is still 20 November in UTC: 23:59 local is the
    # last minute of "two days before".
    run_at(at("2026-11-20 23:59:59"))

    assert mail.outbox == []
    partnership.refresh_from_db()
    assert partnership.embargo_notice_sent_at is None

    run_at(at("2026-11-21 00:00"))

    assert [message.to for message in mail.outbox] == [[ngo_editor.email]]


def test_the_notice_is_sent_once(ngo, police, ngo_editor):
    embargoed_partnership(ngo, police)

    run_at(at("2026-11-21 00:05"))
    second = run_at(at("2026-11-21 00:06"))
    run_at(at("2026-11-22 00:05"))  # published: nothing more to say

    assert len(mail.outbox) == 1
    assert (second.notices, second.emails) == (0, 0)


class FailingBackend(BaseEmailBackend):
    """The mail server refuses every message."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


def test_a_notice_that_fails_is_logged_and_released_for_the_next_run(
    settings, caplog, ngo, police, ngo_editor
):
    partnership = embargoed_partnership(ngo, police)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"

    with caplog.at_level(logging.ERROR, logger="agreements.embargoes"):
        report = run_at(at("2026-11-21 00:05"))

    partnership.refresh_from_db()
    assert partnership.embargo_notice_sent_at is None
    assert report.failed == [f"notice partnership {partnership.pk}"]
    assert (report.notices, report.emails) == (0, 0)
    [record] = [r for r in caplog.records if "sending to an editor failed" in r.getMessage()]
    assert record.exc_info is not None
    assert ngo_editor.email not in caplog.text  # the log names no person

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report = run_at(at("2026-11-21 06:00"))

    assert [message.to for message in mail.outbox] == [[ngo_editor.email]]
    partnership.refresh_from_db()
    assert partnership.embargo_notice_sent_at == at("2026-11-21 06:00")
    assert report.notices == 1


class RefusingOneAddressBackend(locmem.EmailBackend):
    """The mail server refuses one address and delivers the others."""

    refused = "police_editor@example.org"

    def send_messages(self, messages):
        if any(self.refused in message.to for message in messages):
            raise ConnectionRefusedError("mailbox unavailable")
        return super().send_messages(messages)


def test_a_notice_that_reached_only_some_editors_is_released_for_the_next_run(
    settings, ngo, police, ngo_editor, police_editor
):
    partnership = embargoed_partnership(ngo, police)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingOneAddressBackend"

    report = run_at(at("2026-11-21 00:05"))

    # Better an editor hears twice than not at all: the next run tells everyone again.
    assert [message.to for message in mail.outbox] == [[ngo_editor.email]]
    partnership.refresh_from_db()
    assert partnership.embargo_notice_sent_at is None
    assert (report.emails, report.notices) == (1, 0)
    assert report.failed == [f"notice partnership {partnership.pk}"]


def test_the_command_fails_when_a_notice_could_not_be_sent(settings, ngo, police, ngo_editor):
    embargoed_partnership(ngo, police)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"

    with pytest.raises(CommandError, match="1 change"):
        command_at(at("2026-11-21 00:05"))


def test_a_record_without_an_editor_is_announced_to_nobody_once(ngo, police):
    partnership = embargoed_partnership(ngo, police)
    factories.MembershipFactory(organization=ngo, role=Membership.Role.VIEWER)

    report = run_at(at("2026-11-21 00:05"))

    assert mail.outbox == []
    partnership.refresh_from_db()
    assert partnership.embargo_notice_sent_at is not None
    assert (report.notices, report.emails, report.failed) == (1, 0, [])


# One bad row -------------------------------------------------------------------------


def test_one_record_that_cannot_be_published_does_not_stop_the_others(caplog, ngo, police):
    stuck = embargoed_partnership(ngo, police, title="Refuses to publish")
    fine = embargoed_partnership(ngo, police, title="Publishes")
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(
            """
            CREATE FUNCTION refuse_publication() RETURNS trigger AS $$
            BEGIN
                IF NEW.title = 'Refuses to publish'
                        AND NEW.publication_status <> OLD.publication_status THEN
                    RAISE EXCEPTION 'this row is broken';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_publication BEFORE UPDATE ON partnerships_partnership
                FOR EACH ROW EXECUTE FUNCTION refuse_publication();
            """
        )

    with caplog.at_level(logging.ERROR, logger="agreements.embargoes"):
        report = run_at(at("2026-11-22 00:05"))

    stuck.refresh_from_db()
    fine.refresh_from_db()
    assert fine.publication_status == PUBLISHED
    assert stuck.publication_status == EMBARGOED
    assert report.partnerships == 1
    assert report.failed == [f"publish partnership {stuck.pk}"]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert str(stuck.pk) in record.getMessage()
    assert record.exc_info is not None
