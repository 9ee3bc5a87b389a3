"""The publication workflow: every step of a record on its way to the public, the values
withheld from it, and the approval queue.

A record (a partnership or an agreement) goes draft -> submitted -> published, or, when
approved under an embargo, -> embargoed -> published (by an editor here, or on its date by
the daily job, ``agreements.embargoes``); a published record may be retracted. A party's
editors take each step but one: the approval, which needs a second pair of eyes
(``partnerships.permissions.Approver``).

A value is withheld field by field, on the record or on one of an agreement's data-sharing
terms, document versions and reviews. Protection never waits: a withholding takes effect
the moment it is added, and an approver confirms it afterwards. Publishing a withheld value
again does wait: on an approved record it is a request an approver grants.

Every service is keyword-only, checks the permission first, validates and writes inside
``transaction.atomic``. Each step is a change of the record's own fields
(``publication.models.Publishable``) or of a ``Withholding`` row, so the database triggers
record it in the audit trail with who took it.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from datetime import date
from functools import reduce

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import dateformat, timezone

from core.services import require
from partnerships import permissions
from partnerships.models import Partnership
from partnerships.services import slug_base, unique_slug
from publication.choices import APPROVED_STATES, PublicationStatus, WithholdingReason
from publication.models import Publishable, Revision, Withholding

from .derived import partnership_facts_refresh
from .models import Agreement, AgreementDocument, DataSharingTerm

Status = PublicationStatus

# An agreement's parts whose values may be withheld, by the agreement's relation to them.
# Reviews belong to oversight, the layer above: they are reached through the relation,
# never imported.
AGREEMENT_PARTS = ("data_sharing_terms", "documents", "reviews")

# The fields a step changes (the record's other fields are the editors').
STATE_FIELDS = (
    "publication_status",
    "submitted_by",
    "submitted_at",
    "published_at",
    "publication_comment",
    "retracted_on",
    "retraction_reason",
    "embargoed_until",
    "embargo_indefinite",
    "embargo_reason",
    "embargo_announced",
    "embargo_notice_sent_at",
)

Record = Partnership | Agreement


def part_models() -> list[type[models.Model]]:
    """The models of an agreement's parts that carry withholdable fields."""
    return [Agreement._meta.get_field(name).related_model for name in AGREEMENT_PARTS]


def registry_today() -> date:
    """Today in the registry's time zone (an embargo's date is a local date)."""
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


# Where a record stands -----------------------------------------------------------------


def partnership_of(instance: models.Model) -> Partnership:
    """The partnership a record, or one of an agreement's parts, belongs to: its parties'
    editors act on it."""
    if isinstance(instance, Partnership):
        return instance
    if isinstance(instance, Publishable):
        # An agreement, or a record of an app above published with its partnership (a
        # joint activity).
        return instance.partnership  # type: ignore[attr-defined]
    return partnership_of(publishing_record(instance))


def publishing_record(instance: models.Model) -> Record:
    """The record whose approval publishes ``instance``: itself, or the agreement of a
    term, a document version or a review."""
    if isinstance(instance, Publishable):
        return instance
    # A part names the record it is published with (``PUBLISHED_WITH``; an agreement's
    # parts, its agreement).
    return getattr(instance, getattr(type(instance), "PUBLISHED_WITH", "agreement"))


def withholdings_of(record: Record):
    """The withholdings of ``record`` and, for an agreement, of its terms, document
    versions and reviews."""
    content_type = ContentType.objects.get_for_model
    condition = Q(content_type=content_type(type(record)), object_id=record.pk)
    if isinstance(record, Agreement):
        for model in part_models():
            parts = model.objects.filter(agreement=record).values("pk")
            condition |= Q(content_type=content_type(model), object_id__in=parts)
    return Withholding.objects.filter(condition)


def protected_instance(withholding: Withholding) -> models.Model:
    """The record or part whose value ``withholding`` keeps from the public."""
    model = withholding.content_type.model_class()
    if model is Partnership:
        related = []
    elif issubclass(model, Publishable):
        related = ["partnership"]
    else:
        related = [f"{getattr(model, 'PUBLISHED_WITH', 'agreement')}__partnership"]
    try:
        return model._default_manager.select_related(*related).get(pk=withholding.object_id)
    except model.DoesNotExist:
        raise ValidationError("The record of this withheld value no longer exists.") from None


