"""The dry run of an import: what each row of a file would do, checked as the staff forms
and the services check it, in a number of queries per batch of rows (``PLAN_BATCH``) that
does not grow with the rows of the batch.

For each row:

1. Find the record it names, among every record: a partnership by its slug; an agreement
   by its partnership's slug and its reference, or else its title.
2. An existing record: compare each cell the import reads with the cell its export has now
   (``Export.present_shape``): a cell as exported is unchanged, whatever lies behind it (a
   withheld value, a related record that is not public). A cell that differs is read as
   the edit form reads the field (``csv_text``, then the form field: nothing is ever
   evaluated, a formula is the text it is), and changes the record only if the value
   differs (``Field.has_changed``, as the form's ``changed_data``).
3. A new record: every cell it has, read the same way; those it lacks keep their defaults.
4. Who may: a row that would create or change a record is refused, with the reason,
   unless the user edits its partnership (``editable_partnerships``); an unchanged row is
   unchanged whoever imports it. A record whose changes already wait for approval is
   refused too: its editors decide on them first.
5. Checked as the services check it, without a query per row: the model's ``clean()``,
   an agreement's rules about the records it names (``agreement_check``), a partnership's
   parties (an NGO and a police agency, the user's own organization kept), the terms (at
   most ``MAX_TERMS``, each checked by the terms' form and model).

A cell holding a withheld value (named in ``withheld_fields``, or holding the export's
marker) is not read: the file does not know the value.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

from agreements.forms import MAX_TERMS, AuditorForm, DataSharingTermForm, too_many_terms_message
from agreements.models import Agreement, DataSharingTerm
from agreements.services import NewAgreement, agreement_check
from core.api.columns import URLs, Withheld
from core.csv import csv_cell, csv_items, csv_text
from partnerships.models import FocusArea, Organization, Partnership, PartnershipParty
from partnerships.permissions import (
    editable_partnerships,
    editor_organizations,
    organizations_acting_for,
)
from publication.choices import APPROVED_STATES
from publication.models import Revision

from .exports import PARENT, Export
from .files import CsvFile, Row

PLAN_BATCH = 500

CREATE = "create"
CHANGE = "change"
UNCHANGED = "unchanged"
REFUSED = "refused"
ERROR = "error"
ACTIONS = (CREATE, CHANGE, UNCHANGED, REFUSED, ERROR)

# The beginning of the export's marker of a withheld value: "[withheld: <reason>]".
WITHHELD_MARKER = Withheld.MARKER.split("{", 1)[0]
NOT_EDITOR = gettext_lazy(
    "You are not an editor of a party to “%(partnership)s”: only its parties' editors "
    "change its records."
)
PENDING = gettext_lazy(
    "Changes of this record wait for approval already: approve, send back or withdraw them "
    "on its publication page first, then import again."
)


@dataclass(frozen=True)
class Change:
    """One change a row makes: the cells' texts before and after (``what`` names the part
    of a cell that changes, a data-sharing term's field)."""

    column: str
    old: str
    new: str
    what: str = ""


@dataclass
class TermChanges:
    """What a row does to an agreement's data-sharing terms, as ``agreement_update``
    takes it; ``rows``: every term after the change, as (existing term or None, values,
    removed), for the edit form's data of a proposal."""

    add: list[dict] = field(default_factory=list)
    change: list[tuple[DataSharingTerm, dict]] = field(default_factory=list)
    remove: list[DataSharingTerm] = field(default_factory=list)
    rows: list[tuple[DataSharingTerm | None, dict, bool]] = field(default_factory=list)

    def __bool__(self):
        return bool(self.add or self.change or self.remove)

    def service_arguments(self) -> dict:
        return {
            "terms_to_add": self.add,
            "terms_to_change": self.change,
            "terms_to_remove": self.remove,
        }


