"""The publication workflow: every step of a record on its way to the public, the values
withheld from it, and the approval queue.

A record (a partnership or an agreement) goes draft -> submitted -> published, or, when
approved under an embargo, -> embargoed -> published (by an editor here, or on its date by
the daily job, ``agreements.embargoes``); a published record may be retracted. A party's
editors take each step but one: the approval, which needs a second pair of eyes
(``partnerships.permissions.Approver``). The records of the apps above that are published
the same way (incidents, joint activities) declare themselves from their ``AppConfig``
(``register_record_kind``): the approval queue and the header's count list them too.

A value is withheld field by field, on the record or on one of its parts: an agreement's
data-sharing terms, document versions and reviews, or the parts a registered kind declares
(an activity's results). Protection never waits: a withholding takes effect the moment it
is added, and an approver confirms it afterwards: with the record's approval, which
confirms those of its parts too (``approval_confirms_withholdings``). Publishing a withheld value
again does wait: on an approved record it is a request an approver grants.

Every service is keyword-only, checks the permission first, validates and writes inside
``transaction.atomic``. Each step is a change of the record's own fields
(``publication.models.Publishable``) or of a ``Withholding`` row, so the database triggers
record it in the audit trail with who took it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import reduce

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import dateformat, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

from core.services import require
from partnerships import permissions
from partnerships.models import Partnership, PartnershipParty
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


def parts_of(model: type[models.Model]) -> tuple[str, ...]:
    """The relations of a kind of record to its parts whose values may be withheld and are
    published with it: an agreement's (``AGREEMENT_PARTS``), a registered kind's (its
    ``parts``, e.g. an activity's results); none for the others."""
    if model is Agreement:
        return AGREEMENT_PARTS
    kind = _RECORD_KINDS.get(model)
    return kind.parts if kind is not None else ()


def part_models(model: type[models.Model] = Agreement) -> list[type[models.Model]]:
    """The models of the parts of ``model``'s records (an agreement's by default) that
    carry withholdable fields."""
    return [model._meta.get_field(name).related_model for name in parts_of(model)]


def _part_routes() -> dict[type[models.Model], tuple[type[models.Model], str]]:
    """``{part's model: (its record's model, the part's relation to its record)}``, from
    the declarations of the parts (``parts_of``): the one place that says which record
    publishes a part."""
    routes = {}
    for record_model in (Agreement, *_RECORD_KINDS):
        for name in parts_of(record_model):
            relation = record_model._meta.get_field(name)
            routes[relation.related_model] = (record_model, relation.field.name)  # type: ignore[union-attr]
    return routes


def registry_today() -> date:
    """Today in the registry's time zone (an embargo's date is a local date)."""
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


# Where a record stands -----------------------------------------------------------------


def path_to_partnership(model: type[models.Model]) -> str:
    """The path from ``model``'s rows (a partnership, an agreement, a registered kind of
    record, or a part of one of them) to the partnership(s) they belong to: ``""`` for a
    partnership. Refuses a model this workflow does not publish."""
    if model is Partnership:
        return ""
    if model is Agreement:
        return "partnership"
    if model in _RECORD_KINDS:
        return _RECORD_KINDS[model].to_partnership
    route = _part_routes().get(model)
    if route is None:
        raise TypeError(
            f"{model.__name__} is not published through this workflow: neither a "
            "partnership, an agreement, a registered kind of record (register_record_kind) "
            "nor one of their declared parts."
        )
    record_model, relation = route
    return "__".join(filter(None, (relation, path_to_partnership(record_model))))


def _through_many(model: type[models.Model], path: str) -> bool:
    """Whether ``path`` from ``model`` passes a to-many relation (an incident's
    ``agreements``): a row may then belong to several partnerships."""
    for name in filter(None, path.split("__")):
        field = model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
        model = field.related_model  # type: ignore[assignment]
    return False


def partnerships_of(instance: models.Model) -> list[Partnership]:
    """Every partnership a record, or a part of one, belongs to: one, or, for a kind of
    record that reaches its partnerships through a many-to-many field (an incident, through
    its agreements), each of them (one query then; none for the others, with the
    partnership already loaded)."""
    if isinstance(instance, Partnership):
        return [instance]
    model = type(instance)
    path = path_to_partnership(model)
    if not _through_many(model, path):
        return [reduce(getattr, path.split("__"), instance)]
    ids = model._default_manager.filter(pk=instance.pk).values(path)
    return list(Partnership.objects.filter(pk__in=ids).order_by("pk"))


def partnership_of(instance: models.Model) -> Partnership:
    """The partnership a record, or one of its parts, belongs to: its parties' editors act
    on it. Refuses a kind of record that may belong to several (an incident: ask
    ``partnerships_of``, and decide on every one's side)."""
    model = type(instance)
    path = path_to_partnership(model)
    if _through_many(model, path):
        raise TypeError(
            f"{model.__name__} records may belong to several partnerships (through "
            f"{path}): no single one can be named. Use partnerships_of()."
        )
    (partnership,) = partnerships_of(instance)
    return partnership


def publishing_record(instance: models.Model) -> Record:
    """The record whose approval publishes ``instance``: itself, or the record of a part
    (the agreement of a term, a document version or a review; the activity of a result)."""
    if isinstance(instance, Publishable):
        return instance
    route = _part_routes().get(type(instance))
    if route is None:
        raise TypeError(f"{type(instance).__name__} is not a part of a published record.")
    return getattr(instance, route[1])


def withholdings_of(record: Record):
    """The withholdings of ``record`` and of its parts (``parts_of``: an agreement's terms,
    document versions and reviews; a registered kind's declared parts)."""
    content_type = ContentType.objects.get_for_model
    condition = Q(content_type=content_type(type(record)), object_id=record.pk)
    for name in parts_of(type(record)):
        relation = type(record)._meta.get_field(name)
        parts = relation.related_model._default_manager.filter(
            **{relation.field.name: record}  # type: ignore[union-attr]
        )
        condition |= Q(
            content_type=content_type(relation.related_model),
            object_id__in=parts.values("pk"),
        )
    return Withholding.objects.filter(condition)


def protected_instance(withholding: Withholding) -> models.Model:
    """The record or part whose value ``withholding`` keeps from the public, with its
    partnership (unless it may have several: ``partnerships_of`` reads them)."""
    model = withholding.content_type.model_class()
    if model is None:
        raise ValidationError(gettext("The record of this withheld value no longer exists."))
    path = path_to_partnership(model)
    related = [path] if path and not _through_many(model, path) else []
    try:
        return model._default_manager.select_related(*related).get(pk=withholding.object_id)
    except model.DoesNotExist:
        raise ValidationError(
            gettext("The record of this withheld value no longer exists.")
        ) from None


def part_label(instance: models.Model) -> str:
    """How the staff pages name an agreement's part, or a registered kind's (an activity's
    result, by its ``name``), without a query."""
    if isinstance(instance, DataSharingTerm):
        return gettext("Data-sharing term “%(term)s”") % {"term": instance}
    if isinstance(instance, AgreementDocument):
        return gettext("Document version %(version)s") % {"version": instance.version}
    route = _part_routes().get(type(instance))
    if route is not None and route[0] is not Agreement:
        return gettext("%(part)s “%(name)s”") % {
            "part": capfirst(instance._meta.verbose_name),
            "name": getattr(instance, "name", instance),
        }
    kind = instance.get_kind_display()  # type: ignore[attr-defined]
    on = instance.completed_on or instance.started_on  # type: ignore[attr-defined]
    if on:
        return gettext("Review “%(kind)s” of %(date)s") % {
            "kind": kind,
            "date": dateformat.format(on, "j M Y"),
        }
    return gettext("Review “%(kind)s”") % {"kind": kind}


def _lock(record: Record) -> None:
    """Lock the record's row and read its state afresh: two steps at once (an approval and
    an edit that sends it back to draft, say) take turns, and the second sees the first."""
    record.refresh_from_db(
        from_queryset=type(record).objects.select_for_update(), fields=STATE_FIELDS
    )


# How an error names the states a step starts from.
STATE_NAMES = {
    Status.DRAFT: gettext_lazy("a draft"),
    Status.SUBMITTED: gettext_lazy("a submitted record"),
    Status.EMBARGOED: gettext_lazy("an approved record under embargo"),
    Status.PUBLISHED: gettext_lazy("a published record"),
    Status.RETRACTED: gettext_lazy("a retracted record"),
}

# What a step does, as the error of a step taken from the wrong state says it.
DOING = {
    "submit": gettext_lazy("submitted for publication"),
    "approve": gettext_lazy("approved"),
    "send_back": gettext_lazy("sent back"),
    "retract": gettext_lazy("retracted"),
    "embargo": gettext_lazy("embargoed"),
    "lift_embargo": gettext_lazy("published by lifting its embargo"),
}


def _expect(record: Record, *states: str, doing: str) -> None:
    if record.publication_status not in states:
        names = reduce(
            lambda one, other: gettext("%(one)s or %(other)s") % {"one": one, "other": other},
            [str(STATE_NAMES[Status(s)]) for s in states],
        )
        raise ValidationError(
            gettext("Only %(states)s can be %(doing)s; this one is %(state)s.")
            % {
                "states": names,
                "doing": DOING[doing],
                "state": record.get_publication_status_display().lower(),
            }
        )


def _save(record: Record) -> None:
    record.full_clean()
    record.save(update_fields=[*STATE_FIELDS, "updated_at"])
    if isinstance(record, Agreement):
        # Public or not any more: its partnership's facts about its public agreements.
        partnership_facts_refresh(partnership_ids=[record.partnership_id])


def _can_approve(actor, record: Record) -> bool:
    return permissions.can_approve_publication(actor, partnership_of(record), record.submitted_by)


def _on_every_side(check: Callable[..., bool], actor, instance: models.Model, *args) -> bool:
    """``check(actor, partnership, *args)`` holds on every partnership ``instance`` belongs
    to (at least one): a record of several partnerships (an incident) needs each one's
    side, as its approval does (``RecordKind``)."""
    partnerships = partnerships_of(instance)
    return bool(partnerships) and all(check(actor, p, *args) for p in partnerships)


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
        gettext("Only the editors of a party submit its records for publication."),
    )
    _lock(record)
    _expect(record, Status.DRAFT, doing="submit")
    if isinstance(record, Partnership):
        missing = record.missing_party_roles()
        if missing:
            raise ValidationError(
                gettext(
                    "It cannot be submitted yet: a partnership needs at least one NGO and "
                    "one police agency among its parties, and %(lacking)s. Add the missing "
                    "party on its edit page."
                )
                % {"lacking": _lacking(missing)}
            )
    else:
        state = Partnership.objects.values_list("publication_status", flat=True).get(
            pk=partnership.pk
        )
        if state not in (Status.SUBMITTED, Status.EMBARGOED, Status.PUBLISHED):
            raise ValidationError(
                gettext(
                    "Submit its partnership “%(partnership)s” first: an agreement is "
                    "published only with its partnership, which is %(state)s."
                )
                % {"partnership": partnership, "state": Status(state).label.lower()}
            )
    record.publication_status = Status.SUBMITTED
    record.submitted_by = actor
    record.submitted_at = timezone.now()
    # The comment of an earlier send-back was answered by this submission (the audit
    # trail keeps it).
    record.publication_comment = ""
    _save(record)
    return record