def part_label(instance: models.Model) -> str:
    """How the staff pages name an agreement's part (without a query)."""
    if isinstance(instance, DataSharingTerm):
        return f"Data-sharing term “{instance}”"
    if isinstance(instance, AgreementDocument):
        return f"Document version {instance.version}"
    kind = instance.get_kind_display()  # type: ignore[attr-defined]
    on = instance.completed_on or instance.started_on  # type: ignore[attr-defined]
    return f"Review “{kind}”" + (f" of {dateformat.format(on, 'j M Y')}" if on else "")


def _lock(record: Record) -> None:
    """Lock the record's row and read its state afresh: two steps at once (an approval and
    an edit that sends it back to draft, say) take turns, and the second sees the first."""
    record.refresh_from_db(
        from_queryset=type(record).objects.select_for_update(), fields=STATE_FIELDS
    )


# How an error names the states a step starts from.
STATE_NAMES = {
    Status.DRAFT: "a draft",
    Status.SUBMITTED: "a submitted record",
    Status.EMBARGOED: "an approved record under embargo",
    Status.PUBLISHED: "a published record",
    Status.RETRACTED: "a retracted record",
}


def _expect(record: Record, *states: str, doing: str) -> None:
    if record.publication_status not in states:
        raise ValidationError(
            f"Only {' or '.join(STATE_NAMES[Status(s)] for s in states)} can be {doing}; "
            f"this one is {record.get_publication_status_display().lower()}."
        )


def _save(record: Record) -> None:
    record.full_clean()
    record.save(update_fields=[*STATE_FIELDS, "updated_at"])
    if isinstance(record, Agreement):
        # Public or not any more: its partnership's facts about its public agreements.
        partnership_facts_refresh(partnership_ids=[record.partnership_id])


def _can_approve(actor, record: Record) -> bool:
    return permissions.can_approve_publication(actor, partnership_of(record), record.submitted_by)


# The record's steps --------------------------------------------------------------------


@transaction.atomic
def record_submit(*, record: Record, actor) -> Record:
    """Submit a draft for publication: an editor of another party (or, where no other
    party has an editor, of an oversight body) approves it before it is public.

    A partnership needs its NGO and its police agency; an agreement is submitted once its
    partnership is submitted or published (it is public only with its partnership).
    """
    partnership = partnership_of(record)
    require(
        permissions.can_submit_for_publication(actor, partnership),
        "Only the editors of a party submit its records for publication.",
    )
    _lock(record)
    _expect(record, Status.DRAFT, doing="submitted for publication")
    if isinstance(record, Partnership):
        missing = record.missing_party_roles()
        if missing:
            lacking = " and no ".join(m.split(" ", 1)[1] for m in missing)
            raise ValidationError(
                "It cannot be submitted yet: a partnership needs at least one NGO and one "
                f"police agency among its parties, and it has no {lacking}. Add the "
                "missing party on its edit page."
            )
    else:
        state = Partnership.objects.values_list("publication_status", flat=True).get(
            pk=partnership.pk
        )
        if state not in (Status.SUBMITTED, Status.EMBARGOED, Status.PUBLISHED):
            raise ValidationError(
                f"Submit its partnership “{partnership}” first: an agreement is published "
                f"only with its partnership, which is {Status(state).label.lower()}."
            )
    record.publication_status = Status.SUBMITTED
    record.submitted_by = actor
    record.submitted_at = timezone.now()
    # The comment of an earlier send-back was answered by this submission (the audit
    # trail keeps it).
    record.publication_comment = ""
    _save(record)
    return record


@transaction.atomic
def record_approve(*, record: Record, actor) -> Record:
    """Approve a submitted record: published now, or embargoed when it carries an embargo
    (a date after today, or an indefinite one). The withheld values of the record and of
    its parts that the approver may confirm (not their own) are confirmed with it."""
    require(_can_approve(actor, record), "You may not approve this submission.")
    submitted_by = record.submitted_by_id
    _lock(record)
    _expect(record, Status.SUBMITTED, doing="approved")
    if record.submitted_by_id != submitted_by:
        require(_can_approve(actor, record), "You may not approve this submission.")
    now = timezone.now()
    if record.embargo_indefinite or (
        record.embargoed_until is not None and record.embargoed_until > registry_today()
    ):
        record.publication_status = Status.EMBARGOED
    else:
        record.publication_status = Status.PUBLISHED
        record.published_at = now
        # An embargo whose date passed while it waited has lapsed.
        record.embargoed_until = None
    record.publication_comment = ""
    _save(record)
    if isinstance(record, Partnership):
        _slug_from_title(record)
    _withholdings_confirm(withholdings_of(record), record=record, actor=actor, now=now)
    return record