@dataclass
class RowPlan:
    """What a row does: its ``action`` (one of ``ACTIONS``), with the changes (old → new),
    the errors (column, message) or the reason it is refused, and what applying it needs."""

    number: int
    key: str = ""
    action: str = UNCHANGED
    changes: list[Change] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    reason: str = ""
    # A change of an approved record: it waits for a second pair of eyes (a revision).
    proposed: bool = False
    # What applying it needs (not part of the preview).
    record: Any = None
    parent: Partnership | None = None
    values: dict[str, Any] = field(default_factory=dict)
    terms: TermChanges | None = None
    # An existing agreement's terms, for the edit form's data of a proposal.
    existing_terms: list[DataSharingTerm] = field(default_factory=list)
    new: NewAgreement | None = None
    parties_to_add: list[tuple[Organization, str]] = field(default_factory=list)
    parties_to_remove: list[PartnershipParty] = field(default_factory=list)
    lead: tuple[Organization, str] | None = None
    slug: str = ""
    supersedes_title: str = ""

    def error(self, column: str, message: str) -> None:
        # In the language of the request or task that plans the file: the preview keeps it.
        self.errors.append((column, str(message)))
        self.action = ERROR

    def refuse(self, reason: str) -> None:
        """Refused, whatever else the row has: the user does not decide about it."""
        self.errors.clear()
        self.changes.clear()
        self.action = REFUSED
        self.reason = str(reason)

    def as_json(self) -> dict:
        item = {"row": self.number, "key": self.key, "action": self.action}
        if self.changes:
            item["changes"] = [
                {"column": c.column, "what": c.what or c.column, "old": c.old, "new": c.new}
                for c in self.changes
            ]
        if self.errors:
            item["errors"] = [{"column": column, "message": m} for column, m in self.errors]
        if self.reason:
            item["reason"] = self.reason
        if self.proposed:
            item["proposed"] = True
        return item


@dataclass
class Plan:
    """The dry run of a whole file."""

    file: CsvFile
    rows: list[RowPlan]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for row in self.rows:
            counts[row.action] += 1
        counts["proposed"] = sum(1 for row in self.rows if row.action == CHANGE and row.proposed)
        return counts

    @property
    def has_errors(self) -> bool:
        return any(row.action == ERROR for row in self.rows)

    def preview(self) -> dict:
        export = self.file.export
        return {
            "kind": export.kind,
            "counts": self.counts(),
            "read": [header for header in self.file.header if header in export.cells],
            "ignored": self.file.ignored_headers,
            "rows": [row.as_json() for row in self.rows],
        }


def plan_file(file: CsvFile, *, actor, on_batch: Callable[[int], None] | None = None) -> Plan:
    """The plan of every row of ``file`` for ``actor``, ``PLAN_BATCH`` rows at a time
    (``on_batch(n)`` told after each)."""
    planner_class = AgreementPlanner if file.export.model is Agreement else PartnershipPlanner
    planner = planner_class(file.export, actor)
    plans = []
    for start in range(0, len(file.rows), PLAN_BATCH):
        batch = file.rows[start : start + PLAN_BATCH]
        plans += planner.plan_batch(batch)
        if on_batch is not None:
            on_batch(len(batch))
    planner.finish(plans)
    return Plan(file=file, rows=plans)


# Reading cells ---------------------------------------------------------------------------


class Cells:
    """A row's cells as the import reads them."""

    def __init__(self, row: Row, export: Export):
        self.row = row
        self.export = export
        header = export.shape.withheld_header
        self.withheld = {name for name in csv_items(row.cells.get(header, "")) if " (" not in name}

    def given(self, header: str) -> bool:
        """The file has the cell, and it holds a value the file knows (not withheld)."""
        if header not in self.row.cells:
            return False
        _, read = self.export.cells[header]
        raw = self.row.cells[header]
        return read.field not in self.withheld and not csv_text(raw).startswith(WITHHELD_MARKER)

    def raw(self, header: str) -> str:
        return self.row.cells.get(header, "")

    def text(self, header: str) -> str:
        return csv_text(self.raw(header))

    def keys(self, header: str) -> list[str]:
        """The items of a list's cell (empty ones, as a spreadsheet leaves them, skipped)."""
        return [item.strip() for item in csv_items(self.raw(header)) if item.strip()]


@cache
def term_defaults() -> dict[str, Any]:
    """A new data-sharing term's values, as the model gives them."""
    term = DataSharingTerm()
    return {name: getattr(term, name) for name in DataSharingTerm.FIELDS}


def pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def field_errors(plan: RowPlan, export: Export, error: ValidationError) -> None:
    """A service's or model's ValidationError as the row's errors, each under the column
    of its field (none for a rule about the whole record)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            plan.error(export.header_of.get(name, ""), " ".join(errors))
    else:
        plan.error("", messages(error))


def term_error(number: int, field_name: str, errors: str) -> str:
    """A data-sharing term's error: the term's number in the cell, its field, what is wrong."""
    return gettext("Term %(number)s, %(field)s: %(errors)s") % {
        "number": number,
        "field": field_name,
        "errors": errors,
    }


def term_label(category: str, direction: str) -> str:
    """A data-sharing term as the preview's changes name it."""
    return gettext("term %(category)s (%(direction)s)") % {
        "category": category,
        "direction": direction,
    }


