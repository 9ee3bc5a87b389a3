from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.trail import audit_job
from oversight.flagging import flagging_run
from oversight.models import Flag


class Command(BaseCommand):
    help = (
        "Expire agreements past their expiry date (where set to auto-expire), then raise "
        "and close every kind of flag. What the nightly job does, without a worker."
    )

    @audit_job("run_flagging")
    def handle(self, *args, **options):
        report = flagging_run(now=timezone.now())
        self.stdout.write(f"expired {report.expired} agreement(s)")
        for kind, label in Flag.Kind.choices:
            if kind in report.failed:
                self.stdout.write(f"{label}: FAILED (see the log)")
            else:
                raised, closed = report.raised.get(kind, 0), report.closed.get(kind, 0)
                self.stdout.write(f"{label}: raised {raised}, closed {closed}")
        if report.failed:
            raise CommandError(f"{len(report.failed)} kind(s) of flag failed")
