"""The base every registry record shares, and the language each account reads it in."""

from django.conf import settings
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


def _languages():
    return settings.LANGUAGES


class AccountLanguage(models.Model):
    """The language an account reads the registry in, staff and followers alike: the one
    its e-mails are written in (``core.languages.recipient_language``), since a job that
    sends one has no request to take a language from. Kept when a follower signs up, when
    an account signs in, when it uses the language switcher, and when a follower manages
    their alerts (``core.languages.account_language_record``). Here rather than in
    ``accounts`` or ``alerts``: every app that sends e-mail reads it, down to the audit log's
    check, and no app may read one above it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="account_language",
    )
    language = models.CharField(max_length=10, choices=_languages)

    def __str__(self):
        return f"{self.user}: {self.language}"
