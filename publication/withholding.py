"""Reading withheld values: one place that says which fields of a record the public may
not see, for every surface (the API's ``withheld`` entries, the pages, the CSV, the search,
the public history)."""

from __future__ import annotations

from django.db import models

from .models import Withholding
from .querysets import with_derived


def withheld_fields(record: models.Model) -> dict[str, Withholding]:
    """``{field: withholding}`` of the record's fields kept from the public."""
    if record.pk is None:
        return {}
    withholdings = Withholding.objects.of_record(record)
    return {w.field: w for w in with_derived(type(record), withholdings)}


def withheld_by_record(model: type[models.Model], ids) -> dict[int, dict[str, Withholding]]:
    """``{record id: {field: withholding}}`` for many records of ``model``, in one query."""
    return Withholding.objects.by_record(model, ids)


def mask(record: models.Model, withheld: dict[str, Withholding] | None = None):
    """The record as the public may see it: each withheld field emptied on the instance,
    so that no template, feed or serializer can show it by mistake, and ``record.withheld``
    set to ``{field: withholding}`` for the "Withheld — <reason>" notices (the fields
    derived from a withheld one included: ``with_derived``). Returns the
    record (an unsaved state: never save a masked record)."""
    if withheld is None:
        withheld = withheld_fields(record)
    else:
        withheld = {w.field: w for w in with_derived(type(record), withheld.values())}
    for name in withheld:
        field = record._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            setattr(record, field.attname, None)
            record._state.fields_cache.pop(field.name, None)
        elif field.null:
            setattr(record, field.attname, None)
        else:
            setattr(record, field.attname, field.get_default())
    record.withheld = withheld
    record._masked = True
    return record
