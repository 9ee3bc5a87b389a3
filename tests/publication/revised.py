"""Approving the changes of an approved record in a test, as a site administrator would
from its publication page."""

from agreements.revisions import revision_approve
from publication.models import Revision
from tests import factories


def approve_changes(record):
    """Approve the record's changes waiting for approval; returns the record as it now is
    (``record`` itself is left as it was)."""
    administrator = factories.UserFactory(is_superuser=True)
    revision = Revision.objects.of_record(record).pending().get()
    revision_approve(revision=revision, actor=administrator)
    return type(record).objects.get(pk=record.pk)