def _slug_from_title(partnership: Partnership) -> None:
    """A partnership's slug is its public address, stable once published. It was made from
    the title it had when created, which may have changed before its first approval (a
    restricted or draft title): the address is made anew from the title approved, so that
    it never tells the public an earlier one."""
    base = slug_base(partnership.title)
    if re.fullmatch(rf"{re.escape(base)}(-\d+)?", partnership.slug):
        return
    partnership.slug = unique_slug(Partnership, partnership.title)
    partnership.save(update_fields=["slug", "updated_at"])


@transaction.atomic
def record_send_back(*, record: Record, actor, comment: str) -> Record:
    """Send a submitted record back to its editors as a draft, saying what to change (the
    comment is for staff, never published)."""
    require(_can_approve(actor, record), "You may not decide on this submission.")
    if not comment.strip():
        raise ValidationError({"comment": "Say what needs to change before it is published."})
    _lock(record)
    _expect(record, Status.SUBMITTED, doing="sent back")
    record.publication_status = Status.DRAFT
    record.publication_comment = comment.strip()
    _save(record)
    return record


@transaction.atomic
def record_retract(*, record: Record, actor, reason: str) -> Record:
    """Take a published record off the public record, with a public reason: a stub (title,
    dates, "retracted on … because …") stays public."""
    require(
        permissions.can_retract(actor, partnership_of(record)),
        "Only the editors of a party retract its records.",
    )
    if not reason.strip():
        raise ValidationError({"reason": "Tell the public why the record is retracted."})
    _lock(record)
    _expect(record, Status.PUBLISHED, doing="retracted")
    record.publication_status = Status.RETRACTED
    record.retracted_on = registry_today()
    record.retraction_reason = reason.strip()
    _save(record)
    return record


@transaction.atomic
def embargo_set(
    *,
    record: Record,
    actor,
    until: date | None = None,
    indefinite: bool = False,
    reason: str = "",
    announced: bool = False,
) -> Record:
    """Keep a record from the public after its approval: until a date after today (the
    daily job publishes it then), or indefinitely, with a reason, until an editor lifts
    it. ``announced`` lets the public see its title and the date it lifts. Neither a date
    nor ``indefinite`` removes the embargo of a record not yet approved.

    A record that is already public cannot be embargoed: retract it, or withhold values.
    """
    require(
        permissions.can_set_embargo(actor, partnership_of(record)),
        "Only the editors of a party set an embargo.",
    )
    errors = {}
    if until is not None and indefinite:
        errors["until"] = "An embargo lifts on a date or is indefinite, not both."
    elif until is not None and until <= registry_today():
        errors["until"] = "The embargo must lift on a date after today."
    if indefinite and not reason.strip():
        errors["reason"] = "An indefinite embargo needs a reason."
    if errors:
        raise ValidationError(errors)
    _lock(record)
    _expect(record, Status.DRAFT, Status.SUBMITTED, Status.EMBARGOED, doing="embargoed")
    embargoed = until is not None or indefinite
    if not embargoed and record.publication_status == Status.EMBARGOED:
        raise ValidationError(
            "It is approved: lift the embargo to publish it now, or give another date."
        )
    if (record.embargoed_until, record.embargo_indefinite) != (until, indefinite):
        # A new date gets its own notice the day before.
        record.embargo_notice_sent_at = None
    record.embargoed_until = until
    record.embargo_indefinite = indefinite
    record.embargo_reason = reason.strip() if embargoed else ""
    record.embargo_announced = announced and embargoed
    _save(record)
    return record


@transaction.atomic
def embargo_lift(*, record: Record, actor) -> Record:
    """Publish an approved, embargoed record now, before its date or, for an indefinite
    embargo, at last."""
    require(
        permissions.can_lift_embargo(actor, partnership_of(record)),
        "Only the editors of a party lift an embargo.",
    )
    _lock(record)
    _expect(record, Status.EMBARGOED, doing="published by lifting its embargo")
    record.publication_status = Status.PUBLISHED
    record.published_at = timezone.now()
    record.embargoed_until = None
    record.embargo_indefinite = False
    record.embargo_reason = ""
    record.embargo_announced = False
    _save(record)
    return record