def shown(value) -> str:
    """A value as its cell shows it, for the preview's old → new."""
    return csv_cell(value)


def exported_cells(export: Export, ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """``{id: {header: cell}}``: the cells the records' export has now, presented by the
    columns the import reads (one query, and one per related set and withheld list)."""
    ids = list(ids)
    if not ids:
        return {}
    shape = export.present_shape
    rows = list(
        export.model.objects.filter(pk__in=ids).values(*dict.fromkeys(("id", *shape.reads())))
    )
    items = shape.present(rows, URLs(None), export.model._meta.model_name)
    getters = [(header, get) for header, get in shape.csv_columns if header in export.cells]
    return {
        row["id"]: {header: csv_cell(get(item)) for header, get in getters}
        for row, item in zip(rows, items, strict=True)
    }


def open_revision_ids(model, ids: Iterable[int]) -> set[int]:
    ids = list(ids)
    if not ids:
        return set()
    return set(
        Revision.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=ids
        )
        .open()
        .values_list("object_id", flat=True)
    )


class Planner:
    def __init__(self, export: Export, actor):
        self.export = export
        self.actor = actor
        self.form_fields = export.edit_form.base_fields
        # Rows seen so far in the file, by the record they name: a record named twice is
        # an error on the second row.
        self.seen: dict[tuple, int] = {}

    def plan_batch(self, rows: list[Row]) -> list[RowPlan]:
        raise NotImplementedError

    def finish(self, plans: list[RowPlan]) -> None:
        """What can be checked only once every row is planned."""

    def claim(self, plan: RowPlan, key: tuple, column: str) -> bool:
        if key in self.seen:
            plan.error(
                column,
                gettext("Row %(row)s is about the same record already.") % {"row": self.seen[key]},
            )
            return False
        self.seen[key] = plan.number
        return True

    def read_field(self, plan: RowPlan, cells: Cells, header: str, name: str):
        """The cell's value as the edit form's field reads it (None, with the row's error,
        if it cannot)."""
        try:
            return self.form_fields[name].clean(cells.text(header))
        except ValidationError as error:
            plan.error(header, messages(error))
            return None

    def diff_field(self, plan: RowPlan, cells: Cells, header: str, name: str, record) -> None:
        """A plain field of an existing record: a change if its value differs."""
        form_field = self.form_fields[name]
        initial = record._meta.get_field(name).value_from_object(record)
        text = cells.text(header)
        if not form_field.has_changed(initial, text):
            return
        value = self.read_field(plan, cells, header, name)
        if plan.action == ERROR:
            return
        plan.values[name] = value
        plan.changes.append(Change(header, shown(initial), shown(value)))

    def settle(self, plan: RowPlan, *, editable: bool, partnership: str) -> None:
        """The row's action once its changes are known: unchanged, or a change or creation
        the user may make; refused otherwise, whatever else is wrong with it (the user
        does not decide about it)."""
        if plan.action not in (CREATE, ERROR):
            plan.action = CHANGE if plan.changes else UNCHANGED
        if plan.action != UNCHANGED and not editable:
            plan.refuse(NOT_EDITOR % {"partnership": partnership})


# Partnerships ----------------------------------------------------------------------------


# A partnership's foreign keys: the publication workflow's, never the file's.
RELATED_FIELDS = tuple(f.name for f in Partnership._meta.concrete_fields if f.is_relation)