def _lacking(missing: list) -> str:
    """What a partnership lacks of its parties, from ``missing_party_roles()`` (an NGO, a
    police agency, or both, in that order)."""
    if len(missing) > 1:
        return gettext("it has no NGO and no police agency")
    if str(missing[0]) == str(PartnershipParty.missing_roles({"police_agency"})[0]):
        return gettext("it has no NGO")
    return gettext("it has no police agency")


@transaction.atomic
def record_approve(*, record: Record, actor) -> Record:
    """Approve a submitted record: published now, or embargoed when it carries an embargo
    (a date after today, or an indefinite one). The withheld values of the record and of
    its parts that the approver may confirm (not their own) are confirmed with it."""
    require(_can_approve(actor, record), gettext("You may not approve this submission."))
    submitted_by = record.submitted_by_id
    _lock(record)
    _expect(record, Status.SUBMITTED, doing="approve")
    if record.submitted_by_id != submitted_by:
        require(_can_approve(actor, record), gettext("You may not approve this submission."))
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
    approval_confirms_withholdings(record=record, actor=actor, now=now)
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
    require(_can_approve(actor, record), gettext("You may not decide on this submission."))
    if not comment.strip():
        raise ValidationError(
            {"comment": gettext("Say what needs to change before it is published.")}
        )
    _lock(record)
    _expect(record, Status.SUBMITTED, doing="send_back")
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
        gettext("Only the editors of a party retract its records."),
    )
    if not reason.strip():
        raise ValidationError({"reason": gettext("Tell the public why the record is retracted.")})
    _lock(record)
    _expect(record, Status.PUBLISHED, doing="retract")
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
        gettext("Only the editors of a party set an embargo."),
    )
    errors = {}
    if until is not None and indefinite:
        errors["until"] = gettext("An embargo lifts on a date or is indefinite, not both.")
    elif until is not None and until <= registry_today():
        errors["until"] = gettext("The embargo must lift on a date after today.")
    if indefinite and not reason.strip():
        errors["reason"] = gettext("An indefinite embargo needs a reason.")
    if errors:
        raise ValidationError(errors)
    _lock(record)
    _expect(record, Status.DRAFT, Status.SUBMITTED, Status.EMBARGOED, doing="embargo")
    embargoed = until is not None or indefinite
    if not embargoed and record.publication_status == Status.EMBARGOED:
        raise ValidationError(
            gettext("It is approved: lift the embargo to publish it now, or give another date.")
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
        gettext("Only the editors of a party lift an embargo."),
    )
    _lock(record)
    _expect(record, Status.EMBARGOED, doing="lift_embargo")
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
        gettext("Only the editors of a party set an embargo."),
    )
    if until is not None and until <= registry_today():
        raise ValidationError({"until": gettext("The embargo must lift on a date after today.")})
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
    """Withhold ``field`` of ``record`` (a partnership, an agreement, a registered kind of
    record, or a part of one: an agreement's data-sharing term, document version or
    review, an activity's result) from the public, at once. The public
    is told the reason and the ``rationale``; on ``available_on``, if given, the daily job
    publishes the value. An approver confirms it, with the record's approval or from the
    approval queue."""
    require(
        _on_every_side(permissions.can_withhold, actor, record),
        gettext("Only the editors of a party withhold its values."),
    )
    errors = {}
    if not rationale.strip():
        errors["rationale"] = (
            gettext("Write out the reason: “Other” says nothing by itself.")
            if reason_code == WithholdingReason.OTHER
            else gettext("Tell the public why the value is withheld.")
        )
    if available_on is not None and available_on <= registry_today():
        errors["available_on"] = gettext(
            "The date must be after today; leave it empty to withhold the value until it "
            "is released."
        )
    if errors:
        raise ValidationError(errors)
    content_type = ContentType.objects.get_for_model(type(record))
    if Withholding.objects.filter(
        content_type=content_type, object_id=record.pk, field=field
    ).exists():
        raise ValidationError({"field": gettext("This value is withheld already.")})
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
        raise ValidationError(gettext("This value is no longer withheld."))
    return locked


