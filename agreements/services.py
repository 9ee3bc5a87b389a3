"""Every write to agreements, their data-sharing terms and their document versions.

Keyword-only, typed; each checks that the actor may do it (``permissions.py``),
validates with ``full_clean()`` and writes inside ``transaction.atomic``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext, gettext_lazy

from core.services import apply_fields, require
from core.tasks import enqueue_on_commit
from partnerships.models import Organization, Partnership, PartnershipParty
from partnerships.permissions import editable_partnerships
from partnerships.services import (
    change_or_propose,
    submission_withdraw,
    submission_withdraw_saved,
)
from publication.models import Revision

from . import permissions
from .derived import derived_facts_refresh
from .documents import ExtractedText, check_pdf, extract_text, sha256_of
from .models import Agreement, AgreementDocument, DataSharingTerm, DocumentText

logger = logging.getLogger(__name__)

# Oversight (the layer above) raises and closes the flags; asked by name.
FLAGGING_TASK = "oversight.tasks.run_flagging"


# The reason given when a write is refused (403).
REFUSED = gettext_lazy("You may not change this agreement.")


def _check_related(agreement: Agreement, party_organization_ids: set[int] | None = None) -> None:
    """The rules of the records an agreement names: it supersedes only an agreement of its
    own partnership, and its auditor is not a party (``party_organization_ids``: the
    partnership's parties' organizations, when read already)."""
    supersedes = agreement.supersedes
    if supersedes is not None and supersedes.partnership_id != agreement.partnership_id:
        raise ValidationError(
            {"supersedes": gettext("An agreement can only supersede one of the same partnership.")}
        )
    _check_auditor(agreement, party_organization_ids)


def _check_auditor(agreement: Agreement, party_organization_ids: set[int] | None = None) -> None:
    auditor = agreement.independent_auditor
    if auditor is not None and not agreement.has_independent_auditor(party_organization_ids):
        raise ValidationError(
            {
                "independent_auditor": gettext(
                    "%(name)s is a party to this partnership, so it cannot audit it "
                    "independently. Choose an organization that is not a party."
                )
                % {"name": auditor.name}
            }
        )


def _save_terms(
    agreement: Agreement,
    *,
    add: Sequence[Mapping[str, Any]],
    change: Sequence[tuple[DataSharingTerm, Mapping[str, Any]]],
    remove: Sequence[DataSharingTerm],
) -> None:
    for term in [*remove, *(t for t, _ in change)]:
        if term.agreement_id != agreement.pk:
            raise PermissionDenied(gettext("That data-sharing term belongs to another agreement."))
    for term in remove:
        term.delete()
    for term, data in change:
        apply_fields(term, DataSharingTerm.FIELDS, data)
        term.full_clean()
        term.save()
    for data in add:
        term = DataSharingTerm(agreement=agreement)
        apply_fields(term, DataSharingTerm.FIELDS, data)
        term.full_clean()
        term.save()


def _derived_refresh(agreement: Agreement) -> None:
    """Store the agreement's derived facts anew (its terms or its auditor changed), in
    this transaction, and let the instance show them."""
    derived_facts_refresh(agreement_ids=[agreement.pk])
    agreement.refresh_from_db(fields=["stored_risk_level", "auditor_is_independent"])


def _flags_refresh(agreement: Agreement) -> None:
    """Raise and close the agreement's flags now rather than tonight: a flagging run over
    that agreement alone, enqueued once the save commits; if the broker is down, the
    nightly run catches up."""
    enqueue_on_commit(FLAGGING_TASK, agreement_ids=[agreement.pk])


def _refresh_next_review_due(agreement: Agreement) -> None:
    due = agreement.compute_next_review_due()
    if agreement.next_review_due != due:
        agreement.next_review_due = due
        agreement.save(update_fields=["next_review_due", "updated_at"])


@transaction.atomic
def agreement_create(
    *,
    partnership: Partnership,
    actor,
    data: Mapping[str, Any],
    terms: Sequence[Mapping[str, Any]] = (),
) -> Agreement:
    """A new agreement of ``partnership`` with its data-sharing ``terms``; its next review
    is due one review interval after it takes effect."""
    require(permissions.can_add_agreement(actor, partnership), REFUSED)
    agreement = Agreement(partnership=partnership)
    apply_fields(agreement, Agreement.EDITABLE_FIELDS, data)
    agreement.full_clean()
    _check_related(agreement)
    agreement.save()
    _save_terms(agreement, add=terms, change=(), remove=())
    _refresh_next_review_due(agreement)
    _derived_refresh(agreement)
    _flags_refresh(agreement)
    return agreement


# Many at once (an import) ------------------------------------------------------------

# The foreign keys an agreement checked without a query holds as records (or as ids the
# database checks), never as ids to look up one by one.
RELATED_FIELDS = tuple(field.name for field in Agreement._meta.concrete_fields if field.is_relation)


@dataclass
class NewAgreement:
    """An agreement to create in bulk: ``data`` as ``agreement_create`` takes it, ``terms``
    its data-sharing terms' values; ``supersedes_new``, another agreement of the same call
    that it supersedes (``data["supersedes"]`` names an existing one)."""

    partnership: Partnership
    data: Mapping[str, Any]
    terms: Sequence[Mapping[str, Any]] = ()
    supersedes_new: NewAgreement | None = None
    agreement: Agreement | None = field(default=None, init=False)


def agreement_check(agreement: Agreement, *, party_organization_ids: set[int]) -> None:
    """Check an agreement, new or changed in memory, as its services check it, without a
    query (a ValidationError otherwise): the model's rules (``clean()``, which states its
    check constraints as field errors) and those of the records it names, given as
    records, with its partnership's parties' organizations. The database's constraints
    and foreign keys stand behind them."""
    agreement.full_clean(exclude=RELATED_FIELDS, validate_unique=False, validate_constraints=False)
    _check_related(agreement, party_organization_ids)


def agreement_check_new(
    new: NewAgreement, *, party_organization_ids: set[int]
) -> tuple[Agreement, list[DataSharingTerm]]:
    """The agreement ``new`` describes and its terms, built and checked as
    ``agreement_create`` checks them, without a query (a ValidationError otherwise):
    the records it names are given, and so are its partnership's parties' organizations.
    The database's check constraints and foreign keys stand behind ``clean()`` and these."""
    agreement = Agreement(partnership=new.partnership)
    apply_fields(agreement, Agreement.EDITABLE_FIELDS, new.data)
    agreement_check(agreement, party_organization_ids=party_organization_ids)
    # A new agreement has no reviews yet: its first is due an interval after it takes effect.
    agreement.next_review_due = agreement.review_due_after(agreement.effective_from)
    terms = []
    for values in new.terms:
        term = DataSharingTerm(agreement=agreement)
        apply_fields(term, DataSharingTerm.FIELDS, values)
        term.full_clean(exclude=["agreement"], validate_constraints=False)
        terms.append(term)
    return agreement, terms


