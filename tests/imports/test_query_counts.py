"""An import costs a number of queries per batch of rows that does not grow with the rows
of the batch: its dry run, whatever the rows do, and the creation of agreements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements import services as agreement_services
from imports import planning
from imports.files import parse_csv
from imports.planning import plan_file
from imports.services import import_job_write
from tests import factories

from .conftest import edited, export, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr(agreement_services, "enqueue_on_commit", lambda *a, **kw: None)


@pytest.fixture
def registry_csv(client, partnership, oversight_body, ngo_editor):
    """The agreements export of a partnership with 50 published agreements, each with a term
    and an auditor."""
    for n in range(50):
        agreement = factories.AgreementFactory(
            partnership=partnership,
            title=f"Agreement {n:02}",
            reference=f"REF-{n:02}",
            independent_auditor=oversight_body,
            submitted_by=ngo_editor,
        )
        factories.DataSharingTermFactory(agreement=agreement)
    return export(client, "agreements")


def as_loaded(user):
    """The user as each request or task loads it: what it asked of access before is not
    remembered (``partnerships.memo``)."""
    return type(user).objects.get(pk=user.pk)


def planned_queries(user, text: str, *, fresh: bool = True) -> int:
    user = as_loaded(user) if fresh else user
    file = parse_csv(text)
    with CaptureQueriesContext(connection) as queries:
        plan_file(file, actor=user)
    return len(queries)


def first(count: int):
    return lambda rows: rows[:count]


def as_new(count: int):
    return lambda rows: [
        dict(row, reference=f"NEW-{n}", title=f"New {n}") for n, row in enumerate(rows[:count])
    ]


def changed(count: int):
    """A changed summary, and each agreement superseding the one before it."""
    return lambda rows: [
        dict(row, public_summary="Changed", supersedes=rows[n - 1]["title"] if n else "")
        for n, row in enumerate(rows[:count])
    ]


@pytest.mark.parametrize("rows", [first, as_new, changed], ids=["unchanged", "new", "changed"])
def test_the_dry_run_of_1_row_and_of_50_rows_costs_the_same(ngo_editor, registry_csv, rows):
    one = planned_queries(ngo_editor, edited(registry_csv, rows(1)))
    fifty = planned_queries(ngo_editor, edited(registry_csv, rows(50)))

    assert one == fifty
    assert one <= 16


def test_each_batch_costs_the_same(ngo_editor, registry_csv, monkeypatch):
    # One user object throughout, its access asked before: what each batch costs.
    user = as_loaded(ngo_editor)
    planned_queries(user, edited(registry_csv, changed(10)), fresh=False)
    one_batch = planned_queries(user, edited(registry_csv, changed(10)), fresh=False)
    monkeypatch.setattr(planning, "PLAN_BATCH", 10)

    five_batches = planned_queries(user, edited(registry_csv, changed(50)), fresh=False)

    assert five_batches == 5 * one_batch


def applied_queries(user, text: str) -> int:
    user = as_loaded(user)
    job = upload(user, text)
    assert job.can_apply
    job.status = "applying"
    job.save(update_fields=["status"])
    with CaptureQueriesContext(connection) as queries:
        job = import_job_write(job)
    assert job.status == "applied", job.message
    return len(queries)


def test_creating_1_agreement_and_50_agreements_costs_the_same(ngo_editor, registry_csv):
    one = applied_queries(ngo_editor, edited(registry_csv, as_new(1)))
    fifty = applied_queries(
        ngo_editor,
        edited(
            registry_csv,
            lambda rows: [
                dict(r, reference=f"MORE-{n}", title=f"More {n}") for n, r in enumerate(rows)
            ],
        ),
    )

    assert one == fifty


def test_the_dry_run_of_partnerships_costs_the_same_for_1_and_20(client, ngo, police, ngo_editor):
    for n in range(20):
        factories.partnership_with_parties(
            ngo=ngo, police=police, slug=f"p-{n:02}", title=f"P {n}", submitted_by=ngo_editor
        )
    text = export(client, "partnerships")

    def summaries(count):
        return lambda rows: [dict(row, public_summary="Changed") for row in rows[:count]]

    one = planned_queries(ngo_editor, edited(text, summaries(1)))
    twenty = planned_queries(ngo_editor, edited(text, summaries(20)))

    assert one == twenty
