"""What the public read side keeps for itself: the registry's headline figures, computed
once and read by every request of the home page and ``/api/v1/stats/`` (``summary.py``)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class RegistrySummary(models.Model):
    """The headline figures (``public.stats.registry_figures``) as last computed, with the
    position of the audit chain's head and the date they were computed at: a write to any
    record moves the head, a new day changes what is overdue, and either makes them stale
    (``public.summary``). One row."""

    key = models.CharField(max_length=20, primary_key=True, default="registry")
    # JSON text rather than jsonb, which would reorder the keys of the figures.
    figures_json = models.TextField()
    audit_position = models.BigIntegerField(
        null=True, help_text="The audit chain's head when the figures were computed."
    )
    computed_on = models.DateField(help_text="The registry's date when they were computed.")
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "registry summaries"

    def __str__(self):
        return f"Registry figures of {self.computed_at:%Y-%m-%d %H:%M}"

    @property
    def figures(self) -> dict:
        return json.loads(self.figures_json)

    @staticmethod
    def dump(figures: dict) -> str:
        return json.dumps(figures, cls=DjangoJSONEncoder, ensure_ascii=False)