BULK_BATCH = 1000


@transaction.atomic
def agreements_create_bulk(
    *,
    actor,
    new: Sequence[NewAgreement],
    on_batch: Callable[[int], None] | None = None,
) -> list[Agreement]:
    """Create many agreements with their data-sharing terms, each checked as
    ``agreement_create`` checks it, in a number of queries that does not grow with the rows
    of a batch:

    1. The actor must be allowed to add agreements to every partnership (one query).
    2. Read the parties' organizations of those partnerships (one query) and check each
       agreement (``agreement_check_new``: no query).
    3. Insert the agreements, then their terms, ``BULK_BATCH`` at a time (the audit
       trail's triggers record each row); ``on_batch(n)`` is told each time ``n`` more are
       in. An agreement superseding one created in the same call gets it after the insert.
    4. Store their derived facts (``derived_facts_refresh``: one statement), and once the
       transaction commits, one flagging run over all of them.

    Each is a draft, as one made with the form is: the publication workflow starts there.
    """
    partnership_ids = {item.partnership.pk for item in new}
    editable = set(
        editable_partnerships(actor).filter(pk__in=partnership_ids).values_list("pk", flat=True)
    )
    require(partnership_ids <= editable, REFUSED)
    parties: dict[int, set[int]] = {pk: set() for pk in partnership_ids}
    for partnership_id, organization_id in PartnershipParty.objects.filter(
        partnership_id__in=partnership_ids
    ).values_list("partnership_id", "organization_id"):
        parties[partnership_id].add(organization_id)

    checked = []
    for item in new:
        agreement, terms = agreement_check_new(
            item, party_organization_ids=parties[item.partnership.pk]
        )
        item.agreement = agreement
        checked.append((agreement, terms))
    # Superseding an agreement of the same call: checked now, set once both are in.
    later = [item for item in new if item.supersedes_new is not None]
    for item in later:
        item.agreement.supersedes = item.supersedes_new.agreement
        _check_related(item.agreement, parties[item.partnership.pk])
        item.agreement.supersedes = None

    created = []
    for start in range(0, len(checked), BULK_BATCH):
        batch = checked[start : start + BULK_BATCH]
        agreements = Agreement.objects.bulk_create([agreement for agreement, _ in batch])
        for agreement, terms in batch:
            for term in terms:
                term.agreement = agreement
        DataSharingTerm.objects.bulk_create([term for _, terms in batch for term in terms])
        created += agreements
        if on_batch is not None:
            on_batch(len(batch))
    for item in later:
        item.agreement.supersedes = item.supersedes_new.agreement
    if later:
        Agreement.objects.bulk_update(
            [item.agreement for item in later], ["supersedes"], batch_size=BULK_BATCH
        )
    # Their risk levels and auditors' independence, in one statement for all of them.
    derived_facts_refresh(agreement_ids=[agreement.pk for agreement in created])
    if created:
        enqueue_on_commit(FLAGGING_TASK, agreement_ids=[agreement.pk for agreement in created])
    return created