@transaction.atomic
def withholding_confirm(*, withholding: Withholding, actor) -> Withholding:
    """Confirm a withheld value: a second pair of eyes agrees it is kept from the public
    (anyone who may approve the record's publication, except the withholding's creator)."""
    instance = protected_instance(withholding)
    require(
        _on_every_side(permissions.can_confirm_withholding, actor, instance, withholding),
        gettext("You may not confirm this withheld value."),
    )
    withholding = _locked(withholding)
    if withholding.confirmed_at is not None:
        raise ValidationError(gettext("This withheld value is confirmed already."))
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
        _on_every_side(permissions.can_withhold, actor, instance),
        gettext("Only the editors of a party ask for a withheld value to be published."),
    )
    withholding = _locked(withholding)
    if publishing_record(instance).publication_status not in APPROVED_STATES:
        withholding.delete()
        return None
    if withholding.release_requested_at is not None:
        raise ValidationError(gettext("Its release has been requested already."))
    withholding.release_requested_by = actor
    withholding.release_requested_at = timezone.now()
    withholding.full_clean()
    withholding.save(update_fields=["release_requested_by", "release_requested_at", "updated_at"])
    return withholding


@transaction.atomic
def withholding_release(*, withholding: Withholding, actor) -> None:
    """Grant a request to publish a withheld value: the withholding is removed (anyone who
    may approve the record's publication, except the one who asked)."""
    instance = protected_instance(withholding)
    require(
        _on_every_side(permissions.can_release_withholding, actor, instance, withholding),
        gettext("You may not release this withheld value."),
    )
    withholding = _locked(withholding)
    if withholding.release_requested_at is None:
        raise ValidationError(gettext("Nobody asked for this value to be published."))
    withholding.delete()


