"""The registry of audited models: the one place that says which records the audit log
records, and what its readers need to know about each.

Auditing a new model is one line at the bottom of its app's ``models.py``::

    ThingEvent = track(Thing, record="Thing", slug="thing", parent="agreement")

plus the migration ``makemigrations`` then writes (the event table, its triggers and
indexes). Nothing else changes: the chain view the triggers read (``audit.chain``, rebuilt
after every ``migrate``), the verification, the staff history page
(``/oversight/history/thing/<id>/``) and the histories of the parent record all read this
registry. (A data migration that also writes rows of the model in the same release runs
``audit.chain.audit_chain_view_migration`` first; ``audit.chain`` says why.)

Each registration is declared by the app that owns the model, so the audit app knows no
domain model: the record's name for people, its slug in the staff history's URL, the
foreign key naming the record whose history it belongs to (``parent``), and for the public
history its public fields, how a row tells whether it is public (``public_if``), which
record gates its publication (``gated_by``: an agreement is public only while its
partnership is), which of its values are withheld from the public now (``withheld``: a
public history shows "withheld" for their old and new values) and how a foreign key to it
may be named publicly (``named_by`` among ``named_among()``). A model that is named
publicly but not audited (a vocabulary) says so with ``name_publicly``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models

from .trail import AuditEvent, audit_event_model


@dataclass(frozen=True)
class PublicName:
    """How a foreign key to a record is named in a public history: by ``field``, and only
    for the records of ``among()`` (otherwise as "an unpublished ...")."""

    field: str
    among: Callable[[], models.QuerySet]


# ``withheld(model, ids)``: ``{id: the fields of that record withheld from the public}``,
# for many records in one query; the app that owns the model passes its lookup.
WithheldLookup = Callable[[type[models.Model], Iterable[int]], Mapping[int, Iterable[str]]]


@dataclass(frozen=True, eq=False)
class Registration:
    model: type[models.Model]
    event_model: type[AuditEvent]
    record: str  # or a lazy translation of one
    slug: str
    parent: str | None = None
    public_fields: tuple[str, ...] = ()
    public_if: Mapping[str, Any] | None = None
    gated_by: str | None = None
    acting_for: str | None = None
    withheld: WithheldLookup | None = None

    @property
    def parent_model(self) -> type[models.Model] | None:
        if self.parent is None:
            return None
        return self.model._meta.get_field(self.parent).related_model

    def is_public(self, instance) -> bool:
        """Whether the record is public by its own flag (its gate aside)."""
        if self.public_if is None:
            return True
        return all(getattr(instance, name) == value for name, value in self.public_if.items())

    def is_published(self, instance) -> bool:
        """Whether the record is public now: by its own flag and its gates'."""
        if not self.is_public(instance):
            return False
        if self.gated_by is None:
            return True
        gate = getattr(instance, self.gated_by)
        return registration_for(gate).is_published(gate)


_registrations: dict[type[models.Model], Registration] = {}
_public_names: dict[type[models.Model], PublicName] = {}


def track(
    model: type[models.Model],
    *,
    record: str,
    slug: str,
    parent: str | None = None,
    public_fields: Sequence[str] = (),
    public_if: Mapping[str, Any] | None = None,
    gated_by: str | None = None,
    named_by: str | None = None,
    named_among: Callable[[], models.QuerySet] | None = None,
    acting_for: str | None = None,
    withheld: WithheldLookup | None = None,
    derived: Sequence[str] = (),
) -> type[AuditEvent]:
    """Audit ``model``: create its event model ``<Model>Event`` and register it.

    - ``record``: its name for people (``_("Data-sharing term")``, marked for translation
      with ``gettext_lazy``: histories show it in the reader's language); ``slug``: its
      ``<model>`` in the staff history's URL.
    - ``parent``: the foreign key naming the record whose history it is part of (its
      events are indexed by it).
    - ``public_fields``: the fields a public history may show change; none means the
      record never appears in one.
    - ``public_if``: ``{field: value}``, the row is public while each ``field`` has its
      ``value``;
      without it, a row is as public as its parent.
    - ``gated_by``: the foreign key naming the record that must be public too.
    - ``named_by``/``named_among``: see ``name_publicly``.
    - ``acting_for``: the key under which the audit middleware's ``acting_for(user)``
      lists these records (``[{"id": ..., "name": ...}]``) as having made a change; a
      public history names them as the author when they are named publicly.
    - ``withheld``: ``withheld(model, ids) -> {id: fields}``, the fields of those records
      withheld from the public now; a public history shows "withheld" in place of every
      old and new value of such a field (the audit layer knows no withholding: the app
      passes the lookup, e.g. ``publication.withholding.withheld_by_record``).
    - ``derived``: fields the record stores but derives from other records (a cache kept
      by the app's services): neither snapshotted nor recorded as a change, since the
      changes they follow are recorded where they happen.
    """
    event_model = audit_event_model(
        model, name=f"{model.__name__}Event", parent=parent, exclude=derived
    )
    registration = Registration(
        model=model,
        event_model=event_model,
        record=record,
        slug=slug,
        parent=parent,
        public_fields=tuple(public_fields),
        public_if=public_if,
        gated_by=gated_by,
        acting_for=acting_for,
        withheld=withheld,
    )
    clash = next((r for r in _registrations.values() if r.slug == slug), None)
    if clash is not None and clash.model is not model:
        raise ValueError(f"{model._meta.label} and {clash.model._meta.label} share slug {slug!r}")
    _registrations[model] = registration
    if named_by is not None:
        name_publicly(model, by=named_by, among=named_among)
    return event_model


def name_publicly(
    model: type[models.Model],
    *,
    by: str,
    among: Callable[[], models.QuerySet] | None = None,
) -> None:
    """A foreign key to ``model`` is named in public histories by the field ``by``, for
    the records of ``among()`` only (default: all of them)."""
    _public_names[model] = PublicName(field=by, among=among or model._default_manager.all)


def registrations() -> list[Registration]:
    """Every audited model's registration, in the order they were declared."""
    return list(_registrations.values())


def registration_for(record_or_model) -> Registration:
    """The registration of a record (or model); a proxy's record is looked up by the
    proxy's own type. Raises ``LookupError`` for a model that is not audited."""
    model = record_or_model if isinstance(record_or_model, type) else type(record_or_model)
    try:
        return _registrations[model]
    except KeyError:
        raise LookupError(f"{model._meta.label} is not audited") from None


def registration_by_slug(slug: str) -> Registration | None:
    return next((r for r in _registrations.values() if r.slug == slug), None)


def children_of(model: type[models.Model]) -> list[Registration]:
    """The registrations whose ``parent`` names a record of ``model``."""
    return [r for r in _registrations.values() if r.parent and r.parent_model is model]


def public_name(model: type[models.Model] | None) -> PublicName | None:
    return _public_names.get(model)


def acting_for() -> list[Registration]:
    """The registrations of records that the request context names as acting."""
    return [r for r in _registrations.values() if r.acting_for]
