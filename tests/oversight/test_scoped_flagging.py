"""A staff write asks for the flags of the agreements it touched, and that run raises and
closes their flags alone; the nightly run still covers the whole registry."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.derived import derived_facts_refresh
from agreements.models import Agreement
from agreements.services import agreement_update, auditor_assign
from config.celery import app as celery_app
from oversight.flagging import flagging_run
from oversight.models import Finding, Flag, Review
from oversight.services import finding_add, finding_resolve, review_complete
from oversight.tasks import refresh_derived, run_flagging
from partnerships.models import PartnershipParty
from partnerships.services import party_add, party_remove
from publication.models import Revision
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
YESTERDAY = TODAY - dt.timedelta(days=1)
TOMORROW = TODAY + dt.timedelta(days=1)
FLAGGING = "oversight.tasks.run_flagging"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def auditor():
    return factories.OrganizationFactory(kind="auditor", name="Outside Auditors", ngo_type="")


@pytest.fixture
def sent(monkeypatch):
    """The tasks published to the broker, as (name, kwargs), kept here instead."""
    published = []

    def send_task(name, args=(), kwargs=None, **options):
        published.append((name, kwargs))

    monkeypatch.setattr(celery_app, "send_task", send_task)
    return published


def in_force(partnership, auditor, **overrides):
    """An agreement that meets no flag condition, unless ``overrides`` make it."""
    fields = {
        "partnership": partnership,
        "status": Agreement.Status.ACTIVE,
        "next_review_due": TOMORROW,
        "independent_auditor": auditor,
    } | overrides
    return factories.AgreementFactory(**fields)


def open_kinds(agreement) -> set[str]:
    return set(agreement.flags.open().values_list("kind", flat=True))


# A staff write asks for its agreement's flags ------------------------------------


def test_assigning_an_auditor_asks_for_the_flags_of_that_agreement_alone(
    partnership, auditor, board_member, sent, django_capture_on_commit_callbacks
):
    agreement = in_force(partnership, auditor, independent_auditor=None)
    in_force(partnership, auditor, independent_auditor=None)  # another, left alone

    with django_capture_on_commit_callbacks(execute=True):
        auditor_assign(agreement=agreement, actor=board_member, auditor=auditor)

    assert sent == [(FLAGGING, {"agreement_ids": [agreement.pk]})]


def test_the_enqueued_run_closes_the_flag_of_the_agreement_given_an_auditor(
    partnership, auditor, board_member, sent, django_capture_on_commit_callbacks
):
    agreement = in_force(partnership, auditor, independent_auditor=None)
    other = in_force(partnership, auditor, independent_auditor=None)
    flagging_run(now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        auditor_assign(agreement=agreement, actor=board_member, auditor=auditor)
    Agreement.objects.filter(pk=other.pk).update(independent_auditor=auditor)  # by the admin

    ((name, kwargs),) = sent
    run_flagging.apply(kwargs=kwargs)

    assert name == FLAGGING
    assert open_kinds(agreement) == set()
    assert agreement.flags.get().resolved_at == NOW
    assert open_kinds(other) == {Flag.Kind.NO_INDEPENDENT_AUDITOR}  # until tonight
    refresh_derived.apply()  # tonight: the safety net catches the admin's edit up,
    run_flagging.apply()  # then the flagging run judges it
    assert open_kinds(other) == set()


def test_changing_an_agreement_asks_for_its_flags(
    partnership, auditor, ngo_editor, sent, django_capture_on_commit_callbacks
):
    agreement = in_force(partnership, auditor, publication_status="draft")

    with django_capture_on_commit_callbacks(execute=True):
        agreement_update(agreement=agreement, actor=ngo_editor, data={"expires_on": YESTERDAY})

    assert sent == [(FLAGGING, {"agreement_ids": [agreement.pk]})]


def test_proposing_a_change_of_a_published_agreement_asks_for_nothing_until_approved(
    partnership, auditor, ngo_editor, sent, django_capture_on_commit_callbacks
):
    agreement = in_force(partnership, auditor)
    data = {"expires_on": YESTERDAY}

    with django_capture_on_commit_callbacks(execute=True):
        agreement_update(agreement=agreement, actor=ngo_editor, data=data, form_data=data)
    assert sent == []
    agreement.refresh_from_db()
    assert agreement.expires_on is None

    revision = Revision.objects.of_record(agreement).get()
    with django_capture_on_commit_callbacks(execute=True):
        agreement_update(agreement=agreement, actor=ngo_editor, data=data, revision=revision)
    assert sent == [(FLAGGING, {"agreement_ids": [agreement.pk]})]


def test_completing_a_review_asks_for_the_flags_of_its_agreement(
    partnership, auditor, oversight_body, board_member, sent, django_capture_on_commit_callbacks
):
    agreement = in_force(partnership, auditor, next_review_due=YESTERDAY)
    review = factories.ReviewFactory(
        agreement=agreement, reviewer=oversight_body, status="in_progress", completed_on=None
    )

    with django_capture_on_commit_callbacks(execute=True):
        review_complete(
            review=review,
            actor=board_member,
            completed_on=TODAY,
            outcome=Review.Outcome.COMPLIANT,
        )

    assert sent == [(FLAGGING, {"agreement_ids": [agreement.pk]})]


def test_adding_and_resolving_a_finding_ask_for_the_flags_of_its_agreement(
    partnership, auditor, oversight_body, board_member, sent, django_capture_on_commit_callbacks
):
    agreement = in_force(partnership, auditor)
    review = factories.ReviewFactory(agreement=agreement, reviewer=oversight_body)

    with django_capture_on_commit_callbacks(execute=True):
        finding = finding_add(
            review=review,
            actor=board_member,
            data={
                "severity": Finding.Severity.MAJOR,
                "summary": "No access log.",
                "corrective_action": "Keep an access log.",
                "due_on": YESTERDAY,
            },
        )
    run_flagging.apply(kwargs=sent[-1][1])
    assert open_kinds(agreement) == {Flag.Kind.CORRECTIVE_ACTION_OVERDUE}

    with django_capture_on_commit_callbacks(execute=True):
        finding_resolve(finding=finding, actor=board_member, resolved_on=TODAY)
    run_flagging.apply(kwargs=sent[-1][1])

    assert sent == [(FLAGGING, {"agreement_ids": [agreement.pk]})] * 2
    assert open_kinds(agreement) == set()


def test_a_party_change_asks_for_the_flags_of_that_partnerships_agreements(
    partnership, auditor, ngo_editor, sent, django_capture_on_commit_callbacks
):
    # The auditor becoming a party is no longer independent.
    audited = in_force(partnership, auditor)
    draft = in_force(partnership, auditor, status=Agreement.Status.DRAFT)
    elsewhere = in_force(factories.partnership_with_parties(), auditor)
    flagging_run(now=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        party = party_add(
            partnership=partnership,
            organization=auditor,
            role=PartnershipParty.Role.OTHER,
            actor=ngo_editor,
        )
    ((name, kwargs),) = sent
    run_flagging.apply(kwargs=kwargs)

    assert name == FLAGGING
    assert sorted(kwargs["agreement_ids"]) == sorted([audited.pk, draft.pk])
    assert open_kinds(audited) == {Flag.Kind.NO_INDEPENDENT_AUDITOR}
    assert open_kinds(elsewhere) == set()

    with django_capture_on_commit_callbacks(execute=True):
        party_remove(party=party, actor=ngo_editor)
    run_flagging.apply(kwargs=sent[-1][1])

    assert len(sent) == 2
    assert open_kinds(audited) == set()


def test_a_write_refused_asks_for_nothing(
    partnership, auditor, police, board_member, sent, django_capture_on_commit_callbacks
):
    agreement = in_force(partnership, auditor, independent_auditor=None)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        auditor_assign(agreement=agreement, actor=board_member, auditor=police)  # a party

    assert sent == []


# The run over some agreements -----------------------------------------------------


def test_a_scoped_run_raises_and_closes_flags_on_the_given_agreements_only(partnership, auditor):
    given = in_force(partnership, auditor, next_review_due=YESTERDAY)
    other = in_force(partnership, auditor, next_review_due=YESTERDAY)
    flagging_run(now=timezone.now())
    for agreement in (given, other):  # review done, and the auditor withdrew
        Agreement.objects.filter(pk=agreement.pk).update(
            next_review_due=TOMORROW, independent_auditor=None
        )

    report = flagging_run(now=timezone.now(), agreement_ids=[given.pk])

    assert open_kinds(given) == {Flag.Kind.NO_INDEPENDENT_AUDITOR}
    assert given.flags.get(kind=Flag.Kind.REVIEW_OVERDUE).resolved_at == NOW
    assert open_kinds(other) == {Flag.Kind.REVIEW_OVERDUE}  # left for the nightly run
    assert other.flags.count() == 1
    assert report.raised[Flag.Kind.NO_INDEPENDENT_AUDITOR] == 1
    assert report.closed[Flag.Kind.REVIEW_OVERDUE] == 1

    derived_facts_refresh()  # the nightly safety net, before the nightly run
    nightly = flagging_run(now=timezone.now())

    assert open_kinds(other) == {Flag.Kind.NO_INDEPENDENT_AUDITOR}
    assert open_kinds(given) == {Flag.Kind.NO_INDEPENDENT_AUDITOR}
    assert sum(nightly.raised.values()) == 1
    assert sum(nightly.closed.values()) == 1


def test_a_scoped_run_expires_only_the_given_agreements(partnership, auditor):
    given, other = (
        in_force(partnership, auditor, auto_expire=True, expires_on=YESTERDAY) for _ in range(2)
    )

    report = flagging_run(now=timezone.now(), agreement_ids=[given.pk])

    given.refresh_from_db()
    other.refresh_from_db()
    assert given.status == Agreement.Status.EXPIRED
    assert other.status == Agreement.Status.ACTIVE
    assert report.expired == 1


def test_a_scoped_run_twice_raises_nothing_new(partnership, auditor):
    agreement = in_force(partnership, auditor, next_review_due=YESTERDAY, independent_auditor=None)

    first = flagging_run(now=timezone.now(), agreement_ids=[agreement.pk])
    second = flagging_run(now=timezone.now(), agreement_ids=[agreement.pk, agreement.pk])

    assert sum(first.raised.values()) == 2
    assert sum(second.raised.values()) == 0
    assert sum(second.closed.values()) == 0
    assert agreement.flags.count() == 2


def test_a_scoped_run_over_no_agreement_does_nothing(partnership, auditor):
    agreement = in_force(partnership, auditor, next_review_due=YESTERDAY, auto_expire=True)
    Agreement.objects.filter(pk=agreement.pk).update(expires_on=YESTERDAY)

    with CaptureQueriesContext(connection) as queries:
        report = flagging_run(now=timezone.now(), agreement_ids=[])

    agreement.refresh_from_db()
    assert len(queries) == 0
    assert report.as_dict() == {"expired": 0, "raised": {}, "closed": {}, "failed": []}
    assert agreement.status == Agreement.Status.ACTIVE
    assert Flag.objects.count() == 0


def test_the_nightly_run_without_agreements_covers_the_whole_registry(partnership, auditor):
    agreements = [
        in_force(factories.partnership_with_parties(), auditor, next_review_due=YESTERDAY)
        for _ in range(3)
    ]

    result = run_flagging.apply().get()  # as beat sends it: no arguments

    assert result["raised"][Flag.Kind.REVIEW_OVERDUE] == 3
    assert all(open_kinds(a) == {Flag.Kind.REVIEW_OVERDUE} for a in agreements)


@pytest.mark.django_db(transaction=True)
def test_a_scoped_run_beside_the_nightly_run_raises_no_duplicate(partnership, police):
    agreements = [
        factories.AgreementFactory(
            partnership=partnership, next_review_due=YESTERDAY, independent_auditor=police
        )
        for _ in range(20)
    ]
    errors = []
    barrier = threading.Barrier(2)

    def one_run(agreement_ids, microseconds):
        try:
            barrier.wait()
            flagging_run(
                now=NOW + dt.timedelta(microseconds=microseconds), agreement_ids=agreement_ids
            )
        except Exception as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            connection.close()

    runs = [(None, 1), ([a.pk for a in agreements[:10]], 2)]
    threads = [threading.Thread(target=one_run, args=run) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Flag.objects.count() == 40
    assert Flag.objects.open().count() == 40