def approval_confirms_withholdings(*, record: models.Model, actor, now) -> int:
    """The withheld values that ``actor``'s approval of ``record`` confirms: the
    unconfirmed ones of the record and of its parts (``withholdings_of``) that they may
    confirm (not their own). Every kind of record's approval calls this, the registered
    kinds' too (an incident's ``incident_approve``)."""
    ids, _ = decidable_withholdings(withholdings_of(record), record=record, user=actor)
    return Withholding.objects.filter(pk__in=ids, confirmed_at__isnull=True).update(
        confirmed_by=actor, confirmed_at=now, updated_at=now
    )


# Kinds of records of the apps above -----------------------------------------------------


@dataclass(frozen=True)
class RecordKind:
    """A kind of record of an app above this one that goes through this workflow (an
    incident, a joint activity): what the approval queue and the header's count need to
    know of it, declared once by its app (``register_record_kind``) since this layer may
    not import it.

    ``to_partnership`` is the path from a record to its partnership. It may pass through a
    many-to-many field (an incident's ``agreements__partnership``): the record then
    belongs to several partnerships, and the second pair of eyes is needed on each one's
    side (``Approver.approvable`` holds for every one of them).

    ``parts`` are the relations to the record's parts whose values may be withheld and
    are published with it (an activity's ``results``), as ``AGREEMENT_PARTS`` are an
    agreement's: its approval confirms their withheld values too (``withholdings_of``), and
    a part's record is found by the relation back (``publishing_record``)."""

    model: type[models.Model]
    kind: str
    label: str
    to_partnership: str
    page: str
    shown_with: str = ""
    parts: tuple[str, ...] = ()

    def beside(self, record: models.Model) -> models.Model | None:
        """The record the queue names beside ``record`` ("of <partnership>"), if any."""
        return getattr(record, self.shown_with) if self.shown_with else None

    def pairs(self, records) -> tuple[models.QuerySet, str]:
        """Rows pairing each of ``records`` with one of its partnerships, annotated
        ``of_partnership``, and the path from a row to its record: ``""`` when the rows
        are the records (one partnership each), else the relation of the many-to-many
        field's link table to the record, with ``__``."""
        head, _, rest = self.to_partnership.partition("__")
        field = self.model._meta.get_field(head)
        if not field.many_to_many:
            return records.annotate(of_partnership=F(self.to_partnership)), ""
        through = field.remote_field.through  # type: ignore[union-attr]
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()  # type: ignore[union-attr]
        links = through._default_manager.filter(**{f"{source}__in": records.values("pk")})
        return links.annotate(of_partnership=F("__".join(filter(None, (target, rest))))), (
            f"{source}__"
        )

    def approvable(
        self, approver: permissions.Approver, records, step_by: Callable[[str], object]
    ) -> Q:
        """Q over the kind's model: the ``records`` whose step ``approver`` may decide on,
        on every partnership each belongs to. ``step_by(path)`` is the expression of who
        took the step (the path from the rows of ``pairs`` to the record prefixes it)."""
        rows, to_record = self.pairs(records)
        rows = rows.annotate(step_by=step_by(to_record))
        decidable = approver.approvable(rows, partnership="of_partnership", submitter="step_by")
        if not to_record:
            return decidable
        record = to_record.removesuffix("__")
        refused = rows.exclude(decidable)
        return Q(pk__in=rows.values(record)) & ~Q(pk__in=refused.values(record))


