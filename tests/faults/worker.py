"""The Celery app of the fault tests' worker (``celery -A tests.faults.worker worker``): the
project's app, steered by the environment.

- ``FAULT_KEY_PREFIX``: every Redis key the worker reads or writes starts with it, so that
  the test's messages are apart from any other worker's on the same Redis database.
- ``FAULT_VISIBILITY_TIMEOUT``: a visibility timeout of that many seconds, swept every
  second (in production: half an hour, swept every 100 s).
- ``FAULT_DIR``: a folder where every delivery of a task appends a line to ``deliveries``
  and a task that succeeded writes ``done``; the flagging run's first delivery pauses
  before its second kind of flag (the first kind committed), after writing its pool
  process's id to ``paused``, so that the test can kill it mid-run.
"""

import os
import time
from pathlib import Path

from celery.signals import task_prerun, task_success, worker_process_init

from config.celery import app

FOLDER = Path(os.environ["FAULT_DIR"])
PAUSE_SECONDS = 30  # the test kills the process long before

transport_options = {
    **app.conf.broker_transport_options,
    "global_keyprefix": os.environ["FAULT_KEY_PREFIX"],
}
if os.environ.get("FAULT_VISIBILITY_TIMEOUT"):
    transport_options |= {
        "visibility_timeout": int(os.environ["FAULT_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
app.conf.broker_transport_options = transport_options


def write(name: str, text: str) -> None:
    """Write the file whole or not at all: the test polls for it."""
    partial = FOLDER / f".{name}.partial"
    partial.write_text(text)
    partial.rename(FOLDER / name)


@task_prerun.connect
def record_delivery(task_id=None, task=None, **kwargs):
    with (FOLDER / "deliveries").open("a") as deliveries:
        deliveries.write(f"{task.name} {task_id} {os.getpid()}\n")


@task_success.connect
def record_success(sender=None, result=None, **kwargs):
    write("done", f"{sender.name} {result}\n")


@worker_process_init.connect
def pause_the_first_flagging_run(**kwargs):
    from oversight import flagging

    flags_close = flagging.flags_close

    def pausing_flags_close(*, rule, **arguments):
        if rule == flagging.FLAG_RULES[1] and not (FOLDER / "paused").exists():
            write("paused", str(os.getpid()))
            time.sleep(PAUSE_SECONDS)
        return flags_close(rule=rule, **arguments)

    flagging.flags_close = pausing_flags_close
