"""What a flag says is shown in the reader's language: the job keeps the values its kind's
sentence names (``Flag.parameters``) beside the English text it writes (``detail``, which
the audit log records), and pages and e-mails write the sentence from them."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from core.models import AccountLanguage
from oversight.digests import digests_send
from oversight.flagging import flagging_run
from oversight.models import Flag, FlagEvent, flag_text
from tests import factories

pytestmark = pytest.mark.django_db


NOW = dt.datetime(2026, 11, 21, 2, 45, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def overdue_flag(partnership):
    agreement = factories.AgreementFactory(
        partnership=partnership,
        title="Referral protocol",
        next_review_due=dt.date(2026, 11, 20),
    )
    flagging_run(now=timezone.now())
    return agreement.flags.get(kind=Flag.Kind.REVIEW_OVERDUE)


def test_the_job_keeps_the_sentences_values_beside_its_english_text(overdue_flag):
    assert overdue_flag.parameters == {"date": "2026-11-20"}
    assert overdue_flag.detail == "The review was due on 20 November 2026."


def test_the_job_writes_the_english_text_whatever_language_is_active(partnership):
    agreement = factories.AgreementFactory(partnership=partnership, next_review_due=TODAY)
    with translation.override("fr"):
        flagging_run(now=timezone.now() + dt.timedelta(days=1))

    flag = agreement.flags.get(kind=Flag.Kind.REVIEW_OVERDUE)
    assert flag.detail == "The review was due on 21 November 2026."


@pytest.mark.parametrize(
    ("kind", "parameters", "english"),
    [
        (Flag.Kind.REVIEW_OVERDUE, {"date": "2026-01-05"}, "The review was due on 5 January 2026."),
        (
            Flag.Kind.NO_INDEPENDENT_AUDITOR,
            {"auditor": "Riverside Police"},
            "The auditor, Riverside Police, is a party to the partnership: not independent.",
        ),
        (
            Flag.Kind.NO_INDEPENDENT_AUDITOR,
            {"sentence": "no_auditor"},
            "No independent auditor is assigned.",
        ),
        (
            Flag.Kind.EXPIRED_BUT_ACTIVE,
            {"date": "2026-03-31"},
            "Expired on 31 March 2026 but still marked active.",
        ),
        (
            Flag.Kind.HIGH_RISK_WITHOUT_DPIA,
            {"date": "2025-11-21"},
            "High-risk data sharing, and no DPIA completed since 21 November 2025.",
        ),
        (
            Flag.Kind.CORRECTIVE_ACTION_OVERDUE,
            {"date": "2026-10-01"},
            "A corrective action was due on 1 October 2026 and is still open.",
        ),
        (
            Flag.Kind.BREACH_NOTIFIED_LATE,
            {"hours": 72},
            "A data breach was notified to the authority more than 72 hours after its "
            "discovery, or not at all, and no reason was given for the delay.",
        ),
        (
            Flag.Kind.INCIDENT_WITHOUT_REVIEW,
            {"days": 60},
            "An incident was closed, or has been open for 60 days, and no review of the "
            "agreement was completed since it was discovered.",
        ),
    ],
)
def test_every_kind_says_in_english_what_the_job_wrote_before(kind, parameters, english):
    with translation.override("en"):
        assert flag_text(kind, parameters) == english


def test_every_kind_has_its_sentence():
    assert set(Flag.Kind.values) <= set(Flag.SENTENCES)


def test_a_flag_without_parameters_shows_the_text_it_was_raised_with():
    assert flag_text(Flag.Kind.REVIEW_OVERDUE, None, "Review due on 2025-01-01.") == (
        "Review due on 2025-01-01."
    )


def test_the_flags_page_in_french_says_why_in_french(client, board_member, overdue_flag):
    client.force_login(board_member)

    html = client.get(
        reverse("oversight:flag_detail", args=[overdue_flag.pk]),
        headers={"accept-language": "fr"},
    ).content.decode()

    # After the merge of the messages of tr-h5.json.
    assert "L’examen était dû le 20 novembre 2026." in html
    assert "The review was due on" not in html


def test_the_public_partnership_page_in_spanish_says_why_in_spanish(
    client, partnership, overdue_flag
):
    html = client.get(
        partnership.get_absolute_url(), headers={"accept-language": "es"}
    ).content.decode()

    # After the merge of the messages of tr-h5.json.
    assert "La revisión debía realizarse el 20 de noviembre de 2026." in html
    assert "The review was due on" not in html


def test_a_digest_is_written_in_its_recipients_language(partnership, ngo_editor, overdue_flag):
    AccountLanguage.objects.create(user=ngo_editor, language="es")

    digests_send(now=timezone.now())

    [email] = [m for m in mail.outbox if m.to == [ngo_editor.email]]
    assert email.subject.startswith("Registro de Colaboraciones: ")
    assert "Revisión vencida" in email.body  # the kind, already translated
    # The sentence, after the merge of tr-h5.json.
    assert "La revisión debía realizarse el 20 de noviembre de 2026." in email.body


def test_a_digest_to_someone_whose_language_is_unknown_is_in_english(
    partnership, ngo_editor, overdue_flag
):
    digests_send(now=timezone.now())

    [email] = [m for m in mail.outbox if m.to == [ngo_editor.email]]
    assert email.subject.startswith("Partnership Registry: ")
    assert "The review was due on 20 November 2026." in email.body


def _migration():
    return importlib.import_module("oversight.migrations.0012_flag_parameters")


@pytest.mark.parametrize(
    ("kind", "detail", "parameters"),
    [
        (Flag.Kind.REVIEW_OVERDUE, "The review was due on 5 January 2026.", {"date": "2026-01-05"}),
        (
            Flag.Kind.EXPIRED_BUT_ACTIVE,
            "Expired on 31 March 2026 but still marked active.",
            {"date": "2026-03-31"},
        ),
        (
            Flag.Kind.HIGH_RISK_WITHOUT_DPIA,
            "High-risk data sharing, and no DPIA completed since 21 November 2025.",
            {"date": "2025-11-21"},
        ),
        (
            Flag.Kind.CORRECTIVE_ACTION_OVERDUE,
            "A corrective action was due on 1 October 2026 and is still open.",
            {"date": "2026-10-01"},
        ),
        (
            Flag.Kind.BREACH_NOTIFIED_LATE,
            "A data breach was notified to the authority more than 72 hours after its "
            "discovery, or not at all, and no reason was given for the delay.",
            {"hours": 72},
        ),
        (
            Flag.Kind.INCIDENT_WITHOUT_REVIEW,
            "An incident was closed, or has been open for 60 days, and no review of the "
            "agreement was completed since it was discovered.",
            {"days": 60},
        ),
        (
            Flag.Kind.NO_INDEPENDENT_AUDITOR,
            "The auditor, Riverside Police, is a party to the partnership: not independent.",
            {"auditor": "Riverside Police"},
        ),
        (
            Flag.Kind.NO_INDEPENDENT_AUDITOR,
            "No independent auditor is assigned.",
            {"sentence": "no_auditor"},
        ),
        (Flag.Kind.REVIEW_OVERDUE, "Written by hand, in no known shape.", None),
    ],
)
def test_the_migration_reads_the_values_of_flags_raised_before_they_were_kept(
    partnership, kind, detail, parameters
):
    flag = factories.FlagFactory(
        agreement=factories.AgreementFactory(partnership=partnership), kind=kind, detail=detail
    )
    events = FlagEvent.objects.count()

    with connection.schema_editor() as schema_editor:
        _migration().parameters_from_detail(apps, schema_editor)

    flag.refresh_from_db()
    assert flag.parameters == parameters
    # Its text reads as it did, and the fill is no change the audit log (or an alert) tells.
    with translation.override("en"):
        assert flag_text(flag.kind, flag.parameters, flag.detail) == detail
    assert FlagEvent.objects.count() == events