@transaction.atomic
def document_embargo_set(
    *, document: AgreementDocument, actor, until: date | None
) -> AgreementDocument:
    """Keep a document version marked public from the public until a date after today
    (the daily job publishes it then), or, with ``None``, lift its embargo now."""
    require(
        permissions.can_set_embargo(actor, partnership_of(document)),
        "Only the editors of a party set an embargo.",
    )
    if until is not None and until <= registry_today():
        raise ValidationError({"until": "The embargo must lift on a date after today."})
    document.embargoed_until = until
    # Its uploader is None once their account is gone; the upload set it, not a form.
    document.full_clean(exclude=["uploaded_by"])
    document.save(update_fields=["embargoed_until"])
    return document


# Withheld values -----------------------------------------------------------------------


@transaction.atomic
def withholding_add(
    *,
    record: models.Model,
    field: str,
    reason_code: str,
    rationale: str,
    available_on: date | None = None,
    actor,
) -> Withholding:
    """Withhold ``field`` of ``record`` (a partnership, an agreement, or an agreement's
    data-sharing term, document version or review) from the public, at once. The public
    is told the reason and the ``rationale``; on ``available_on``, if given, the daily job
    publishes the value. An approver confirms it, with the record's approval or from the
    approval queue."""
    require(
        permissions.can_withhold(actor, partnership_of(record)),
        "Only the editors of a party withhold its values.",
    )
    errors = {}
    if not rationale.strip():
        errors["rationale"] = (
            "Write out the reason: “Other” says nothing by itself."
            if reason_code == WithholdingReason.OTHER
            else "Tell the public why the value is withheld."
        )
    if available_on is not None and available_on <= registry_today():
        errors["available_on"] = (
            "The date must be after today; leave it empty to withhold the value until it "
            "is released."
        )
    if errors:
        raise ValidationError(errors)
    content_type = ContentType.objects.get_for_model(type(record))
    if Withholding.objects.filter(
        content_type=content_type, object_id=record.pk, field=field
    ).exists():
        raise ValidationError({"field": "This value is withheld already."})
    withholding = Withholding(
        content_type=content_type,
        object_id=record.pk,
        field=field,
        reason_code=reason_code,
        rationale=rationale.strip(),
        available_on=available_on,
        created_by=actor,
    )
    withholding.full_clean()
    withholding.save()
    return withholding


def _locked(withholding: Withholding) -> Withholding:
    locked = Withholding.objects.select_for_update().filter(pk=withholding.pk).first()
    if locked is None:
        raise ValidationError("This value is no longer withheld.")
    return locked


@transaction.atomic
def withholding_confirm(*, withholding: Withholding, actor) -> Withholding:
    """Confirm a withheld value: a second pair of eyes agrees it is kept from the public
    (anyone who may approve the record's publication, except the withholding's creator)."""
    partnership = partnership_of(protected_instance(withholding))
    require(
        permissions.can_confirm_withholding(actor, partnership, withholding),
        "You may not confirm this withheld value.",
    )
    withholding = _locked(withholding)
    if withholding.confirmed_at is not None:
        raise ValidationError("This withheld value is confirmed already.")
    withholding.confirmed_by = actor
    withholding.confirmed_at = timezone.now()
    withholding.full_clean()
    withholding.save(update_fields=["confirmed_by", "confirmed_at", "updated_at"])
    return withholding


@transaction.atomic
def withholding_release_request(*, withholding: Withholding, actor) -> Withholding | None:
    """Stop withholding a value. Before the record is approved (a draft, or a submission
    the approver is yet to see) the withholding is simply removed, and None returned; once
    approved, publishing the value needs a second pair of eyes: the request is recorded
    and an approver grants it (``withholding_release``)."""
    instance = protected_instance(withholding)
    require(
        permissions.can_withhold(actor, partnership_of(instance)),
        "Only the editors of a party ask for a withheld value to be published.",
    )
    withholding = _locked(withholding)
    if publishing_record(instance).publication_status not in APPROVED_STATES:
        withholding.delete()
        return None
    if withholding.release_requested_at is not None:
        raise ValidationError("Its release has been requested already.")
    withholding.release_requested_by = actor
    withholding.release_requested_at = timezone.now()
    withholding.full_clean()
    withholding.save(update_fields=["release_requested_by", "release_requested_at", "updated_at"])
    return withholding


