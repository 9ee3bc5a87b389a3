"""The audit log's own record: the chain heads that the daily verification found intact.
The events themselves are the event models each app declares (``audit.trail``)."""

import pgtrigger
from django.db import models


class AuditCheckpoint(models.Model):
    """A head of the audit chain that the daily verification found intact. Later
    verifications check that the chain still passes through it, which detects events
    deleted from the end of the chain (the links alone cannot). Append-only."""

    seq = models.BigIntegerField(help_text="Position of the head event in the chain.")
    hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(help_text="When the head event was recorded.")
    verified_at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self):
        return f"position {self.seq} ({self.hash[:12]}…), verified {self.verified_at:%Y-%m-%d}"
