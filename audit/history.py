"""Change histories read from the audit log: the public history of a public record, for
its page and the API, and the full history of any audited record, for oversight board
members. Both read the registry of audited models (``audit.registry``): what a history
includes, what of it is public and how its values are named is declared there by the app
that owns each record.

A record's children (the records whose ``parent`` names it) are part of its history. The
public history shows only changes to public fields made while the record was public and
while the records gating it were (``gated_by``), newest first, naming who made each change
(the records the author acted for, such as their organizations, or the registry's job),
never the person, never a private value. A record's public state is its registration's
``public_if`` (for a partnership or an agreement: published, and not restricted), so
nothing of a draft, a submission, an embargo or a retraction is shown: the history of a
record starts with its publication. A field withheld from the public now (the
registration's ``withheld``) shows "withheld" for every old and new value it had.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils.translation import gettext

from .registry import Registration, acting_for, children_of, public_name, registration_for

ACTIONS = {"create": "created", "update": "changed", "delete": "deleted"}
# What a public history shows in place of a value withheld from the public: a fixed value the
# API documents (the pages show it in the reader's language).
WITHHELD = "withheld"
# Bookkeeping columns that change on every save and mean nothing to a reader.
NOISE = frozenset({"created_at", "updated_at"})


@dataclass
class FieldChange:
    name: str
    label: str
    old: Any
    new: Any


@dataclass
class HistoryEntry:
    seq: int
    at: dt.datetime
    record: str
    record_id: int
    action: str  # created, changed, deleted, published
    made_by: str
    changes: list[FieldChange] = field(default_factory=list)
    # Staff history only: the person and how the change was made.
    person: str | None = None
    via: str | None = None


@dataclass
class _Event:
    registration: Registration
    row: Any

    @property
    def seq(self) -> int:
        return self.row.pgh_seq

    @property
    def diff(self) -> dict:
        return self.row.pgh_diff or {}

    def old(self, column, default=None):
        pair = self.diff.get(column)
        return pair[0] if pair else default


# Whether a row was public after its event, or with ``before`` just before that event.
PublicTest = Callable[..., bool]


class _Timeline:
    """Whether a record was public at each point of the chain, from its own events."""

    def __init__(self, events: list[_Event], public: PublicTest, current: bool):
        self.points = sorted((e.seq, public(e.row)) for e in events if e.row.pgh_label != "delete")
        # Before its first recorded change, a record was as that change found it.
        first = min(events, key=lambda e: e.seq) if events else None
        if first is None:
            self.initial = current
        elif first.row.pgh_label == "create":
            self.initial = False
        else:
            self.initial = public(first.row, before=first)

    def public_before(self, seq: int) -> bool:
        state = self.initial
        for point, is_public in self.points:
            if point >= seq:
                break
            state = is_public
        return state


def _public_test(registration: Registration) -> PublicTest:
    """A row's own public state (``public_if``); without one, a row is always public."""
    if registration.public_if is None:
        return lambda row, before=None: True
    expected = {
        registration.model._meta.get_field(name).column: value
        for name, value in registration.public_if.items()
    }

    def is_public(row, before: _Event | None = None) -> bool:
        return all(
            (before.old(column, row[column]) if before else row[column]) == value
            for column, value in expected.items()
        )

    return is_public


class _Row(dict):
    """An event row read as JSON, with attribute access like a model instance."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


Spec = tuple[Registration, str, int]


def _load(*specs: Spec) -> dict[Registration, list[_Event]]:
    """The events of several audit tables in one query: for each ``(registration, column,
    value)``, the events whose ``column`` is ``value``; each table's in chain order."""
    selects, params = [], []
    for registration, column, value in specs:
        # Table and column names from the models' metadata, never from input.
        selects.append(
            f"SELECT %s AS model, audit_row_json(e) AS row "  # noqa: S608
            f"FROM {registration.event_model._meta.db_table} e WHERE {column} = %s"
        )
        params += [registration.event_model._meta.label, value]
    by_label = {registration.event_model._meta.label: registration for registration, _, _ in specs}
    events: dict[Registration, list[_Event]] = {registration: [] for registration, _, _ in specs}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    for label, row in rows:
        row = _Row(json.loads(row) if isinstance(row, str) else row)
        row["pgh_created_at"] = dt.datetime.fromisoformat(row["pgh_created_at"])
        events[by_label[label]].append(_Event(by_label[label], row))
    for registration_events in events.values():
        registration_events.sort(key=lambda event: event.seq)
    return events


def _record_specs(registration: Registration, pk) -> list[Spec]:
    """A record's own events and its children's."""
    return [
        (registration, "pgh_obj_id", pk),
        *(
            (child, child.event_model._meta.get_field(child.parent).column, pk)
            for child in children_of(registration.model)
        ),
    ]


