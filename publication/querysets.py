"""Which values are withheld, asked of many records at once (``models.py`` imports this)."""

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
        one query."""
        grouped: dict[int, dict] = defaultdict(dict)
        for withholding in self.of_model(model).filter(object_id__in=list(ids)):
            grouped[withholding.object_id][withholding.field] = withholding
        return grouped

    def unconfirmed(self):
        return self.filter(confirmed_at__isnull=True)

    def release_requested(self):
        return self.filter(release_requested_at__isnull=False)

    def lapsing(self, today):
        """Withholdings whose availability date has come: the daily job lifts them."""
        return self.filter(available_on__lte=today)
