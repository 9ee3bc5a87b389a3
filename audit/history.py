"""Change histories read from the audit log: public ones for the partnership and agreement
pages and the API, full ones for oversight board members.

The public history of a record shows only changes to its public fields made while it was
public, newest first, naming the organization that made each change (or the registry's
job), never the person, never a private value. A record's children are part of its
history: a partnership's parties; an agreement's data-sharing terms, signatories and
public document versions.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models

from agreements.models import (
    Agreement,
    AgreementDocumentEvent,
    AgreementEvent,
    AgreementSignatoryEvent,
    AgreementSourceEvent,
    DataSharingTermEvent,
)
from oversight.models import FindingEvent, FlagEvent, ReviewEvent
from partnerships.models import (
    FocusArea,
    MembershipEvent,
    Organization,
    OrganizationEvent,
    Partnership,
    PartnershipEvent,
    PartnershipFocusAreaEvent,
    PartnershipPartyEvent,
    PartnershipSourceEvent,
    Source,
    SourceEvent,
    Visibility,
)

# The fields of each record that the public may see change. Anything else (people,
# private notes, internal bookkeeping, timestamps) never appears in a public history.
PUBLIC_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    PartnershipEvent: (
        "title",
        "slug",
        "status",
        "region",
        "country",
        "established_on",
        "established_precision",
        "ended_on",
        "objectives",
        "roles_and_responsibilities",
        "public_summary",
    ),
    PartnershipPartyEvent: ("organization", "role"),
    PartnershipFocusAreaEvent: ("focusarea",),
    PartnershipSourceEvent: ("source",),
    AgreementSourceEvent: ("source",),
    AgreementEvent: (
        "kind",
        "reference",
        "title",
        "status",
        "signed_on",
        "effective_from",
        "expires_on",
        "auto_expire",
        "review_interval_months",
        "next_review_due",
        "supersedes",
        "independent_auditor",
        "public_summary",
    ),
    DataSharingTermEvent: (
        "data_category",
        "direction",
        "purpose",
        "legal_basis",
        "legal_instrument",
        "consent_required",
        "retention_days",
        "onward_sharing_allowed",
        "access_controls",
        "surveillance_practice",
    ),
    AgreementSignatoryEvent: ("organization", "signed_on"),
    AgreementDocumentEvent: ("version", "sha256", "size_bytes", "is_public"),
}

RECORD_NAMES: dict[type[models.Model], str] = {
    OrganizationEvent: "Organization",
    SourceEvent: "Source",
    PartnershipEvent: "Partnership",
    PartnershipPartyEvent: "Party",
    PartnershipFocusAreaEvent: "Focus area",
    PartnershipSourceEvent: "Source",
    AgreementSourceEvent: "Source",
    MembershipEvent: "Membership",
    AgreementEvent: "Agreement",
    AgreementSignatoryEvent: "Signatory",
    AgreementDocumentEvent: "Document version",
    DataSharingTermEvent: "Data-sharing term",
    ReviewEvent: "Review",
    FindingEvent: "Finding",
    FlagEvent: "Flag",
}

# The staff history page's ``<model>`` in /oversight/history/<model>/<id>/.
HISTORY_MODELS: dict[str, type[models.Model]] = {
    "organization": OrganizationEvent,
    "source": SourceEvent,
    "partnership": PartnershipEvent,
    "party": PartnershipPartyEvent,
    "membership": MembershipEvent,
    "agreement": AgreementEvent,
    "signatory": AgreementSignatoryEvent,
    "document": AgreementDocumentEvent,
    "focus-area-link": PartnershipFocusAreaEvent,
    "partnership-source-link": PartnershipSourceEvent,
    "agreement-source-link": AgreementSourceEvent,
    "term": DataSharingTermEvent,
    "review": ReviewEvent,
    "finding": FindingEvent,
    "flag": FlagEvent,
}

# A record's history includes its children's events: (event model, field naming the parent).
CHILDREN: dict[type[models.Model], tuple[tuple[type[models.Model], str], ...]] = {
    PartnershipEvent: (
        (PartnershipPartyEvent, "partnership"),
        (PartnershipFocusAreaEvent, "partnership"),
        (PartnershipSourceEvent, "partnership"),
    ),
    AgreementEvent: (
        (DataSharingTermEvent, "agreement"),
        (AgreementSignatoryEvent, "agreement"),
        (AgreementDocumentEvent, "agreement"),
        (AgreementSourceEvent, "agreement"),
    ),
    ReviewEvent: ((FindingEvent, "review"),),
}

# Labels of fields whose verbose name Django made up (the many-to-many links' tables).
FIELD_LABELS = {"focusarea": "Focus area"}

ACTIONS = {"create": "created", "update": "changed", "delete": "deleted"}
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
    model: type[models.Model]
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


class _Timeline:
    """Whether a record was public at each point of the chain, from its own events."""

    def __init__(self, events: list[_Event], public, current: bool):
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


def _visibility_public(row, before: _Event | None = None) -> bool:
    value = before.old("visibility", row.visibility) if before else row.visibility
    return value == Visibility.PUBLIC


def _document_public(row, before: _Event | None = None) -> bool:
    value = before.old("is_public", row.is_public) if before else row.is_public
    return value is True


class _Row(dict):
    """An event row read as JSON, with attribute access like a model instance."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _load(*specs: tuple[type[models.Model], str, int]) -> dict[type, list[_Event]]:
    """The events of several audit tables in one query: for each ``(event model, column,
    value)``, the events whose ``column`` is ``value``; each table's in chain order."""
    selects, params = [], []
    for model, column, value in specs:
        # Table and column names from the models' metadata, never from input.
        selects.append(
            f"SELECT %s AS model, audit_row_json(e) AS row FROM {model._meta.db_table} e "  # noqa: S608
            f"WHERE {column} = %s"
        )
        params += [model._meta.label, value]
    by_label = {model._meta.label: model for model, _, _ in specs}
    events: dict[type, list[_Event]] = {model: [] for model, _, _ in specs}
    if connection.vendor != "postgresql":  # no audit tables are filled on SQLite
        return events
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    for label, row in rows:
        row = _Row(json.loads(row) if isinstance(row, str) else row)
        row["pgh_created_at"] = dt.datetime.fromisoformat(row["pgh_created_at"])
        events[by_label[label]].append(_Event(by_label[label], row))
    for model_events in events.values():
        model_events.sort(key=lambda event: event.seq)
    return events


