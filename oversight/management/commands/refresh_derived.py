from django.core.management.base import BaseCommand

from audit.trail import audit_job
from oversight.derived import derived_refresh


class Command(BaseCommand):
    help = (
        "Re-derive the facts every agreement stores (risk level, auditor independence, the "
        "kinds of its open flags) and write those that differ from their rules. Idempotent; "
        "what the nightly job does as a safety net, without a worker."
    )

    @audit_job("refresh_derived")
    def handle(self, *args, **options):
        changed = derived_refresh()
        self.stdout.write(
            f"risk level and auditor independence: {changed['risk_and_auditor']} "
            f"agreement(s) corrected; open flags' kinds: {changed['open_flag_kinds']} "
            "agreement(s) corrected"
        )
