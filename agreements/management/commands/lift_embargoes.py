from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agreements.embargoes import embargo_run
from audit.trail import audit_job


class Command(BaseCommand):
    help = (
        "Publish the partnerships, agreements and document versions whose embargo lifts "
        "today (in TIME_ZONE), lift the withholdings whose availability date has come, and "
        "tell the editors of the records whose embargo lifts tomorrow. What the daily job "
        "does, without a worker; running it twice changes nothing the second time."
    )

    @audit_job("lift_embargoes")
    def handle(self, *args, **options):
        report = embargo_run(timezone.now())
        self.stdout.write(
            f"published {report.partnerships} partnership(s), {report.agreements} "
            f"agreement(s) and {report.documents} document version(s); lifted "
            f"{report.withholdings} withholding(s); sent {report.notices} embargo notice(s) "
            f"({report.emails} e-mail(s))"
        )
        for failure in report.failed:
            self.stdout.write(f"FAILED: {failure} (see the log)")
        if report.failed:
            raise CommandError(f"{len(report.failed)} change(s) failed")