def _record_specs(event_model, pk) -> list[tuple[type[models.Model], str, int]]:
    """A record's own events and its children's."""
    return [
        (event_model, "pgh_obj_id", pk),
        *((child, f"{parent}_id", pk) for child, parent in CHILDREN.get(event_model, ())),
    ]


# Public histories -------------------------------------------------------------------


def partnership_public_history(partnership: Partnership) -> list[HistoryEntry]:
    """The public changes of a partnership and its parties, newest first."""
    loaded = _load(*_record_specs(PartnershipEvent, partnership.pk))
    own = loaded.pop(PartnershipEvent)
    children = [event for events in loaded.values() for event in events]
    partnership_timeline = _Timeline(
        own, _visibility_public, current=partnership.visibility == Visibility.PUBLIC
    )
    gates = {PartnershipEvent: []} | {
        child_model: [partnership_timeline] for child_model, _ in CHILDREN[PartnershipEvent]
    }
    return _public_entries(
        [*own, *children], gates, own_public={PartnershipEvent: _visibility_public}
    )


def agreement_public_history(agreement: Agreement) -> list[HistoryEntry]:
    """The public changes of an agreement, its data-sharing terms, its signatories and its
    public document versions, newest first."""
    partnership = agreement.partnership
    loaded = _load(
        (PartnershipEvent, "pgh_obj_id", partnership.pk),
        *_record_specs(AgreementEvent, agreement.pk),
    )
    partnership_timeline = _Timeline(
        loaded.pop(PartnershipEvent),
        _visibility_public,
        current=partnership.visibility == Visibility.PUBLIC,
    )
    own = loaded.pop(AgreementEvent)
    agreement_timeline = _Timeline(
        own, _visibility_public, current=agreement.visibility == Visibility.PUBLIC
    )
    children = [event for events in loaded.values() for event in events]
    both = [partnership_timeline, agreement_timeline]
    gates = {AgreementEvent: [partnership_timeline]} | {
        child_model: both for child_model, _ in CHILDREN[AgreementEvent]
    }
    own_public = {AgreementEvent: _visibility_public, AgreementDocumentEvent: _document_public}
    return _public_entries([*own, *children], gates, own_public=own_public)


def _public_entries(events: list[_Event], gates, *, own_public) -> list[HistoryEntry]:
    shown = []
    for event in events:
        parents_public = all(t.public_before(event.seq) for t in gates[event.model])
        is_public = own_public.get(event.model, lambda row, before=None: True)
        label = event.row.pgh_label
        after = parents_public and label != "delete" and is_public(event.row)
        before = parents_public and label != "create" and is_public(event.row, before=event)
        if label == "delete" and before:
            # What was removed: a party's organization, a link's focus area or source.
            shown.append((event, "deleted", _public_changes(event, old_values=True)))
        elif label == "create" and after:
            shown.append((event, "created", _public_changes(event, old_values=False)))
        elif label == "update" and after:
            changes = _public_changes(event, old_values=before)
            if not before:
                shown.append((event, "published", changes))
            elif changes:
                shown.append((event, "changed", changes))
    names = _related_names(shown)
    organizations = {pk: name for (model, pk), name in names.items() if model is Organization}
    entries = [
        HistoryEntry(
            seq=event.seq,
            at=event.row.pgh_created_at,
            record=RECORD_NAMES[event.model],
            record_id=event.row.pgh_obj_id,
            action=action,
            made_by=_made_by(event.row.pgh_context, organizations),
            changes=[_displayed(event.model, c, names) for c in changes],
        )
        for event, action, changes in shown
    ]
    return sorted(entries, key=lambda entry: entry.seq, reverse=True)