_RECORD_KINDS: dict[type[models.Model], RecordKind] = {}


def register_record_kind(
    model: type[models.Model],
    *,
    label: str,
    to_partnership: str,
    page: str,
    shown_with: str = "",
    parts: tuple[str, ...] = (),
) -> RecordKind:
    """Declare ``model`` (a ``Publishable`` of an app above) to the approval queue and the
    header's count, from its app's ``AppConfig.ready()``: ``label`` names the kind on the
    queue, ``to_partnership`` is the path to the partnership(s) whose parties decide,
    ``page`` the URL name (with the record's ``pk``) of its publication page,
    ``shown_with`` a relation to one record named beside it ("of <partnership>"), and
    ``parts`` the relations to its parts with withholdable fields (each a reverse foreign
    key: a part belongs to one record), whose withheld values its approval confirms."""
    for name in parts:
        relation = model._meta.get_field(name)
        if not relation.one_to_many or not getattr(
            relation.related_model, "WITHHOLDABLE_FIELDS", ()
        ):
            raise ImproperlyConfigured(
                f"{model.__name__}.{name} is not a part of it: a part is reached by a "
                "reverse foreign key and has WITHHOLDABLE_FIELDS."
            )
    kind = RecordKind(
        model=model,
        kind=model._meta.model_name,
        label=label,
        to_partnership=to_partnership,
        page=page,
        shown_with=shown_with,
        parts=tuple(parts),
    )
    _RECORD_KINDS[model] = kind
    return kind


