"""Which values are withheld, asked of many records at once (``models.py`` imports this)."""

import copy
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models


class WithholdingQuerySet(models.QuerySet):
    def of_model(self, model: type[models.Model]):
        return self.filter(content_type=ContentType.objects.get_for_model(model))

    def of_record(self, record: models.Model):
        return self.of_model(type(record)).filter(object_id=record.pk)

    def by_record(self, model: type[models.Model], ids: Iterable[int]) -> dict[int, dict]:
        """``{record id: {field: withholding}}`` for the records ``ids`` of ``model``, in
        one query; a field derived from a withheld one is withheld with it
        (``with_derived``)."""
        ids = list(ids)
        grouped: dict[int, dict] = defaultdict(dict)
        for withholding in with_derived(model, self.of_model(model).filter(object_id__in=ids)):
            grouped[withholding.object_id][withholding.field] = withholding
        return grouped

    def unconfirmed(self):
        return self.filter(confirmed_at__isnull=True)

    def release_requested(self):
        return self.filter(release_requested_at__isnull=False)

    def lapsing(self, today):
        """Withholdings whose availability date has come: the daily job lifts them."""
        return self.filter(available_on__lte=today)


def derived_fields(model: type[models.Model]) -> dict[str, str]:
    """``{derived field: the field it is computed from}``: a public field that would give
    away a withheld one (an agreement's next review date, computed from the date it takes
    effect), declared by the model as ``WITHHELD_WITH``."""
    return getattr(model, "WITHHELD_WITH", {})


def with_derived(model: type[models.Model], withholdings: Iterable) -> list:
    """The ``withholdings`` of records of ``model`` and, for each field derived from a
    withheld one, an unsaved copy naming the derived field: it is withheld with it, for the
    same reason."""
    rows = list(withholdings)
    present = {(w.object_id, w.field) for w in rows}
    for derived, source in derived_fields(model).items():
        for withholding in [w for w in rows if w.field == source]:
            if (withholding.object_id, derived) not in present:
                extra = copy.copy(withholding)
                extra.field = derived
                rows.append(extra)
    return rows


class RevisionQuerySet(models.QuerySet):
    def of_record(self, record: models.Model):
        return self.filter(
            content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
        )

    def open(self):
        """Not decided yet: waiting for approval, or sent back to its editors."""
        return self.filter(state__in=OPEN_REVISION_STATES)

    def pending(self):
        return self.filter(state="pending")


# A record has at most one revision in these states (the form its editors edit).
OPEN_REVISION_STATES = ("pending", "sent_back")