@transaction.atomic
def withholding_release(*, withholding: Withholding, actor) -> None:
    """Grant a request to publish a withheld value: the withholding is removed (anyone who
    may approve the record's publication, except the one who asked)."""
    partnership = partnership_of(protected_instance(withholding))
    require(
        permissions.can_release_withholding(actor, partnership, withholding),
        "You may not release this withheld value.",
    )
    withholding = _locked(withholding)
    if withholding.release_requested_at is None:
        raise ValidationError("Nobody asked for this value to be published.")
    withholding.delete()


def _withholdings_confirm(withholdings, *, record: Record, actor, now) -> int:
    """Confirm the unconfirmed ``withholdings`` of ``record`` that ``actor`` may confirm."""
    ids, _ = decidable_withholdings(withholdings, record=record, user=actor)
    return Withholding.objects.filter(pk__in=ids, confirmed_at__isnull=True).update(
        confirmed_by=actor, confirmed_at=now, updated_at=now
    )


# The approval queue --------------------------------------------------------------------


def withholding_routes() -> list[tuple[type[models.Model], str, str]]:
    """For each model with withholdable fields: the path from its rows to the record whose
    approval publishes them (a prefix of that record's fields) and to their partnership."""
    return [
        (Partnership, "", "pk"),
        (Agreement, "", "partnership"),
        *[(model, "agreement__", "agreement__partnership") for model in part_models()],
    ]


def withholdings_in(partnerships):
    """The withholdings of the records of ``partnerships`` (a queryset) and of their
    agreements' parts: one condition per model, none correlated, so the database reads
    each side once."""
    conditions = []
    for model, _, to_partnership in withholding_routes():
        rows = model._default_manager.filter(**{f"{to_partnership}__in": partnerships})
        conditions.append(
            Q(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=rows.values("pk"),
            )
        )
    return Withholding.objects.filter(reduce(operator.or_, conditions))


def pending_withholdings(model, to_record: str, to_partnership: str):
    """The withholdings of ``model``'s rows waiting for a decision, each with its step: a
    request to publish the value again (``step_by`` is who asked), or else, on an approved
    record, a confirmation (``step_by`` is its creator; a submission's are confirmed with
    its approval); and ``of_partnership``, the partnership whose parties decide. (One
    model at a time: the database then reaches each one's partnership by one index.)"""
    rows = model._default_manager.order_by()
    approved = rows.filter(**{f"{to_record}publication_status__in": APPROVED_STATES})
    requested = Q(release_requested_at__isnull=False)
    partnership = rows.filter(pk=OuterRef("object_id")).values(to_partnership)[:1]
    return (
        Withholding.objects.filter(content_type=ContentType.objects.get_for_model(model))
        .filter(requested | Q(confirmed_at__isnull=True, object_id__in=approved.values("pk")))
        .annotate(
            of_partnership=Subquery(partnership),
            step_by=Case(
                When(requested, then=F("release_requested_by")),
                default=F("created_by"),
                output_field=BigIntegerField(),
            ),
        )
    )


def _decisions(approver: permissions.Approver) -> Q:
    """Q: the withholdings waiting for a decision that ``approver`` may take."""
    return reduce(
        operator.or_,
        [
            approver.approvable(
                pending_withholdings(*route), partnership="of_partnership", submitter="step_by"
            )
            for route in withholding_routes()
        ],
    )


def submissions_to_approve(user, approver: permissions.Approver | None = None) -> tuple:
    """The partnerships and the agreements submitted for publication that ``user`` may
    approve, oldest submission first."""
    approver = approver or permissions.Approver.of(user)
    submitted_partnerships = Partnership.objects.filter(publication_status=Status.SUBMITTED)
    partnerships = Partnership.objects.filter(
        approver.approvable(submitted_partnerships, partnership="pk", submitter="submitted_by")
    )
    submitted_agreements = Agreement.objects.filter(publication_status=Status.SUBMITTED)
    agreements = Agreement.objects.filter(
        approver.approvable(
            submitted_agreements, partnership="partnership", submitter="submitted_by"
        )
    )
    return (
        partnerships.select_related("submitted_by").order_by("submitted_at", "pk"),
        agreements.select_related("partnership", "submitted_by").order_by("submitted_at", "pk"),
    )


