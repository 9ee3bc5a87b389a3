from django.core.management.base import BaseCommand
from django.utils import timezone

from audit.trail import audit_job
from feedback.services import unconfirmed_delete


class Command(BaseCommand):
    help = "Delete feedback left unconfirmed for 7 days (the nightly job, run now)."

    def handle(self, *args, **options):
        with audit_job("delete_unconfirmed_feedback"):
            counts = unconfirmed_delete(now=timezone.now())
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))
