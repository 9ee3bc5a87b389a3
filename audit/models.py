"""The audit log's own record: the chain heads that verifications found intact, signed.
The events themselves are the event models each app declares (``audit.trail``)."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.crypto import constant_time_compare, salted_hmac


class AuditCheckpoint(models.Model):
    """A head of the audit chain that a verification found intact. Later verifications check
    that the chain still passes through it, which detects events deleted from the end of the
    chain (the links alone cannot), and that its signature holds.

    Each checkpoint is signed with a key outside the database (``AUDIT_SIGNING_KEY``), over
    its head and the signature of the checkpoint before it: whoever can write to the
    database but does not hold the key can neither record a checkpoint for a rewritten
    chain nor remove one from the middle unnoticed. Append-only. Checkpoints kept before
    signing began have no signature."""

    seq = models.BigIntegerField(help_text="Position of the head event in the chain.")
    hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(help_text="When the head event was recorded.")
    verified_at = models.DateTimeField()
    previous_signature = models.CharField(
        max_length=64, blank=True, help_text="The signature of the checkpoint before it."
    )
    signature = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["seq"]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self):
        return f"position {self.seq} ({self.hash[:12]}…), verified {self.verified_at:%Y-%m-%d}"

    @staticmethod
    def sign(*, seq: int, hash: str, previous_signature: str) -> str:
        """The signature of a checkpoint of the head (``seq``, ``hash``) following the one
        signed ``previous_signature`` ("" for the first)."""
        return salted_hmac(
            "audit.checkpoint",
            f"{seq}:{hash}:{previous_signature}",
            secret=settings.AUDIT_SIGNING_KEY or settings.SECRET_KEY,
            algorithm="sha256",
        ).hexdigest()

    def signature_holds(self) -> bool:
        """Whether the checkpoint was signed with the key, as it stands."""
        expected = self.sign(
            seq=self.seq, hash=self.hash, previous_signature=self.previous_signature
        )
        return bool(self.signature) and constant_time_compare(self.signature, expected)
