"""A job survives the death of the worker running it: a real Celery worker (prefork, one pool
process) on Redis and the test database, killed in the middle of a flagging run, and the
run done again, raising each flag once."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from oversight.models import Flag
from oversight.rules import FLAG_RULES
from tests import factories

from .processes import PROJECT_ROOT, database_url, stop, subprocess_environment

pytestmark = [
    pytest.mark.fault,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

# The longest wait for each step (a worker's start included): seconds on a quiet machine.
WAIT_SECONDS = 45


class FaultWorker:
    """Workers of ``tests.faults.worker`` on their own Redis keys and queue, and the files
    they write in ``folder``."""

    def __init__(self, folder: Path, processes: list, **environ: str):
        self.folder = folder
        self.processes = processes
        self.queue = f"fault-{uuid.uuid4().hex}"
        self.environ = subprocess_environment(
            DATABASE_URL=database_url(),
            FAULT_DIR=str(folder),
            FAULT_KEY_PREFIX=f"{self.queue}:",
            **environ,
        )

    def start(self) -> subprocess.Popen:
        log = (self.folder / f"worker-{len(self.processes)}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.faults.worker",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                f"--queues={self.queue}",
                f"--hostname={self.queue}-{len(self.processes)}@127.0.0.1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=PROJECT_ROOT,
            env=self.environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        self.current = process
        return process

    def send(self, task_name: str) -> None:
        publisher = Celery(
            "fault-publisher",
            broker=settings.CELERY_BROKER_URL,
            set_as_current=False,
        )
        publisher.conf.broker_transport_options = {"global_keyprefix": f"{self.queue}:"}
        try:
            publisher.send_task(task_name, queue=self.queue)
        finally:
            publisher.close()

    def wait_for(self, name: str) -> str:
        path = self.folder / name
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if path.exists():
                return path.read_text()
            assert self.current.poll() is None, f"the worker stopped:\n{self.logs()}"
            time.sleep(0.1)
        raise AssertionError(f"no {name} after {WAIT_SECONDS} s:\n{self.logs()}")

    def deliveries(self) -> list[str]:
        return (self.folder / "deliveries").read_text().splitlines()

    def logs(self) -> str:
        return "\n".join(log.read_text()[-3000:] for log in sorted(self.folder.glob("*.log")))

    def forget_keys(self) -> None:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        try:
            keys = list(client.scan_iter(match=f"{self.queue}:*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.fixture
def fault_worker(tmp_path, processes):
    def make(**environ: str) -> FaultWorker:
        worker = FaultWorker(tmp_path, processes, **environ)
        made.append(worker)
        return worker

    made: list[FaultWorker] = []
    yield make
    for process in processes:
        stop(process)
    for worker in made:
        worker.forget_keys()


@pytest.fixture
def overdue_agreements(partnership):
    """Agreements each of which the flagging run gives a review-overdue flag (the first
    kind it raises) and a no-independent-auditor flag (the second)."""
    return [
        factories.AgreementFactory(
            partnership=partnership,
            next_review_due=timezone.localdate() - dt.timedelta(days=1),
            independent_auditor=None,
        )
        for _ in range(20)
    ]


def expected_flags() -> set[tuple[int, str]]:
    today = timezone.localdate()
    return {
        (agreement_id, str(rule.kind))
        for rule in FLAG_RULES
        for agreement_id in rule.agreements(today).values_list("pk", flat=True)
    }


def assert_each_expected_flag_raised_once(expected: set[tuple[int, str]]) -> None:
    flags = set(Flag.objects.values_list("agreement_id", "kind"))
    assert flags == expected
    assert Flag.objects.count() == len(expected)
    assert Flag.objects.filter(resolved_at__isnull=False).exists() is False
    duplicates = Flag.objects.values("agreement_id", "kind").annotate(n=Count("pk")).filter(n__gt=1)
    assert list(duplicates) == []


def assert_paused_after_the_first_kind(expected: set[tuple[int, str]]) -> None:
    first, second = (str(rule.kind) for rule in FLAG_RULES[:2])
    raised = set(Flag.objects.values_list("agreement_id", "kind"))
    assert raised == {flag for flag in expected if flag[1] == first}
    assert {flag for flag in expected if flag[1] == second}, "the run has a second kind to raise"


def test_a_flagging_run_whose_pool_process_is_killed_runs_again_and_raises_each_flag_once(
    fault_worker, overdue_agreements
):
    expected = expected_flags()
    worker = fault_worker()
    worker.start()

    worker.send("oversight.tasks.run_flagging")
    pool_process = int(worker.wait_for("paused"))
    assert_paused_after_the_first_kind(expected)
    os.kill(pool_process, signal.SIGKILL)
    done = worker.wait_for("done")

    assert done.startswith("oversight.tasks.run_flagging ")
    deliveries = worker.deliveries()
    assert len(deliveries) == 2, deliveries
    assert str(pool_process) in deliveries[0]
    assert str(pool_process) not in deliveries[1]
    assert_each_expected_flag_raised_once(expected)


def test_a_flagging_run_whose_whole_worker_is_killed_is_handed_to_the_next_worker(
    fault_worker, overdue_agreements
):
    """The worker dies whole (SIGKILL: no warm shutdown hands the message back): Redis hands
    the unacknowledged message out again once its visibility timeout (5 s here) is over."""
    expected = expected_flags()
    worker = fault_worker(FAULT_VISIBILITY_TIMEOUT="5")
    first = worker.start()

    worker.send("oversight.tasks.run_flagging")
    pool_process = int(worker.wait_for("paused"))
    assert_paused_after_the_first_kind(expected)
    stop(first)
    worker.start()
    worker.wait_for("done")

    deliveries = worker.deliveries()
    assert len(deliveries) == 2, deliveries
    assert str(pool_process) in deliveries[0]
    assert_each_expected_flag_raised_once(expected)