def record_kinds() -> list[RecordKind]:
    """The kinds of records registered by the apps above, in the order they registered."""
    return list(_RECORD_KINDS.values())


def _submitted_by(to_record: str):
    return F(f"{to_record}submitted_by")


def registered_submissions_to_approve(
    user, approver: permissions.Approver | None = None
) -> list[tuple[RecordKind, models.QuerySet]]:
    """For each registered kind of record, those submitted for publication that ``user``
    may approve, oldest submission first (one query each)."""
    approver = approver or permissions.Approver.of(user)
    found = []
    for kind in record_kinds():
        rows = kind.model._default_manager
        submitted = rows.filter(publication_status=Status.SUBMITTED)
        decidable = rows.filter(kind.approvable(approver, submitted, _submitted_by))
        related = ["submitted_by", *filter(None, [kind.shown_with])]
        found.append((kind, decidable.select_related(*related).order_by("submitted_at", "pk")))
    return found


def _registered_revisions(approver: permissions.Approver) -> Q:
    """Q over revisions: the pending ones of registered kinds of records that ``approver``
    may approve (the step is their proposer's)."""
    condition = Q(pk__in=[])
    for kind in record_kinds():
        content_type = ContentType.objects.get_for_model(kind.model)
        pending = Revision.objects.pending().filter(content_type=content_type)
        records = kind.model._default_manager.filter(pk__in=pending.values("object_id"))

        def proposed_by(to_record: str, pending=pending):
            return Subquery(
                pending.filter(object_id=OuterRef(f"{to_record}pk")).values("proposed_by")[:1]
            )

        decidable = kind.model._default_manager.filter(
            kind.approvable(approver, records, proposed_by)
        )
        condition |= Q(content_type=content_type, object_id__in=decidable.values("pk"))
    return condition


# The approval queue --------------------------------------------------------------------


def withholding_routes() -> list[tuple[type[models.Model], str, str]]:
    """For each model with withholdable fields: the path from its rows to the record whose
    approval publishes them (a prefix of that record's fields) and to their partnership(s):
    partnerships, agreements and their parts, and the registered kinds of records
    (``register_record_kind``) and their declared parts."""
    routes = _part_routes()
    return [
        (Partnership, "", "pk"),
        *[
            (model, f"{routes[model][1]}__" if model in routes else "", path_to_partnership(model))
            for record_model in (Agreement, *_RECORD_KINDS)
            for model in (record_model, *part_models(record_model))
        ],
    ]


def withholdings_in(partnerships):
    """The withholdings of the records of ``partnerships`` (a queryset): theirs, their
    agreements' and registered kinds of records' (``withholding_routes``) and their parts':
    one condition per model, none correlated, so the database reads each side once."""
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


def pending_withholdings(model, to_record: str, to_partnership: str = ""):
    """The withholdings of ``model``'s rows waiting for a decision, each with its step: a
    request to publish the value again (``step_by`` is who asked), or else, on an approved
    record, a confirmation (``step_by`` is its creator; a submission's are confirmed with
    its approval); and, given ``to_partnership``, ``of_partnership``: the partnership whose
    parties decide (of a record of one partnership only). (One model at a time: the
    database then reaches each one's partnership by one index.)"""
    rows = model._default_manager.order_by()
    approved = rows.filter(**{f"{to_record}publication_status__in": APPROVED_STATES})
    requested = Q(release_requested_at__isnull=False)
    pending = (
        Withholding.objects.filter(content_type=ContentType.objects.get_for_model(model))
        .filter(requested | Q(confirmed_at__isnull=True, object_id__in=approved.values("pk")))
        .annotate(
            step_by=Case(
                When(requested, then=F("release_requested_by")),
                default=F("created_by"),
                output_field=BigIntegerField(),
            ),
        )
    )
    if not to_partnership:
        return pending
    partnership = rows.filter(pk=OuterRef("object_id")).values(to_partnership)[:1]
    return pending.annotate(of_partnership=Subquery(partnership))