@transaction.atomic
def agreement_update(
    *,
    agreement: Agreement,
    actor,
    data: Mapping[str, Any],
    terms_to_add: Sequence[Mapping[str, Any]] = (),
    terms_to_change: Sequence[tuple[DataSharingTerm, Mapping[str, Any]]] = (),
    terms_to_remove: Sequence[DataSharingTerm] = (),
    form_data: Mapping[str, Any] | None = None,
    revision: Revision | None = None,
) -> Agreement:
    """Change the agreement and add, change and remove its data-sharing terms at once. A
    submitted agreement becomes a draft again (``submission_withdraw``); an approved one
    does not change yet: the edit becomes its pending revision (``change_or_propose``)."""
    require(permissions.can_edit_agreement(actor, agreement), REFUSED)

    def change():
        apply_fields(agreement, Agreement.EDITABLE_FIELDS, data)
        # A submitted agreement becomes a draft again: the approver approves what is
        # published.
        submission_withdraw(agreement)
        agreement.full_clean()
        _check_related(agreement)
        agreement.save()
        _save_terms(agreement, add=terms_to_add, change=terms_to_change, remove=terms_to_remove)
        _refresh_next_review_due(agreement)
        _derived_refresh(agreement)
        _flags_refresh(agreement)

    change_or_propose(agreement, change, actor=actor, form_data=form_data, revision=revision)
    return agreement


@transaction.atomic
def auditor_assign(*, agreement: Agreement, actor, auditor: Organization | None) -> Agreement:
    """Assign (or, with ``None``, remove) the agreement's independent auditor. An
    organization that is a party to the partnership is refused: it is not independent.
    The no-independent-auditor flag closes on the flagging run enqueued after commit."""
    require(permissions.can_assign_auditor(actor, agreement), REFUSED)
    agreement.independent_auditor = auditor
    _check_auditor(agreement)
    agreement.save(update_fields=["independent_auditor", "updated_at"])
    _derived_refresh(agreement)
    _flags_refresh(agreement)
    return agreement


def document_upload(
    *, agreement: Agreement, file, actor, is_public: bool = False
) -> AgreementDocument:
    """Store ``file`` (an uploaded file) as the agreement's next document version.

    The file must be a PDF within ``AGREEMENT_DOCUMENT_MAX_BYTES`` (``DocumentRejected``
    otherwise). Versions are numbered 1, 2, 3... under a lock on the agreement, so two
    uploads at once get two versions; earlier versions are never touched. A submitted
    agreement becomes a draft again.
    """
    require(permissions.can_upload_document(actor, agreement), REFUSED)
    check_pdf(file)
    sha256 = sha256_of(file)
    # Read before the lock is taken: the text is the upload's slowest part.
    extracted = extract_text(file)
    with transaction.atomic():
        # Serialises concurrent uploads to one agreement; the unique constraint is the
        # backstop.
        Agreement.objects.select_for_update().filter(pk=agreement.pk).first()
        latest = agreement.documents.aggregate(latest=Max("version"))["latest"] or 0
        document = AgreementDocument(
            agreement=agreement,
            version=latest + 1,
            sha256=sha256,
            size_bytes=file.size,
            uploaded_by=actor,
            is_public=is_public,
        )
        # The storage never overwrites: a taken name gets a suffix.
        document.file.save(f"v{document.version}.pdf", file, save=False)
        try:
            document.full_clean()
            document.save()
            _save_text(document, extracted)
            # The approver approves what will be published, this version included.
            submission_withdraw_saved(agreement)
        except Exception:
            document.file.delete(save=False)
            raise
    return document


def _save_text(document: AgreementDocument, extracted: ExtractedText) -> DocumentText:
    text, _ = DocumentText.objects.update_or_create(
        document=document,
        defaults={
            "status": extracted.status,
            "text": extracted.text,
            "pages_read": extracted.pages_read,
            "truncated": extracted.truncated,
        },
    )
    return text


def document_texts_extract(*, documents=None) -> dict[str, int]:
    """Read the text of the document versions that have none yet (of ``documents``, a
    queryset, when given), for versions uploaded before texts were read.

    1. Select the versions without a text.
    2. Read each one's file; a missing file is counted and left for a later run.
    3. Store what was read, a scan and an unreadable PDF included.

    One bad version never stops the run. Returns the counts by outcome.
    """
    counts = dict.fromkeys(DocumentText.Status.values, 0) | {"missing_file": 0}
    pending = (documents if documents is not None else AgreementDocument.objects.all()).filter(
        text__isnull=True
    )
    for document in pending.order_by("pk").iterator():
        try:
            with document.file.open("rb") as handle:
                extracted = extract_text(handle)
        except (FileNotFoundError, ValueError):
            logger.warning("document %s: its file %r is missing", document.pk, document.file.name)
            counts["missing_file"] += 1
            continue
        _save_text(document, extracted)
        counts[extracted.status] += 1
    return counts