# Public histories -------------------------------------------------------------------


def public_history(record: models.Model) -> list[HistoryEntry]:
    """The public changes of a record and of its children, newest first."""
    registration = registration_for(record)
    gates: list[tuple[Registration, models.Model]] = []
    gate_registration, gate = registration, record
    while gate_registration.gated_by:
        gate = getattr(gate, gate_registration.gated_by)
        gate_registration = registration_for(gate)
        gates.append((gate_registration, gate))
    loaded = _load(
        *((r, "pgh_obj_id", g.pk) for r, g in gates),
        *_record_specs(registration, record.pk),
    )
    gate_timelines = [
        _Timeline(loaded.pop(r), _public_test(r), current=r.is_public(g)) for r, g in gates
    ]
    own = loaded.pop(registration)
    own_timeline = _Timeline(
        own, _public_test(registration), current=registration.is_public(record)
    )
    # A record is shown while its gates are public; its children, while it is too.
    timelines = {registration: gate_timelines} | {
        child: [*gate_timelines, own_timeline] for child in loaded
    }
    events = [
        event
        for event in [*own, *(event for events in loaded.values() for event in events)]
        if event.registration.public_fields
    ]
    return _public_entries(events, timelines)


def _public_entries(events: list[_Event], timelines) -> list[HistoryEntry]:
    tests = {registration: _public_test(registration) for registration in timelines}
    shown = []
    for event in events:
        parents_public = all(t.public_before(event.seq) for t in timelines[event.registration])
        is_public = tests[event.registration]
        label = event.row.pgh_label
        after = parents_public and label != "delete" and is_public(event.row)
        before = parents_public and label != "create" and is_public(event.row, before=event)
        if label == "delete" and before:
            # Named with what it held, so that a removed link says what it linked to.
            shown.append((event, "deleted", _public_changes(event, old_values=True)))
        elif label == "create" and after:
            shown.append((event, "created", _public_changes(event, old_values=False)))
        elif label == "update" and after:
            changes = _public_changes(event, old_values=before)
            if not before:
                shown.append((event, "published", changes))
            elif changes:
                shown.append((event, "changed", changes))
    shown = _without_withheld_values(shown)
    names = _public_names(shown)
    entries = [
        HistoryEntry(
            seq=event.seq,
            at=event.row.pgh_created_at,
            # The record's name (and below, a choice's label) in the language active now, not
            # whenever a caller serialises the entry (a report snapshot is built in English).
            record=str(event.registration.record),
            record_id=event.row.pgh_obj_id,
            action=action,
            made_by=_made_by(event.row.pgh_context, names),
            changes=[_displayed(event.registration.model, c, names) for c in changes],
        )
        for event, action, changes in shown
    ]
    return sorted(entries, key=lambda entry: entry.seq, reverse=True)


def _public_changes(event: _Event, *, old_values: bool) -> list[FieldChange]:
    registration = event.registration
    fields = _fields_by_column(registration.model, registration.public_fields)
    changes = []
    deleted = event.row.pgh_label == "delete"
    for column, (old, new) in sorted(event.diff.items()):
        shown = old if deleted else new
        if column in fields and ((old_values and not deleted) or shown not in (None, "")):
            name, label = fields[column]
            changes.append(FieldChange(name, label, old if old_values else None, new))
    return changes


class _WithheldValue:
    """A value withheld from the public, in place of the recorded one."""

    def __repr__(self):
        return WITHHELD


_WITHHELD_VALUE = _WithheldValue()


def _without_withheld_values(shown):
    """``shown`` with each value of a field withheld from the public now replaced: one
    lookup per kind of record (the registration's ``withheld``)."""
    wanted: dict[Registration, set[int]] = {}
    for event, _action, changes in shown:
        if changes and event.registration.withheld is not None:
            wanted.setdefault(event.registration, set()).add(event.row.pgh_obj_id)
    withheld: dict[tuple[Registration, int], set[str]] = {}
    for registration, ids in wanted.items():
        for pk, fields in registration.withheld(registration.model, ids).items():
            withheld[registration, pk] = set(fields)
    if not withheld:
        return shown
    result = []
    for event, action, changes in shown:
        fields = withheld.get((event.registration, event.row.pgh_obj_id), set())
        result.append(
            (
                event,
                action,
                [
                    FieldChange(
                        c.name,
                        c.label,
                        c.old if c.old is None else _WITHHELD_VALUE,
                        c.new if c.new is None else _WITHHELD_VALUE,
                    )
                    if c.name in fields
                    else c
                    for c in changes
                ],
            )
        )
    return result


def _fields_by_column(model, names) -> dict[str, tuple[str, str]]:
    result = {}
    for name in names:
        model_field = model._meta.get_field(name)
        result[model_field.column] = (name, _label(model_field))
    return result