def _decided_on_every_side(approver: permissions.Approver, model, to_record: str) -> Q:
    """Q: the withholdings of ``model``'s rows waiting for a decision (``pending_withholdings``)
    that ``approver`` may take on the side of every partnership their record belongs to,
    for a kind of record that reaches them through a many-to-many field (an incident,
    through its agreements): ``RecordKind.approvable``'s rule, with who took each
    withholding's step. One condition, no query of its own."""
    record_model = _part_routes()[model][0] if to_record else model
    kind = _RECORD_KINDS[record_model]
    links, link_to_record = kind.pairs(record_model._default_manager.all())
    record = link_to_record.removesuffix("__")
    pending = pending_withholdings(model, to_record).annotate(
        of_record=(
            Subquery(
                model._default_manager.filter(pk=OuterRef("object_id")).values(
                    to_record.removesuffix("__")
                )[:1]
            )
            if to_record
            else F("object_id")
        )
    )
    # The pairs of the withholding's record with each of its partnerships; the step is the
    # withholding's (two levels up from the rule's rows: they are read inside ``refused``).
    sides = links.filter(**{record: OuterRef("of_record")})
    rows = links.annotate(
        step_by=ExpressionWrapper(OuterRef(OuterRef("step_by")), output_field=BigIntegerField())
    )
    refused = sides.exclude(
        approver.approvable(rows, partnership="of_partnership", submitter="step_by")
    )
    decidable = pending.filter(Exists(sides), ~Exists(refused))
    return Q(pk__in=decidable.values("pk"))


