"""The publication layer's one write of its own: storing an edit of an approved record as
its open revision. The services of the records above call it once they have checked that
the actor may edit the record (this layer knows nothing of organizations); approving,
sending back and withdrawing a revision are the workflow's (``agreements.revisions``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from .choices import RevisionState
from .models import Revision

# Never stored: the form's CSRF token, and the buttons that said what to do.
NOT_STORED = frozenset({"csrfmiddlewaretoken", "add_term"})


def form_data_of(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """A submitted form's fields as JSON: every name with all its values (a QueryDict's
    lists; a plain mapping's values, one or many)."""
    getlist = getattr(data, "getlist", None)
    stored = {}
    for name in data:
        if name in NOT_STORED:
            continue
        if getlist is not None:
            values = getlist(name)
        else:
            value = data[name]
            values = list(value) if isinstance(value, list | tuple) else [value]
        stored[name] = ["" if v is None else str(v) for v in values]
    return stored


@transaction.atomic
def revision_store(*, record: models.Model, actor, form_data: Mapping[str, Any]) -> Revision:
    """Store ``form_data`` (the record's edit form, validated by the caller) as the
    record's open revision, waiting for approval: a new one, or the open one replaced (a
    revision sent back becomes pending again). The caller has checked that ``actor`` may
    edit the record."""
    content_type = ContentType.objects.get_for_model(type(record))
    revision = (
        Revision.objects.select_for_update()
        .filter(content_type=content_type, object_id=record.pk)
        .open()
        .first()
    ) or Revision(content_type=content_type, object_id=record.pk)
    revision.form_data = form_data_of(form_data)
    revision.state = RevisionState.PENDING
    revision.proposed_by = actor
    revision.proposed_at = timezone.now()
    revision.comment = ""
    revision.full_clean()
    revision.save()
    return revision