class PartnershipPlanner(Planner):
    def __init__(self, export: Export, actor):
        super().__init__(export, actor)
        self.acting_for = {o.pk: o for o in organizations_acting_for(actor)}
        self.own = set(editor_organizations(actor).values_list("pk", flat=True))
        self.header = export.header_of
        self.focus_areas = self.form_fields["focus_areas"].queryset

    def plan_batch(self, rows):
        slug_header = self.header["slug"]
        slugs = {csv_text(row.cells.get(slug_header, "")).strip() for row in rows} - {""}
        existing = {p.slug: p for p in Partnership.objects.filter(slug__in=slugs)}
        ids = [p.pk for p in existing.values()]
        visible = pks(Partnership.objects.visible_to(self.actor).filter(pk__in=ids))
        editable = pks(editable_partnerships(self.actor).filter(pk__in=ids))
        exported = exported_cells(self.export, visible)
        pending = open_revision_ids(Partnership, visible)
        parties = defaultdict(list)
        for party in PartnershipParty.objects.filter(
            partnership_id__in=visible, organization__is_confirmed=True
        ).select_related("organization"):
            parties[party.partnership_id].append(party)
        focus_header, parties_header = self.header["focus_areas"], self.header["parties"]
        focus_slugs, organization_slugs = set(), set()
        for row in rows:
            focus_slugs.update(csv_items(row.cells.get(focus_header, "")))
            organization_slugs.update(
                item.rpartition(":")[0] for item in csv_items(row.cells.get(parties_header, ""))
            )
        focus_areas = {f.slug: f for f in self.focus_areas.filter(slug__in=focus_slugs)}
        organizations = {
            o.slug: o
            for o in Organization.objects.selectable_by(self.actor).filter(
                slug__in=organization_slugs
            )
        }
        context = {
            "existing": existing,
            "visible": visible,
            "editable": editable,
            "exported": exported,
            "pending": pending,
            "parties": parties,
            "focus_areas": focus_areas,
            "organizations": organizations,
        }
        return [self.plan_row(row, context) for row in rows]

    def plan_row(self, row: Row, ctx) -> RowPlan:
        plan = RowPlan(number=row.number)
        if row.error:
            plan.error("", row.error)
            return plan
        cells = Cells(row, self.export)
        slug_header = self.header["slug"]
        slug = cells.text(slug_header).strip()
        plan.key = slug or cells.text(self.header["title"]).strip()
        record = ctx["existing"].get(slug)
        if record is not None and record.pk not in ctx["visible"]:
            plan.error(
                slug_header,
                gettext("The slug “%(slug)s” is taken: give this partnership another.")
                % {"slug": slug},
            )
            return plan
        if not self.claim(plan, ("partnership", slug or plan.key), slug_header):
            return plan
        if record is None:
            self.plan_new(plan, cells, slug, ctx)
            return plan
        plan.record = record
        self.plan_change(plan, cells, record, ctx)
        self.settle(plan, editable=record.pk in ctx["editable"], partnership=record.title)
        if plan.action == CHANGE and plan.values and record.pk in ctx["pending"]:
            plan.refuse(PENDING)
        plan.proposed = record.publication_status in APPROVED_STATES and bool(plan.values)
        return plan

    def plan_change(self, plan: RowPlan, cells: Cells, record: Partnership, ctx) -> None:
        current = ctx["exported"][record.pk]
        for header, (_, read) in self.export.cells.items():
            name = read.field
            if name == "slug" or not cells.given(header):
                continue
            if cells.raw(header) == current.get(header):
                continue
            if name == "focus_areas":
                self.diff_focus_areas(plan, cells, header, current[header], ctx)
            elif name == "parties":
                self.diff_parties(plan, cells, header, record, ctx)
            else:
                self.diff_field(plan, cells, header, name, record)
        if plan.values and plan.action != ERROR:
            changed = copy.copy(record)
            for name, value in plan.values.items():
                if name != "focus_areas":
                    setattr(changed, name, value)
            self.check(plan, changed)

    def check(self, plan: RowPlan, partnership: Partnership) -> None:
        """The model's rules (``clean()`` states its check constraints), without a query:
        its foreign keys (who submitted it) are not the file's."""
        try:
            partnership.full_clean(
                exclude=RELATED_FIELDS, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            field_errors(plan, self.export, error)

    def read_focus_areas(self, plan, cells, header, ctx) -> list[FocusArea] | None:
        found, unknown = [], []
        for slug in cells.keys(header):
            (found if slug in ctx["focus_areas"] else unknown).append(slug)
        if unknown:
            plan.error(
                header,
                gettext("No focus area has the slug %(slugs)s.") % {"slugs": ", ".join(unknown)},
            )
            return None
        return [ctx["focus_areas"][slug] for slug in dict.fromkeys(found)]

    def diff_focus_areas(self, plan, cells, header, current: str, ctx) -> None:
        areas = self.read_focus_areas(plan, cells, header, ctx)
        if areas is None:
            return
        before = set(csv_items(current))
        if {area.slug for area in areas} == before:
            return
        plan.values["focus_areas"] = areas
        plan.changes.append(Change(header, current, csv_cell([area.slug for area in areas])))

    def read_parties(self, plan, cells, header, ctx) -> list[tuple[Organization, str]] | None:
        _, read = self.export.cells[header]
        roles = set(PartnershipParty.Role.values)
        parties, problems = [], []
        for item in cells.keys(header):
            slug, role = read.parse(item)
            organization = ctx["organizations"].get(slug)
            if organization is None:
                problems.append(gettext("no organization has the slug “%(slug)s”") % {"slug": slug})
            elif role not in roles:
                problems.append(
                    gettext("“%(role)s” is not a party's role (one of %(roles)s)")
                    % {"role": role, "roles": ", ".join(sorted(roles))}
                )
            elif any(o == organization for o, _ in parties):
                problems.append(gettext("“%(slug)s” is named twice") % {"slug": slug})
            else:
                parties.append((organization, role))
        if problems:
            plan.error(header, capfirst("; ".join(problems)) + ".")
            return None
        given = {role for _, role in parties}
        missing = PartnershipParty.missing_roles(given)
        if missing:
            if len(missing) > 1:
                message = gettext(
                    "A partnership needs at least one NGO and one police agency among its "
                    "parties; these give it no NGO and no police agency."
                )
            elif PartnershipParty.Role.POLICE_AGENCY in given:
                message = gettext(
                    "A partnership needs at least one NGO and one police agency among its "
                    "parties; these give it no NGO."
                )
            else:
                message = gettext(
                    "A partnership needs at least one NGO and one police agency among its "
                    "parties; these give it no police agency."
                )
            plan.error(header, message)
            return None
        return parties

    def diff_parties(self, plan, cells, header, record: Partnership, ctx) -> None:
        parties = self.read_parties(plan, cells, header, ctx)
        if parties is None:
            return
        current = ctx["parties"][record.pk]
        wanted = {(organization.pk, role) for organization, role in parties}
        have = {(party.organization_id, party.role) for party in current}
        if wanted == have:
            return
        plan.parties_to_add = [(o, role) for o, role in parties if (o.pk, role) not in have]
        plan.parties_to_remove = [p for p in current if (p.organization_id, p.role) not in wanted]
        removed = {party.organization_id: party for party in plan.parties_to_remove}
        recast = [o for o, _ in plan.parties_to_add if o.pk in removed]
        if recast:
            party = removed[recast[0].pk]
            plan.error(
                header,
                gettext(
                    "%(organization)s is a party as %(role)s already: a party's role changes on "
                    "the partnership's page (remove it, then add it again)."
                )
                % {"organization": party.organization.name, "role": party.role},
            )
            return
        kept = [p for p in plan.parties_to_remove if p.organization_id in self.own]
        if kept and not self.actor.is_superuser:
            plan.error(
                header,
                gettext(
                    "Your organization %(organization)s stays a party (with its role): only a "
                    "site administrator removes it."
                )
                % {"organization": kept[0].organization.name},
            )
            return
        old = csv_cell(sorted(f"{p.organization.slug}:{p.role}" for p in current))
        new = csv_cell(sorted(f"{o.slug}:{role}" for o, role in parties))
        plan.changes.append(Change(header, old, new))

    def plan_new(self, plan: RowPlan, cells: Cells, slug: str, ctx) -> None:
        plan.action = CREATE
        plan.slug = slug
        slug_header, parties_header = self.header["slug"], self.header["parties"]
        if parties_header not in cells.row.cells:
            plan.error(
                parties_header, gettext("A new partnership needs its parties: add this column.")
            )
            return
        parties = self.read_parties(plan, cells, parties_header, ctx) or []
        own = [(o, role) for o, role in parties if o.pk in self.acting_for]
        if parties and not own:
            plan.refuse(
                gettext(
                    "None of your organizations is among its parties: you create partnerships "
                    "only for an organization you are an editor of."
                )
            )
            return
        if slug:
            try:
                validate_slug(slug)
            except ValidationError as error:
                plan.error(slug_header, messages(error))
        for header, (_, read) in self.export.cells.items():
            name = read.field
            if name in ("slug", "parties") or not cells.given(header):
                continue
            if name == "focus_areas":
                areas = self.read_focus_areas(plan, cells, header, ctx)
                plan.values["focus_areas"] = areas or []
            else:
                plan.values[name] = self.read_field(plan, cells, header, name)
        if plan.action == ERROR:
            return
        partnership = Partnership(slug=slug or "new")
        for name, value in plan.values.items():
            if name != "focus_areas":
                setattr(partnership, name, value)
        self.check(plan, partnership)
        plan.lead = own[0]
        plan.parties_to_add = [(o, role) for o, role in parties if o != own[0][0]]


# Agreements ------------------------------------------------------------------------------


class AgreementPlanner(Planner):
    def __init__(self, export: Export, actor):
        super().__init__(export, actor)
        self.header = export.header_of
        # Who may be an agreement's auditor: the form's rule.
        self.auditors = AuditorForm.base_fields["independent_auditor"].queryset
        self.term_fields = DataSharingTermForm.base_fields
        # New agreements of the file, by partnership and title: what a later row's
        # ``supersedes`` may name.
        self.new_by_title: dict[tuple[int, str], list[RowPlan]] = defaultdict(list)

    def plan_batch(self, rows):
        h = self.header
        slugs, titles, references, auditor_slugs = set(), set(), set(), set()
        for row in rows:
            cells = row.cells
            slugs.add(csv_text(cells.get(h[PARENT], "")).strip())
            titles.add(csv_text(cells.get(h["title"], "")).strip())
            titles.add(csv_text(cells.get(h["supersedes"], "")).strip())
            references.add(csv_text(cells.get(h["reference"], "")).strip())
            auditor_slugs.add(csv_text(cells.get(h["independent_auditor"], "")).strip())
        partnerships = {
            p.slug: p for p in Partnership.objects.visible_to(self.actor).filter(slug__in=slugs)
        }
        ids = [p.pk for p in partnerships.values()]
        editable = pks(editable_partnerships(self.actor).filter(pk__in=ids))
        party_ids = defaultdict(set)
        for partnership_id, organization_id in PartnershipParty.objects.filter(
            partnership_id__in=ids
        ).values_list("partnership_id", "organization_id"):
            party_ids[partnership_id].add(organization_id)
        agreements = defaultdict(list)
        for agreement in (
            # Those the user may see: a restricted agreement of another organization is
            # nothing a row can name.
            Agreement.objects.visible_to(self.actor)
            .filter(partnership_id__in=ids)
            .filter(Q(reference__in=references - {""}) | Q(title__in=titles - {""}))
            .select_related("supersedes", "independent_auditor")
            .order_by("pk")
        ):
            agreements[agreement.partnership_id].append(agreement)
        context = {
            "partnerships": partnerships,
            "editable": editable,
            "party_ids": party_ids,
            "agreements": agreements,
            "auditors": {o.slug: o for o in self.auditors.filter(slug__in=auditor_slugs)},
        }
        plans = [self.find(row, context) for row in rows]
        matched = [plan.record.pk for plan in plans if plan.record is not None]
        context["exported"] = exported_cells(self.export, matched)
        context["pending"] = open_revision_ids(Agreement, matched)
        context["terms"] = defaultdict(list)
        for term in DataSharingTerm.objects.filter(agreement_id__in=matched).order_by("pk"):
            context["terms"][term.agreement_id].append(term)
        for row, plan in zip(rows, plans, strict=True):
            if plan.action != ERROR:
                self.plan_row(plan, Cells(row, self.export), context)
        return plans

    def find(self, row: Row, ctx) -> RowPlan:
        """The row's partnership and, if it has one already, its agreement."""
        plan = RowPlan(number=row.number)
        if row.error:
            plan.error("", row.error)
            return plan
        cells = Cells(row, self.export)
        h = self.header
        slug = cells.text(h[PARENT]).strip()
        title = cells.text(h["title"]).strip()
        reference = cells.text(h["reference"]).strip() if cells.given(h["reference"]) else ""
        plan.key = " · ".join(part for part in (slug, reference or title) if part)
        if not slug:
            plan.error(h[PARENT], gettext("Give the slug of the agreement's partnership."))
            return plan
        partnership = ctx["partnerships"].get(slug)
        if partnership is None:
            plan.error(
                h[PARENT],
                gettext("No partnership you can see has the slug “%(slug)s”.") % {"slug": slug},
            )
            return plan
        if not title:
            plan.error(h["title"], gettext("Give the agreement's title."))
            return plan
        plan.parent = partnership
        candidates = ctx["agreements"][partnership.pk]
        if reference:
            same = [a for a in candidates if a.reference == reference]
            if len(same) > 1:
                plan.error(
                    h["reference"],
                    gettext("%(count)s agreements of this partnership have this reference.")
                    % {"count": len(same)},
                )
                return plan
            if same:
                plan.record = same[0]
        if plan.record is None:
            same = [a for a in candidates if a.title == title and not (reference and a.reference)]
            if len(same) > 1:
                plan.error(
                    h["title"],
                    gettext(
                        "%(count)s agreements of this partnership have this title: give each "
                        "its own reference to tell them apart."
                    )
                    % {"count": len(same)},
                )
                return plan
            plan.record = same[0] if same else None
        key = plan.record.pk if plan.record else ("new", reference or title)
        self.claim(plan, (partnership.pk, key), h["title"])
        return plan

    def plan_row(self, plan: RowPlan, cells: Cells, ctx) -> None:
        partnership = plan.parent
        record = plan.record
        if record is None:
            plan.action = CREATE
            self.plan_new(plan, cells, partnership, ctx)
            self.new_by_title[(partnership.pk, plan.values.get("title", ""))].append(plan)
        else:
            self.plan_change(plan, cells, record, ctx)
        self.settle(plan, editable=partnership.pk in ctx["editable"], partnership=partnership.title)
        if record is not None:
            if plan.action == CHANGE and record.pk in ctx["pending"]:
                plan.refuse(PENDING)
            plan.proposed = record.publication_status in APPROVED_STATES

    # Related records by their natural key

    def read_auditor(self, plan, cells, ctx):
        header = self.header["independent_auditor"]
        slug = cells.text(header).strip()
        if not slug:
            return None
        auditor = ctx["auditors"].get(slug)
        if auditor is None:
            plan.error(
                header,
                gettext(
                    "No oversight body, community board or auditor has the slug “%(slug)s”: "
                    "the auditor is one of those."
                )
                % {"slug": slug},
            )
        return auditor

    def read_supersedes(self, plan, cells, partnership, ctx, record=None):
        """The agreement of the same partnership the row supersedes, by its title: an
        existing one, or (settled in ``finish``) a new one of the file."""
        header = self.header["supersedes"]
        title = cells.text(header).strip()
        if not title:
            return None
        same = [a for a in ctx["agreements"][partnership.pk] if a.title == title and a != record]
        if len(same) > 1:
            plan.error(
                header,
                gettext("%(count)s agreements of this partnership have this title.")
                % {"count": len(same)},
            )
            return None
        if not same:
            plan.supersedes_title = title
            return None
        return same[0]

    # Data-sharing terms

    def read_terms(self, plan, cells) -> list[dict] | None:
        """Each term of the cell: its values (read by the terms' form fields), but those
        the cell says are withheld."""
        header = self.header["data_sharing_terms"]
        _, read = self.export.cells[header]
        text = cells.text(header).strip()
        if not text:
            return []
        try:
            items = read.parse(text)
        except (ValueError, RecursionError):
            items = None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            plan.error(
                header,
                gettext(
                    "Give the terms as the export writes them: a JSON list of objects, one per "
                    "term."
                ),
            )
            return None
        if len(items) > MAX_TERMS:
            plan.error(header, too_many_terms_message())
            return None
        terms = []
        for number, item in enumerate(items, start=1):
            withheld = item.pop("withheld", [])
            unknown = sorted(set(item) - set(DataSharingTerm.FIELDS))
            if unknown:
                plan.error(
                    header,
                    gettext("Term %(number)s: no such field: %(fields)s.")
                    % {"number": number, "fields": ", ".join(unknown)},
                )
                continue
            if not isinstance(withheld, list):
                plan.error(
                    header,
                    gettext("Term %(number)s: withheld is a list of the fields withheld.")
                    % {"number": number},
                )
                continue
            values = {}
            for name, value in item.items():
                if name in withheld:
                    continue
                if isinstance(value, dict | list):
                    plan.error(
                        header,
                        gettext("Term %(number)s, %(field)s: give a value, not a list.")
                        % {"number": number, "field": name},
                    )
                    continue
                try:
                    values[name] = self.term_fields[name].clean(value)
                except ValidationError as error:
                    plan.error(header, term_error(number, name, messages(error)))
            terms.append(values)
        return None if plan.action == ERROR else terms

    def check_terms(self, plan, terms: Iterable[tuple[int, dict]]) -> None:
        header = self.header["data_sharing_terms"]
        for number, values in terms:
            term = DataSharingTerm(**values)
            try:
                term.full_clean(exclude=["agreement"], validate_constraints=False)
            except ValidationError as error:
                for name, errors in error.message_dict.items():
                    plan.error(header, term_error(number, name, " ".join(errors)))

    def diff_terms(self, plan, cells, record: Agreement, ctx) -> None:
        header = self.header["data_sharing_terms"]
        incoming = self.read_terms(plan, cells)
        if incoming is None:
            return
        existing = list(ctx["terms"][record.pk])
        changes = TermChanges()
        unmatched = []
        for values in incoming:
            pair = (values.get("data_category"), values.get("direction"))
            match = next((t for t in existing if (t.data_category, t.direction) == pair), None)
            if match is None:
                unmatched.append(values)
                continue
            existing.remove(match)
            merged = {name: getattr(match, name) for name in DataSharingTerm.FIELDS}
            label = term_label(match.data_category, match.direction)
            changed = False
            for name, value in values.items():
                if self.term_fields[name].has_changed(merged[name], value):
                    plan.changes.append(
                        Change(header, shown(merged[name]), shown(value), f"{label}: {name}")
                    )
                    merged[name] = value
                    changed = True
            if changed:
                changes.change.append((match, merged))
            changes.rows.append((match, merged, False))
        for term in existing:
            changes.remove.append(term)
            changes.rows.append((term, {n: getattr(term, n) for n in DataSharingTerm.FIELDS}, True))
            label = term_label(term.data_category, term.direction)
            plan.changes.append(Change(header, label, gettext("removed"), label))
        for values in unmatched:
            merged = {**term_defaults(), **values}
            changes.add.append(merged)
            changes.rows.append((None, merged, False))
            label = term_label(merged["data_category"], merged["direction"])
            plan.changes.append(Change(header, "", gettext("added"), label))
        self.check_terms(
            plan,
            [(n, values) for n, (_, values, removed) in enumerate(changes.rows, 1) if not removed],
        )
        if changes:
            plan.terms = changes

    # Rows

    def plan_change(self, plan: RowPlan, cells: Cells, record: Agreement, ctx) -> None:
        current = ctx["exported"][record.pk]
        plan.existing_terms = ctx["terms"][record.pk]
        for header, (_, read) in self.export.cells.items():
            name = read.field
            if name == PARENT or not cells.given(header):
                continue
            if cells.raw(header) == current.get(header):
                continue
            if name == "data_sharing_terms":
                self.diff_terms(plan, cells, record, ctx)
            elif name == "independent_auditor":
                auditor = self.read_auditor(plan, cells, ctx)
                if plan.action != ERROR and auditor != record.independent_auditor:
                    old = record.independent_auditor
                    plan.values[name] = auditor
                    plan.changes.append(
                        Change(header, old.slug if old else "", auditor.slug if auditor else "")
                    )
            elif name == "supersedes":
                target = self.read_supersedes(plan, cells, plan.parent, ctx, record)
                if plan.action == ERROR:
                    continue
                if plan.supersedes_title or target != record.supersedes:
                    old = record.supersedes
                    plan.values[name] = target
                    plan.changes.append(
                        Change(header, old.title if old else "", cells.text(header).strip())
                    )
            else:
                self.diff_field(plan, cells, header, name, record)
        if plan.values and plan.action != ERROR and not plan.supersedes_title:
            self.check(plan, record, ctx)

    def check(self, plan: RowPlan, record: Agreement, ctx) -> None:
        changed = copy.copy(record)
        for name, value in plan.values.items():
            setattr(changed, name, value)
        try:
            agreement_check(changed, party_organization_ids=ctx["party_ids"][record.partnership_id])
        except ValidationError as error:
            field_errors(plan, self.export, error)

    def plan_new(self, plan: RowPlan, cells: Cells, partnership: Partnership, ctx) -> None:
        terms: list[dict] = []
        for header, (_, read) in self.export.cells.items():
            name = read.field
            if name == PARENT or not cells.given(header):
                continue
            if name == "data_sharing_terms":
                incoming = self.read_terms(plan, cells) or []
                for values in incoming:
                    merged = {**term_defaults(), **values}
                    terms.append(merged)
                self.check_terms(plan, enumerate(terms, start=1))
            elif name == "independent_auditor":
                plan.values[name] = self.read_auditor(plan, cells, ctx)
            elif name == "supersedes":
                plan.values[name] = self.read_supersedes(plan, cells, partnership, ctx)
            else:
                plan.values[name] = self.read_field(plan, cells, header, name)
        if plan.action == ERROR:
            return
        plan.new = NewAgreement(partnership=partnership, data=dict(plan.values), terms=terms)
        agreement = Agreement(partnership=partnership)
        for name, value in plan.values.items():
            setattr(agreement, name, value)
        try:
            agreement_check(agreement, party_organization_ids=ctx["party_ids"][partnership.pk])
        except ValidationError as error:
            field_errors(plan, self.export, error)

    def finish(self, plans: list[RowPlan]) -> None:
        """A row superseding a new agreement of the file: found once every row is read."""
        header = self.header["supersedes"]
        for plan in plans:
            if not plan.supersedes_title or plan.action == ERROR:
                continue
            partnership = plan.parent
            targets = [
                p
                for p in self.new_by_title[(partnership.pk, plan.supersedes_title)]
                if p is not plan and p.action != ERROR
            ]
            if len(targets) != 1:
                plan.error(
                    header,
                    gettext("No agreement of this partnership has the title “%(title)s”")
                    % {"title": plan.supersedes_title}
                    if not targets
                    else gettext("%(count)s new agreements of this partnership have this title.")
                    % {"count": len(targets)},
                )
                continue
            target = targets[0]
            if plan.new is not None:
                plan.new.supersedes_new = target.new
            else:
                plan.values["supersedes"] = target.new
