from django.core.management.base import BaseCommand

from agreements.derived import derived_facts_refresh
from audit.trail import audit_job


class Command(BaseCommand):
    help = (
        "Re-derive the facts every agreement stores (risk level, auditor independence) and "
        "write those that differ from their rules. Idempotent; "
        "what the nightly job does as a safety net, without a worker."
    )

    @audit_job("refresh_derived")
    def handle(self, *args, **options):
        changed = derived_facts_refresh()
        self.stdout.write(f"risk level and auditor independence: {changed} agreement(s) corrected")
