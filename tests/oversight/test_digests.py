"""Digests: one e-mail per person per run, each flag and each upcoming review announced once."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from oversight.digests import digests_send
from oversight.flagging import flagging_run
from oversight.models import Flag
from partnerships.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 2, 45, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def send():
    return digests_send(now=timezone.now())


def troubled_agreement(partnership, title="Victim information sharing protocol"):
    """Overdue review, no auditor, high risk without DPIA: three flags."""
    agreement = factories.AgreementFactory(
        partnership=partnership, title=title, next_review_due=TODAY - dt.timedelta(days=1)
    )
    factories.DataSharingTermFactory(
        agreement=agreement, data_category="victim_records", direction="ngo_to_police"
    )
    return agreement


def test_three_flags_for_one_person_make_one_email_listing_three(partnership, ngo_editor):
    troubled_agreement(partnership)
    flagging_run(now=timezone.now())

    report = send()

    [email] = [m for m in mail.outbox if m.to == [ngo_editor.email]]
    assert email.subject == "Partnership Registry: 3 new flags"
    for kind in ("Review overdue", "No independent auditor", "High risk without a DPIA"):
        assert kind in email.body
        assert kind in email.alternatives[0].content
    assert email.alternatives[0].mimetype == "text/html"
    assert report.flags == 3


def test_a_second_run_sends_nothing(partnership, ngo_editor):
    troubled_agreement(partnership)
    flagging_run(now=timezone.now())
    send()
    mail.outbox.clear()

    report = send()

    assert mail.outbox == []
    assert report.emails == 0
    assert Flag.objects.filter(notified_at__isnull=True).count() == 0


def test_each_person_gets_one_email_about_all_their_agreements(
    partnership, ngo, ngo_editor, police_editor, board_member, oversight_body
):
    first = troubled_agreement(partnership)
    other = factories.partnership_with_parties(ngo=ngo)
    second = troubled_agreement(other, title="Second protocol")
    factories.ReviewFactory(agreement=first, reviewer=oversight_body)
    flagging_run(now=timezone.now())

    send()

    recipients = sorted(address for m in mail.outbox for address in m.to)
    assert recipients == sorted([ngo_editor.email, police_editor.email, board_member.email])
    ngo_mail = next(m for m in mail.outbox if m.to == [ngo_editor.email])
    assert first.title in ngo_mail.body and second.title in ngo_mail.body
    police_mail = next(m for m in mail.outbox if m.to == [police_editor.email])
    assert second.title not in police_mail.body  # the police is not a party to it
    board_mail = next(m for m in mail.outbox if m.to == [board_member.email])
    assert first.title in board_mail.body and second.title not in board_mail.body


def test_viewers_and_outsiders_get_no_digest(partnership, ngo_viewer, other_ngo_editor):
    troubled_agreement(partnership)
    flagging_run(now=timezone.now())

    send()

    addresses = {address for m in mail.outbox for address in m.to}
    assert ngo_viewer.email not in addresses
    assert other_ngo_editor.email not in addresses


def test_a_flag_closed_before_the_digest_is_not_announced(partnership, ngo_editor):
    agreement = troubled_agreement(partnership)
    flagging_run(now=timezone.now())
    Flag.objects.filter(agreement=agreement).update(resolved_at=timezone.now())

    send()

    assert mail.outbox == []


def test_reviews_due_within_30_days_are_announced_once(partnership, ngo_editor, oversight_body):
    auditor = factories.OrganizationFactory(kind="auditor", ngo_type="", name="Auditors")
    due_soon = factories.AgreementFactory(
        partnership=partnership,
        title="Referral MOU",
        independent_auditor=auditor,
        next_review_due=TODAY + dt.timedelta(days=30),
    )
    factories.AgreementFactory(
        partnership=partnership,
        title="Later MOU",
        independent_auditor=auditor,
        next_review_due=TODAY + dt.timedelta(days=31),
    )

    first = send()
    second = send()

    [email] = mail.outbox
    assert email.to == [ngo_editor.email]
    assert email.subject == "Partnership Registry: 1 review due soon"
    assert due_soon.title in email.body and "Later MOU" not in email.body
    assert "21 December 2026" in email.body
    assert (first.reviews_due, second.reviews_due) == (1, 0)


def test_a_member_without_email_address_is_skipped(partnership, ngo):
    factories.MembershipFactory(organization=ngo, role=Membership.Role.EDITOR, user__email="")
    troubled_agreement(partnership)
    flagging_run(now=timezone.now())

    report = send()

    assert report.emails == 0
    assert mail.outbox == []
