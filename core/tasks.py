"""Follow-up work enqueued by name, so that a lower layer can ask for work a higher one
does (a staff write asks for the flags of the agreements it touched) without importing it."""

import logging

from celery import current_app
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)

# The options of every scheduled job. The jobs are idempotent, so a retry or a duplicate
# does no harm; hence:
# - acknowledged only when done. If the pool process running it dies (killed, out of
#   memory), the job is sent again 5 s later, as a retry, so that a job that kills its
#   process every time stops after max_retries instead of looping; if even that send fails,
#   the message goes back to the broker (reject_on_worker_lost). A worker that dies whole
#   leaves the message unacknowledged, and Redis hands it out again after its visibility
#   timeout (CELERY_BROKER_TRANSPORT_OPTIONS), which must stay longer than the hard time
#   limit plus the longest retry delay.
# - time limits: the soft one stops the job with what it committed kept (the next run goes
#   on from there); the hard one kills it, and the message is then acknowledged, not run again.
#   The nightly flagging run over a million agreements takes minutes (benchmarks/RESULTS.md).
# - retries with back-off while the database is unreachable, each after at most 30 s, 1, 2,
#   4 and 5 minutes (jittered).
JOB_OPTIONS = {
    "acks_late": True,
    "retry_on_worker_lost": True,
    "default_retry_delay": 5,
    "reject_on_worker_lost": True,
    "soft_time_limit": 15 * 60,
    "time_limit": 20 * 60,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 30,
    "retry_backoff_max": 5 * 60,
    "retry_jitter": True,
    "max_retries": 5,
}


def broker_connection():
    """A connection to the broker whose every socket operation gives up after
    ``BROKER_TIMEOUT_SECONDS``: a broker that accepts connections but never answers must
    hold neither a save nor ``/healthz``. Only for publishing and checking; the worker
    keeps the transport's own timeouts, which its blocking reads need."""
    timeout = settings.BROKER_TIMEOUT_SECONDS
    return current_app.connection_for_write(
        transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout}
    )


def enqueue_on_commit(task_name: str, *args, **kwargs) -> None:
    """Send the task named ``task_name`` once the current transaction commits.

    Saving a record never fails because the broker is down or hangs: the error is logged
    and the next scheduled run catches up. Publishing tries once more at once, each try
    bounded by ``BROKER_TIMEOUT_SECONDS``, so that a request is not held for long.
    """

    def send():
        try:
            with broker_connection() as connection:
                current_app.send_task(
                    task_name,
                    args=args,
                    kwargs=kwargs,
                    connection=connection,
                    retry=True,
                    retry_policy={"max_retries": 1, "interval_start": 0},
                )
        except (KombuError, OSError):
            logger.warning(
                "could not enqueue %s; the next scheduled run will catch up",
                task_name,
                exc_info=True,
            )

    transaction.on_commit(send)
