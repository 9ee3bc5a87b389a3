from django.core.management.base import BaseCommand, CommandError

from audit.chain import audit_checkpoint_record, audit_log_verify


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain, recompute every event's hash and hold the chain to "
        "the signed checkpoints of earlier verifications. Exits non-zero, naming the first "
        "broken event or checkpoint, if any event was altered, deleted, inserted or "
        "reordered, or a checkpoint forged or deleted; otherwise keeps the head as a signed "
        "checkpoint and prints it, for publication."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-checkpoint",
            action="store_true",
            help="Only verify: keep no checkpoint (e.g. on a restored backup).",
        )

    def handle(self, *args, no_checkpoint=False, **options):
        result = audit_log_verify()
        if not result.ok:
            raise CommandError(
                f"audit log broken: {result.broken}; {result.checked} event(s) before it verified"
            )
        self.stdout.write(f"audit log verified: {result.checked} event(s)")
        if result.head:
            self.stdout.write(
                f"head: position {result.head.seq}, hash {result.head.hash}, "
                f"recorded {result.head.recorded_at.isoformat()}"
            )
        checkpoint = None if no_checkpoint else audit_checkpoint_record(result)
        if checkpoint is not None:
            self.stdout.write(
                f"checkpoint: position {checkpoint.seq}, signed {checkpoint.signature}"
            )
