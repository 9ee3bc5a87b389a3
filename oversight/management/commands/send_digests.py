from django.core.management.base import BaseCommand
from django.utils import timezone

from audit.trail import audit_job
from oversight.digests import digests_send


class Command(BaseCommand):
    help = (
        "E-mail each person concerned one digest of newly raised flags and of reviews "
        "due within 30 days. Each flag and each upcoming review is announced once."
    )

    @audit_job("send_digests")
    def handle(self, *args, **options):
        report = digests_send(now=timezone.now())
        self.stdout.write(
            f"sent {report.emails} digest(s): {report.flags} new flag(s), "
            f"{report.reviews_due} review(s) due soon; {report.failed} failed"
        )