def _public_changes(event: _Event, *, old_values: bool) -> list[FieldChange]:
    fields = _fields_by_column(event.model, PUBLIC_FIELDS[event.model])
    changes = []
    deleted = event.row.pgh_label == "delete"
    for column, (old, new) in sorted(event.diff.items()):
        shown = old if deleted else new
        if column in fields and ((old_values and not deleted) or shown not in (None, "")):
            name, label = fields[column]
            changes.append(FieldChange(name, label, old if old_values else None, new))
    return changes


def _fields_by_column(event_model, names) -> dict[str, tuple[str, str]]:
    tracked = event_model.pgh_tracked_model
    result = {}
    for name in names:
        model_field = tracked._meta.get_field(name)
        label = FIELD_LABELS.get(name) or str(model_field.verbose_name).capitalize()
        result[model_field.column] = (name, label)
    return result


# What a foreign key of a public history may name, and by what: organizations only once
# confirmed, agreements only if public; focus areas and sources are public vocabulary.
NAMED_RECORDS = {
    Organization: (lambda: Organization.objects.public(), "name"),
    FocusArea: (lambda: FocusArea.objects.all(), "name"),
    Source: (lambda: Source.objects.all(), "title"),
    Agreement: (lambda: Agreement.objects.public(), "title"),
}


def _related_names(shown) -> dict[tuple[type, int], str]:
    """Names of the records the entries mention (the organizations that made changes,
    and the values of foreign keys), one query per kind of record."""
    wanted: dict[type, set[int]] = {}
    for event, _action, changes in shown:
        for org in (event.row.pgh_context or {}).get("organizations", []):
            wanted.setdefault(Organization, set()).add(org.get("id"))
        for change in changes:
            related = _related_model(event.model, change.name)
            if related in NAMED_RECORDS:
                wanted.setdefault(related, set()).update(
                    v for v in (change.old, change.new) if isinstance(v, int)
                )
    names = {}
    for model, ids in wanted.items():
        queryset, attribute = NAMED_RECORDS[model]
        for pk, name in queryset().filter(pk__in=ids).values_list("pk", attribute):
            names[model, pk] = name
    return names


def _related_model(event_model, name):
    return getattr(event_model.pgh_tracked_model._meta.get_field(name), "related_model", None)


def _made_by(context: dict | None, organizations: dict[int, str]) -> str:
    """Who made a change, for the public: organizations and jobs, never a person."""
    if not context:
        return "Not recorded (a direct change to the database)"
    if context.get("job"):
        return f"The registry ({context['job']})"
    names = [
        organizations[org["id"]]
        for org in context.get("organizations", [])
        if org.get("id") in organizations
    ]
    if names:
        return ", ".join(sorted(names))
    if context.get("superuser"):
        return "A site administrator"
    return "Not recorded"


def _displayed(event_model, change: FieldChange, names) -> FieldChange:
    model_field = event_model.pgh_tracked_model._meta.get_field(change.name)
    return FieldChange(
        change.name,
        change.label,
        _display_value(model_field, change.old, names),
        _display_value(model_field, change.new, names),
    )


def _display_value(model_field, value, names):
    """Choices by their label, related records by their name (a proposed organization or
    a restricted agreement is not named), anything else as recorded."""
    if value is None:
        return None
    related = getattr(model_field, "related_model", None)
    if related in NAMED_RECORDS:
        return names.get((related, value), f"an unpublished {related._meta.verbose_name}")
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


# Staff history ----------------------------------------------------------------------


def record_history(event_model: type[models.Model], pk: int) -> list[HistoryEntry]:
    """Every recorded change of a record and of its children, newest first, with every
    field and the person who made it: for oversight board members only."""
    events = [e for events in _load(*_record_specs(event_model, pk)).values() for e in events]
    entries = []
    for event in events:
        context = event.row.pgh_context or {}
        changes = [
            FieldChange(column, column, old, new)
            for column, (old, new) in sorted(event.diff.items())
            if column not in NOISE
        ]
        via = context.get("job") or " ".join(
            filter(None, [context.get("method"), context.get("url")])
        )
        person = context.get("username")
        if person and context.get("user"):
            person = f"{person} (user #{context['user']})"
        organizations = {org["id"]: org["name"] for org in context.get("organizations", [])}
        entries.append(
            HistoryEntry(
                seq=event.seq,
                at=event.row.pgh_created_at,
                record=f"{RECORD_NAMES[event.model]} #{event.row.pgh_obj_id}",
                record_id=event.row.pgh_obj_id,
                action=ACTIONS.get(event.row.pgh_label, event.row.pgh_label),
                made_by=_made_by(context, organizations) if context else "Not recorded",
                changes=changes,
                person=person,
                via=via or None,
            )
        )
    return sorted(entries, key=lambda entry: entry.seq, reverse=True)
