from django.core.management.base import BaseCommand
from django.utils import timezone

from alerts.matching import alerts_match, alerts_send
from audit.trail import audit_job


class Command(BaseCommand):
    help = (
        "Match the published changes since the last run against the alerts; send the e-mails due."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        with audit_job("send_alerts"):
            items = alerts_match(now=now)
            emails = alerts_send(now=now)
        self.stdout.write(f"{items} items matched, {emails} e-mails sent.")