def revisions_to_approve(user, approver: permissions.Approver | None = None):
    """The changes of approved records waiting for approval that ``user`` may approve,
    oldest first, each with ``of_partnership`` (the partnership whose parties decide)."""
    approver = approver or permissions.Approver.of(user)
    content_type = ContentType.objects.get_for_model
    of_agreement = Agreement.objects.filter(pk=OuterRef("object_id")).values("partnership")[:1]
    pending = Revision.objects.pending().annotate(
        of_partnership=Case(
            When(content_type=content_type(Partnership), then="object_id"),
            When(content_type=content_type(Agreement), then=Subquery(of_agreement)),
            output_field=BigIntegerField(),
        )
    )
    return (
        pending.filter(
            approver.approvable(pending, partnership="of_partnership", submitter="proposed_by")
        )
        .select_related("content_type", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def locate_revisions(revisions) -> list[Revision]:
    """The revisions as a list, each with its ``record`` (one query per kind of record);
    one whose record is gone is left out."""
    revisions = list(revisions)
    found = {}
    for model in (Partnership, Agreement):
        ids = [r.object_id for r in revisions if r.content_type.model_class() is model]
        rows = (
            model.objects.all()
            if model is Partnership
            else Agreement.objects.select_related("partnership")
        )
        found[model] = rows.in_bulk(ids) if ids else {}
    located = []
    for revision in revisions:
        record = found.get(revision.content_type.model_class(), {}).get(revision.object_id)
        if record is not None:
            revision.record = record
            revision.record_kind = "partnership" if isinstance(record, Partnership) else "agreement"
            located.append(revision)
    return located


def withholdings_to_decide(user, approver: permissions.Approver | None = None):
    """Withheld values ``user`` may decide on, with ``may_release`` (its publication was
    requested: grant it) or else ``may_confirm``."""
    approver = approver or permissions.Approver.of(user)
    return (
        Withholding.objects.filter(_decisions(approver))
        .annotate(
            may_release=ExpressionWrapper(
                Q(release_requested_at__isnull=False), output_field=BooleanField()
            ),
            may_confirm=ExpressionWrapper(
                Q(release_requested_at__isnull=True), output_field=BooleanField()
            ),
        )
        .select_related("content_type", "created_by", "release_requested_by")
    )


def decidable_withholdings(withholdings, *, record: Record, user) -> tuple[set[int], set[int]]:
    """Of ``withholdings`` (of ``record`` and its parts), the ids ``user`` may confirm and
    the ids whose release they may grant (two queries)."""
    approver = permissions.Approver.of(user)
    if approver.approves_nothing:
        return set(), set()
    rows = withholdings.alias(
        of_partnership=Value(partnership_of(record).pk, output_field=BigIntegerField())
    )
    unconfirmed = rows.filter(confirmed_at__isnull=True)
    requested = rows.filter(release_requested_at__isnull=False)
    decisions = rows.annotate(
        may_confirm=ExpressionWrapper(
            approver.approvable(unconfirmed, partnership="of_partnership", submitter="created_by"),
            output_field=BooleanField(),
        ),
        may_release=ExpressionWrapper(
            approver.approvable(
                requested, partnership="of_partnership", submitter="release_requested_by"
            ),
            output_field=BooleanField(),
        ),
    )
    confirm, release = set(), set()
    for pk, may_confirm, may_release in decisions.values_list("pk", "may_confirm", "may_release"):
        if may_confirm:
            confirm.add(pk)
        if may_release:
            release.add(pk)
    return confirm, release


def approval_count(user) -> int:
    """How many decisions wait for ``user`` (submissions, changes of approved records, and
    withheld values to confirm or release): the count in the header. Two queries (the
    user's organizations, then the count); one for a user who approves nothing."""
    if not user.is_authenticated:
        return 0
    approver = permissions.Approver.of(user)
    if approver.approves_nothing:
        return 0
    partnerships, agreements = submissions_to_approve(user, approver)
    return (
        partnerships.order_by()
        .values("pk")
        .union(
            agreements.order_by().values("pk"),
            Withholding.objects.filter(_decisions(approver)).order_by().values("pk"),
            revisions_to_approve(user, approver).order_by().values("pk"),
            all=True,
        )
        .count()
    )


def locate_withholdings(withholdings) -> list[Withholding]:
    """The withholdings as a list, each with the record whose approval publishes it
    (``record_kind``: "partnership" or "agreement", ``record_pk``, ``record_title``) and
    ``what``: the field's name after the part of the agreement it belongs to. Ordered by
    record. One query per kind of record or part, whatever their number; a withholding
    whose record is gone is left out."""
    withholdings = list(withholdings)
    wanted: dict[type[models.Model], set[int]] = {}
    for withholding in withholdings:
        model = withholding.content_type.model_class()
        if model is not None:
            wanted.setdefault(model, set()).add(withholding.object_id)
    found: dict[type[models.Model], dict] = {}
    for model, ids in wanted.items():
        rows = model._default_manager.all()
        if model is not Partnership and model is not Agreement:
            rows = rows.select_related("agreement")
        found[model] = rows.in_bulk(ids)
    located = []
    for withholding in withholdings:
        model = withholding.content_type.model_class()
        instance = found.get(model, {}).get(withholding.object_id)
        if instance is None:
            continue
        record = publishing_record(instance)
        withholding.record_kind = "partnership" if isinstance(record, Partnership) else "agreement"
        withholding.record_pk = record.pk
        withholding.record_title = record.title
        withholding.what = withholding.field_label
        if instance is not record:
            withholding.what = f"{part_label(instance)}: {withholding.field_label}"
        located.append(withholding)
    return sorted(
        located,
        key=lambda w: (w.record_title.lower(), w.record_pk, w.what.lower()),
    )


@dataclass(frozen=True)
class KeptFromPublic:
    """One line of "what is kept from the public" of an organization's records: a value
    withheld, or a whole record under embargo."""

    record_kind: str
    record_pk: int
    record_title: str
    what: str
    reason: str
    rationale: str
    until: date | None
    state: str


def organization_records(partnerships) -> list[Record]:
    """The ``partnerships`` (a queryset) and their agreements, with what their lists show
    (two queries), each with ``kind``: "partnership" or "agreement"."""
    fields = (
        "pk",
        "title",
        "publication_status",
        "embargoed_until",
        "embargo_indefinite",
        "embargo_reason",
        "embargo_announced",
    )
    records: list[Record] = []
    for kind, rows in (
        ("partnership", partnerships.order_by("title")),
        ("agreement", Agreement.objects.filter(partnership__in=partnerships).order_by("title")),
    ):
        for record in rows.only(*fields):
            record.kind = kind
            records.append(record)
    return records


def kept_from_public(partnerships, records: list[Record]) -> list[KeptFromPublic]:
    """The withheld values of ``partnerships`` (a queryset) and of their agreements and
    agreements' parts, and the embargoes of ``records`` (theirs, from
    ``organization_records``), in one list (a handful of queries, whatever their number)."""
    lines = []
    withholdings = withholdings_in(partnerships).select_related("content_type")
    for withholding in locate_withholdings(withholdings):
        if withholding.release_requested_at is not None:
            state = "Release requested"
        elif withholding.confirmed_at is not None:
            state = "Confirmed"
        else:
            state = "Awaiting confirmation"
        lines.append(
            KeptFromPublic(
                record_kind=withholding.record_kind,
                record_pk=withholding.record_pk,
                record_title=withholding.record_title,
                what=withholding.what,
                reason=withholding.reason_label,
                rationale=withholding.rationale,
                until=withholding.available_on,
                state=state,
            )
        )
    for record in records:
        if record.has_embargo and record.publication_status != Status.PUBLISHED:
            lines.append(
                KeptFromPublic(
                    record_kind=record.kind,  # type: ignore[union-attr]
                    record_pk=record.pk,
                    record_title=record.title,
                    what="The whole record (embargo)",
                    reason="Embargo" + (" (announced)" if record.embargo_announced else ""),
                    rationale=record.embargo_reason,
                    until=record.embargoed_until,
                    state=record.get_publication_status_display(),
                )
            )
    return sorted(lines, key=lambda line: (line.record_title.lower(), line.record_pk, line.what))