def _column_labels(model) -> dict[str, str]:
    """{column: its field's label, in the active language} of every concrete field of
    ``model``; a column it no longer has keeps its name."""
    return {model_field.column: _label(model_field) for model_field in model._meta.concrete_fields}


def _label(model_field) -> str:
    # The columns of a many-to-many link's table are named after the models, run together
    # ("focusarea"); the model's verbose name reads better.
    if model_field.model._meta.auto_created and model_field.related_model is not None:
        return str(model_field.related_model._meta.verbose_name).capitalize()
    return str(model_field.verbose_name).capitalize()


def _public_names(shown) -> dict[tuple[type, int], str]:
    """Public names of the records the entries mention (the records the authors acted
    for, and the values of foreign keys), one query per kind of record."""
    wanted: dict[type, set[int]] = {}
    for event, _action, changes in shown:
        context = event.row.pgh_context or {}
        for actor in acting_for():
            for entry in context.get(actor.acting_for, []):
                wanted.setdefault(actor.model, set()).add(entry.get("id"))
        for change in changes:
            related = _related_model(event.registration.model, change.name)
            if public_name(related):
                wanted.setdefault(related, set()).update(
                    v for v in (change.old, change.new) if isinstance(v, int)
                )
    names = {}
    for model, ids in wanted.items():
        naming = public_name(model)
        if naming is None:  # acted, but never named publicly
            continue
        for pk, name in naming.among().filter(pk__in=ids).values_list("pk", naming.field):
            names[model, pk] = name
    return names


def _related_model(model, name):
    return getattr(model._meta.get_field(name), "related_model", None)


def _made_by(context: dict | None, names: dict[tuple[type, int], str]) -> str:
    """Who made a change: the records the author acted for (those of them in ``names``),
    or the job; never a person."""
    if not context:
        return gettext("Not recorded (a direct change to the database)")
    if context.get("job"):
        return gettext("The registry (%(job)s)") % {"job": context["job"]}
    acted = [
        names[actor.model, entry.get("id")]
        for actor in acting_for()
        for entry in context.get(actor.acting_for, [])
        if (actor.model, entry.get("id")) in names
    ]
    if acted:
        return ", ".join(sorted(acted))
    if context.get("superuser"):
        return gettext("A site administrator")
    return gettext("Not recorded")


def _displayed(model, change: FieldChange, names) -> FieldChange:
    model_field = model._meta.get_field(change.name)
    return FieldChange(
        change.name,
        change.label,
        _display_value(model_field, change.old, names),
        _display_value(model_field, change.new, names),
    )


def _display_value(model_field, value, names):
    """Choices by their label, related records by their public name (a record that may
    not be named, such as a proposed organization or a restricted agreement, is not),
    a withheld value as "withheld", anything else as recorded."""
    if value is None:
        return None
    if value is _WITHHELD_VALUE:
        return WITHHELD
    related = getattr(model_field, "related_model", None)
    if public_name(related):
        return names.get(
            (related, value),
            gettext("an unpublished %(kind)s") % {"kind": related._meta.verbose_name},
        )
    if model_field.choices:
        label = dict(model_field.flatchoices).get(value)
        return value if label is None else str(label)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return value


# Staff history ----------------------------------------------------------------------


def record_history(registration: Registration, pk: int) -> list[HistoryEntry]:
    """Every recorded change of a record and of its children, newest first, with every
    field and the person who made it: for oversight board members only."""
    loaded = _load(*_record_specs(registration, pk))
    entries = []
    for event in (event for events in loaded.values() for event in events):
        context = event.row.pgh_context or {}
        labels = _column_labels(event.registration.model)
        changes = [
            FieldChange(column, labels.get(column, column), old, new)
            for column, (old, new) in sorted(event.diff.items())
            if column not in NOISE
        ]
        via = context.get("job") or " ".join(
            filter(None, [context.get("method"), context.get("url")])
        )
        person = context.get("username")
        if person and context.get("user"):
            person = f"{person} (user #{context['user']})"
        # Staff may read the names the context recorded, published or not.
        acted_names = {
            (actor.model, entry.get("id")): entry.get("name")
            for actor in acting_for()
            for entry in context.get(actor.acting_for, [])
        }
        entries.append(
            HistoryEntry(
                seq=event.seq,
                at=event.row.pgh_created_at,
                record=f"{event.registration.record} #{event.row.pgh_obj_id}",
                record_id=event.row.pgh_obj_id,
                action=ACTIONS.get(event.row.pgh_label, event.row.pgh_label),
                made_by=_made_by(context, acted_names) if context else gettext("Not recorded"),
                changes=changes,
                person=person,
                via=via or None,
            )
        )
    return sorted(entries, key=lambda entry: entry.seq, reverse=True)
