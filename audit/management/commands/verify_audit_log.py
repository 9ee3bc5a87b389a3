from django.core.management.base import BaseCommand, CommandError

from audit.chain import audit_log_supported, audit_log_verify


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain and recompute every event's hash. Exits non-zero, "
        "naming the first broken event, if any event was altered, deleted, inserted or "
        "reordered; otherwise prints the head of the chain, for publication."
    )

    def handle(self, *args, **options):
        if not audit_log_supported():
            self.stdout.write("no audit log on this database: it is recorded on PostgreSQL only")
            return
        result = audit_log_verify()
        if not result.ok:
            raise CommandError(
                f"audit log broken: first broken event {result.broken}; "
                f"{result.checked} event(s) before it verified"
            )
        self.stdout.write(f"audit log verified: {result.checked} event(s)")
        if result.head:
            self.stdout.write(
                f"head: position {result.head.seq}, hash {result.head.hash}, "
                f"recorded {result.head.recorded_at.isoformat()}"
            )
