"""Celery beat's scheduler, with a heartbeat for the beat container's health check."""

from pathlib import Path

from celery.beat import PersistentScheduler


def heartbeat_path(schedule_filename: str) -> Path:
    """The file beat touches on every tick: beside its schedule file."""
    return Path(f"{schedule_filename}.heartbeat")


class HeartbeatScheduler(PersistentScheduler):
    """Celery's own scheduler (the schedule's state kept in the ``--schedule`` file) that
    touches ``<schedule file>.heartbeat`` on every tick. Beat ticks at least every
    ``beat_max_loop_interval`` seconds, so an old heartbeat means beat is stuck or gone (a
    tick blocked on a broker that does not answer counts as stuck)."""

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        heartbeat_path(self.schedule_filename).touch()
        return interval
