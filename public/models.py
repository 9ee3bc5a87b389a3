"""What the public read side keeps for itself: the registry's headline figures, computed
once and read by every request of the home page and ``/api/v1/stats/`` (``summary.py``)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.functional import cached_property


class RegistrySummary(models.Model):
    """The headline figures (``public.stats.registry_figures``) and the counts beside the
    unfiltered registry's filter options (``public.registry``) as last computed, with the
    position of the audit chain's head and the date they were computed at: a write to any
    record moves the head, a new day changes what is overdue, and either makes them stale
    (``public.summary``). One row."""

    # The shape of what ``figures_json`` holds, stored in it: raised with any change of that
    # shape (a figure added, renamed or counted differently), so that a summary stored by
    # another version of the code is counted again rather than read (``public.summary``).
    SHAPE_VERSION = 2

    key = models.CharField(max_length=20, primary_key=True, default="registry")
    # JSON text rather than jsonb, which would reorder the keys of the figures:
    # ``{"version": SHAPE_VERSION, "figures": {...}, "registry_facets": {...}}``.
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

    @cached_property
    def stored(self) -> dict:
        # Version 1 held the figures alone, without a version: its ``version`` is None.
        return json.loads(self.figures_json)

    @property
    def version(self) -> int | None:
        return self.stored.get("version")

    @property
    def figures(self) -> dict:
        return self.stored["figures"]

    @property
    def registry_facets(self) -> dict:
        return self.stored["registry_facets"]

    @staticmethod
    def dump(figures: dict) -> str:
        return json.dumps(figures, cls=DjangoJSONEncoder, ensure_ascii=False)
