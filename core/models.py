"""The base every registry record shares."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class StoresDerivedFacts(models.Model):
    """A record that stores facts derived from other records (``DERIVED_FIELDS``), which
    only their refresh writes, in the transaction of the write that changes what they
    derive from. A save of a stored record writes every other field: an instance read
    before a refresh holds them stale, and saving it must not put the stale values back."""

    DERIVED_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is None and not self._state.adding and not kwargs.get("force_insert"):
            deferred = self.get_deferred_fields()
            update_fields = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name not in self.DERIVED_FIELDS
                and field.attname not in deferred
            ]
        super().save(*args, update_fields=update_fields, **kwargs)