def _decisions(approver: permissions.Approver) -> Q:
    """Q: the withholdings waiting for a decision that ``approver`` may take, on every
    partnership's side of a record that may belong to several."""
    conditions = []
    for model, to_record, to_partnership in withholding_routes():
        if _through_many(model, path_to_partnership(model)):
            conditions.append(_decided_on_every_side(approver, model, to_record))
            continue
        pending = pending_withholdings(model, to_record, to_partnership)
        conditions.append(
            approver.approvable(pending, partnership="of_partnership", submitter="step_by")
        )
    return reduce(operator.or_, conditions)


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
    oldest first: of partnerships and agreements, and of the registered kinds of records
    (``register_record_kind``)."""
    approver = approver or permissions.Approver.of(user)
    content_type = ContentType.objects.get_for_model
    of_agreement = Agreement.objects.filter(pk=OuterRef("object_id")).values("partnership")[:1]
    own = (
        Revision.objects.pending()
        .filter(content_type__in=[content_type(Partnership), content_type(Agreement)])
        .annotate(
            of_partnership=Case(
                When(content_type=content_type(Partnership), then="object_id"),
                default=Subquery(of_agreement),
                output_field=BigIntegerField(),
            )
        )
    )
    return (
        Revision.objects.pending()
        .filter(
            approver.approvable(own, partnership="of_partnership", submitter="proposed_by")
            | _registered_revisions(approver)
        )
        .select_related("content_type", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def locate_revisions(revisions) -> list[Revision]:
    """The revisions as a list, each with its ``record`` and ``record_kind``
    ("partnership", "agreement" or a registered kind's), and for a registered kind its
    ``record_label`` and ``page`` (one query per kind of record); one whose record is gone
    is left out."""
    revisions = list(revisions)
    registered = {kind.model: kind for kind in record_kinds()}
    rows_of = {
        Partnership: Partnership.objects.all(),
        Agreement: Agreement.objects.select_related("partnership"),
        **{
            model: model._default_manager.select_related(*filter(None, [kind.shown_with]))
            for model, kind in registered.items()
        },
    }
    found = {}
    for model, rows in rows_of.items():
        ids = [r.object_id for r in revisions if r.content_type.model_class() is model]
        found[model] = rows.in_bulk(ids) if ids else {}
    located = []
    for revision in revisions:
        model = revision.content_type.model_class()
        record = found.get(model, {}).get(revision.object_id)
        if record is None:
            continue
        revision.record = record
        if model in registered:
            kind = registered[model]
            revision.record_kind = kind.kind
            revision.record_label = kind.label
            revision.page = kind.page
            revision.shown_with = kind.beside(record)
        else:
            revision.record_kind = "partnership" if model is Partnership else "agreement"
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


def decidable_withholdings(
    withholdings, *, record: models.Model, user
) -> tuple[set[int], set[int]]:
    """Of ``withholdings`` (of ``record`` and its parts), the ids ``user`` may confirm and
    the ids whose release they may grant, on the side of every partnership the record
    belongs to (two queries; a third reads the partnerships of a record that may have
    several)."""
    approver = permissions.Approver.of(user)
    if approver.approves_nothing:
        return set(), set()
    sides = {f"of_partnership_{i}": p.pk for i, p in enumerate(partnerships_of(record))}
    if not sides:
        return set(), set()
    rows = withholdings.alias(
        **{name: Value(pk, output_field=BigIntegerField()) for name, pk in sides.items()}
    )

    def on_every_side(rows, submitter: str) -> Q:
        return reduce(
            operator.and_,
            [approver.approvable(rows, partnership=name, submitter=submitter) for name in sides],
        )

    unconfirmed = rows.filter(confirmed_at__isnull=True)
    requested = rows.filter(release_requested_at__isnull=False)
    decisions = rows.annotate(
        may_confirm=ExpressionWrapper(
            on_every_side(unconfirmed, "created_by"), output_field=BooleanField()
        ),
        may_release=ExpressionWrapper(
            on_every_side(requested, "release_requested_by"), output_field=BooleanField()
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
    """How many decisions wait for ``user`` (submissions, of the registered kinds of
    records too, changes of approved records, and withheld values to confirm or release):
    the count in the header. Two queries (the
    user's organizations, then the count); one for a user who approves nothing."""
    if not user.is_authenticated:
        return 0
    approver = permissions.Approver.of(user)
    if approver.approves_nothing:
        return 0
    partnerships, agreements = submissions_to_approve(user, approver)
    registered = [
        rows.order_by().values("pk")
        for _, rows in registered_submissions_to_approve(user, approver)
    ]
    return (
        partnerships.order_by()
        .values("pk")
        .union(
            agreements.order_by().values("pk"),
            *registered,
            Withholding.objects.filter(_decisions(approver)).order_by().values("pk"),
            revisions_to_approve(user, approver).order_by().values("pk"),
            all=True,
        )
        .count()
    )


def locate_withholdings(withholdings) -> list[Withholding]:
    """The withholdings as a list, each with the record whose approval publishes it
    (``record_kind``: "partnership", "agreement" or a registered kind's, ``record_pk``,
    ``record_title``; for a registered kind its ``record_label`` and ``page``) and
    ``what``: the field's name after the part of the record it belongs to. Ordered by
    record. One query per kind of record or part, whatever their number; a withholding
    whose record is gone is left out."""
    withholdings = list(withholdings)
    wanted: dict[type[models.Model], set[int]] = {}
    for withholding in withholdings:
        model = withholding.content_type.model_class()
        if model is not None:
            wanted.setdefault(model, set()).add(withholding.object_id)
    found: dict[type[models.Model], dict] = {}
    routes = _part_routes()
    for model, ids in wanted.items():
        rows = model._default_manager.all()
        if model in routes:
            rows = rows.select_related(routes[model][1])
        found[model] = rows.in_bulk(ids)
    located = []
    for withholding in withholdings:
        model = withholding.content_type.model_class()
        instance = found.get(model, {}).get(withholding.object_id)
        if instance is None:
            continue
        record = publishing_record(instance)
        kind = _RECORD_KINDS.get(type(record))
        if kind is not None:
            withholding.record_kind = kind.kind
            withholding.record_label = kind.label
            withholding.page = kind.page
        else:
            withholding.record_kind = (
                "partnership" if isinstance(record, Partnership) else "agreement"
            )
            withholding.record_label = withholding.page = ""
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
    page: str = ""


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
    """The withheld values of ``partnerships`` (a queryset) and of their agreements,
    registered kinds of records (incidents, activities) and their parts, and the embargoes
    of ``records`` (theirs, from ``organization_records``), in one list (a handful of
    queries, whatever their number)."""
    lines = []
    withholdings = withholdings_in(partnerships).select_related("content_type")
    for withholding in locate_withholdings(withholdings):
        if withholding.release_requested_at is not None:
            state = gettext("Release requested")
        elif withholding.confirmed_at is not None:
            state = gettext("Confirmed")
        else:
            state = gettext("Awaiting confirmation")
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
                page=withholding.page,
            )
        )
    for record in records:
        if record.has_embargo and record.publication_status != Status.PUBLISHED:
            lines.append(
                KeptFromPublic(
                    record_kind=record.kind,  # type: ignore[union-attr]
                    record_pk=record.pk,
                    record_title=record.title,
                    what=gettext("The whole record (embargo)"),
                    reason=(
                        gettext("Embargo (announced)")
                        if record.embargo_announced
                        else gettext("Embargo")
                    ),
                    rationale=record.embargo_reason,
                    until=record.embargoed_until,
                    state=record.get_publication_status_display(),
                )
            )
    return sorted(lines, key=lambda line: (line.record_title.lower(), line.record_pk, line.what))
