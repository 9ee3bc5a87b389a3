"""Who may change an agreement, its terms and its documents, and who may download a document.

An agreement belongs to its partnership: whoever may edit the partnership may
edit its agreements (``partnerships.permissions``).
"""

from __future__ import annotations

from partnerships.models import Partnership
from partnerships.permissions import (
    can_edit_partnership,
    can_see_private_records,
    editor_organizations,
)
from publication.withholding import withheld_fields

from .models import Agreement, AgreementDocument


def can_add_agreement(user, partnership: Partnership) -> bool:
    return can_edit_partnership(user, partnership)


def can_edit_agreement(user, agreement: Agreement) -> bool:
    """The agreement and its data-sharing terms."""
    return can_edit_partnership(user, agreement.partnership)


def can_assign_auditor(user, agreement: Agreement) -> bool:
    """A party's editors, and the editors of oversight organizations."""
    return can_edit_agreement(user, agreement) or (
        user.is_authenticated and editor_organizations(user).oversight().exists()
    )


def can_upload_document(user, agreement: Agreement) -> bool:
    return can_edit_partnership(user, agreement.partnership)


def can_download_document(user, document: AgreementDocument) -> bool:
    """Anyone, for a public version (``document_is_public``); otherwise the parties'
    members, oversight members and site administrators.

    The caller has already checked that the user may see the agreement at all.
    """
    if document_is_public(document):
        return True
    return can_see_private_records(user, document.agreement.partnership)


def document_is_public(document: AgreementDocument) -> bool:
    """A version anyone may download: published with a public agreement, its text not
    withheld."""
    return (
        document.is_published
        and document.agreement.is_public()
        and "file" not in withheld_fields(document)
    )
