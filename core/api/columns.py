"""Column specifications: the shape of a public record, declared once.

A ``Shape`` lists the columns of one kind of public object, in the order of its JSON keys:
an endpoint's record, or an object nested in one (a data-sharing term, a source, a
reference to an organization). Everything the public API says about the record comes
from it:

- the fields read with ``.values()`` (``Shape.reads()``), so that a field no column names
  is never fetched;
- the JSON objects (``Shape.present()``): the ``results`` of lists, details and
  ``format=json`` exports;
- the flat CSV layout (``Shape.csv_columns``), for ``format=csv``;
- the OpenAPI schema (``Shape.serializer``): a ``serializers.Serializer`` subclass named
  after the shape, whose fields are the columns' schema fields;
- what an import of the CSV reads back (``Shape.read_back``, the ``imports`` app): the
  cells that hold a field of the record, by the field's name.

A column names its JSON key, its schema field, what it reads from a ``.values()`` row and
how that becomes its value, and its CSV cells: by default one, headed by its key, holding
its value; ``csv=()`` leaves it out, and ``csv=((header, function of the value), ...)``
flattens it. ``csv_last`` puts its cells after the others': a spreadsheet row keeps the
short facts together and ends with long text, links and the timestamp. A cell declared with
a third element, a ``ReadBack``, is read back by an import: related records by their
natural key (a slug, never an id of this registry), or a list of nested objects; a plain
field's own cell (its value as it is, headed by its key) is read back without one.

Rows are presented in batches (a page, or a chunk of an export): the related rows of a
whole batch are fetched in one query per ``Many`` column, whatever its number of rows.

A column of a choice (its schema a ``ChoiceField``) is followed by a ``Label`` column,
``<key>_label``: the value in words, in the language of the request.

Values withheld from the public: a shape with a ``Withheld`` column lists them (``withheld``,
fetched for the whole batch in one query) and never shows them: their columns are null in
the JSON and nullable in the schema, and hold ``[withheld: <reason>]`` in the CSV, where a
``withheld_fields`` column names them, those of nested objects included.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from itertools import repeat
from operator import itemgetter
from urllib.parse import urlencode

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.expressions import RawSQL
from django.urls import reverse
from rest_framework import serializers

from core.csv import QUOTED_PREFIXES, csv_cell

CsvCells = Sequence[tuple[str, Callable | None] | tuple[str, Callable | None, "ReadBack"]]


class URLs:
    """Absolute addresses for one request, each route reversed once rather than per row.
    Without a request (a background job presenting rows), the paths alone."""

    # Stand-ins for the route arguments, cut out of the reversed address; digits, so that
    # every path converter accepts them.
    PLACEHOLDERS = ("8264019375", "8264019376", "8264019377")

    def __init__(self, request):
        self.request = request
        self._routes = {}

    def absolute(self, path: str) -> str:
        if self.request is None:
            return path
        return self.request.build_absolute_uri(path)

    def route(self, name: str, arguments: Sequence[str]) -> tuple[list[str], list[str]]:
        """The absolute address of the route ``name``, as the literal text around its
        arguments, and the arguments in the order they appear in it."""
        key = (name, tuple(arguments))
        if key not in self._routes:
            if len(arguments) > len(self.PLACEHOLDERS):
                raise ImproperlyConfigured(f"{name}: too many arguments for an address")
            stand_ins = dict(zip(self.PLACEHOLDERS, arguments, strict=False))
            url = self.absolute(
                reverse(name, kwargs={argument: p for p, argument in stand_ins.items()})
            )
            parts = re.split(f"({'|'.join(stand_ins)})", url)
            self._routes[key] = (parts[0::2], [stand_ins[p] for p in parts[1::2]])
        return self._routes[key]


def values(queryset: models.QuerySet, fields: Iterable[str], **iterator) -> Iterable[dict]:
    """The rows of ``queryset.values(*fields)``, each field once, made from
    ``values_list()`` tuples: Django builds each ``.values()`` dict key by key, which cost
    an export more than building them here. With ``iterator`` (``chunk_size``), from a
    server-side cursor."""
    names = tuple(dict.fromkeys(fields))
    rows = queryset.values_list(*names)
    if iterator:
        rows = rows.iterator(**iterator)
    return map(dict, map(zip, repeat(names), rows))


def among(ids: Iterable[int]):
    """For ``field__in=among(ids)``: the ids go as one array parameter. With a placeholder
    per id, compiling and binding a chunk of 2,000 ids cost more than running its query
    (``benchmarks/api.py``)."""
    # As the text of an array literal: binding a list of Python ints cost more than this.
    return RawSQL("SELECT unnest(%s::bigint[])", ("{" + ",".join(map(str, ids)) + "}",))


class Batch:
    """What presenting a batch of rows needs: the request's addresses, the rows' ids (for
    their related rows), the prefix of a nested object's fields in the row, and the
    endpoint that an ``ApiUrl`` of the object points to. ``csv``: the objects are presented
    for CSV cells only, which never show a ``Label`` (nested objects are presented without
    theirs)."""

    def __init__(
        self,
        urls: URLs,
        basename: str,
        rows: Sequence[dict] = (),
        prefix: str = "",
        *,
        csv: bool = False,
    ):
        self.urls = urls
        self.basename = basename
        self.rows = rows
        self.prefix = prefix
        self.csv = csv

    @cached_property
    def ids(self) -> list[int]:
        return [row[f"{self.prefix}id"] for row in self.rows]

    def nested(self, prefix: str, basename: str) -> Batch:
        return Batch(self.urls, basename, self.rows, prefix, csv=self.csv)


# Columns ------------------------------------------------------------------------------


class ReadBack:
    """How an import reads an exported CSV cell back: the record's field ``field`` it holds;
    with ``key``, the related records it names by that natural key (a slug, a title); if
    ``many``, a list of items (``;``-separated); ``parse``, a function of the text of the
    cell (or of each item) for a value of its own form (a JSON list of nested objects, a
    ``slug:role`` pair)."""

    def __init__(
        self,
        field: str,
        *,
        key: str | None = None,
        many: bool = False,
        parse: Callable[[str], object] | None = None,
    ):
        self.field = field
        self.key = key
        self.many = many
        self.parse = parse

    def __repr__(self):
        return f"ReadBack({self.field!r}, key={self.key!r}, many={self.many})"


class Column:
    """A field of the row (``source``, by default the key), through ``convert`` if given."""

    cells_by_default = True

    def __init__(
        self,
        key: str,
        schema: serializers.Field,
        *,
        source: str | None = None,
        convert: Callable | None = None,
        csv: CsvCells | None = None,
        csv_last: bool = False,
    ):
        self.key = key
        self.schema = schema
        self.source = key if source is None else source
        self.convert = convert
        if csv is None:
            csv = ((key, None),) if self.cells_by_default else ()
        self.csv = tuple(csv)
        self.csv_last = csv_last

    def read_back(self) -> dict[str, ReadBack]:
        """The cells an import reads back, by header: those declared with a ``ReadBack``;
        for a plain field (its value as it is, in one cell headed by its key), that cell."""
        declared = {cell[0]: cell[2] for cell in self.csv if len(cell) > 2}
        if type(self) is Column and self.convert is None and self.csv == ((self.key, None),):
            declared.setdefault(self.key, ReadBack(self.source))
        return declared

    def reads(self, prefix: str) -> tuple[str, ...]:
        return (prefix + self.source,)

    def bind(self, batch: Batch) -> Callable[[dict], object]:
        """The function of a row that gives this column's value, for this batch."""
        get = itemgetter(batch.prefix + self.source)
        convert = self.convert
        if convert is None:
            return get
        return lambda row: convert(get(row))


class Computed(Column):
    """A function of several fields of the row, e.g. a rule applied to a related row."""

    def __init__(self, key, schema, *, reads: Sequence[str], value: Callable[[dict], object], **kw):
        super().__init__(key, schema, **kw)
        self.fields = tuple(reads)
        self.value = value

    def reads(self, prefix):
        if prefix:
            raise ImproperlyConfigured(f"{self.key}: a computed column reads its own row")
        return self.fields

    def bind(self, batch):
        return self.value


class Link(Column):
    """An absolute address: the route ``route`` with its arguments taken from the row
    (``args`` maps each argument to a field)."""

    def __init__(self, key, schema, *, route: str, args: Mapping[str, str], **kw):
        super().__init__(key, schema, **kw)
        self.route = route
        self.args = dict(args)

    def reads(self, prefix):
        return tuple(prefix + field for field in self.args.values())

    def route_name(self, batch: Batch) -> str:
        return self.route

    def bind(self, batch):
        texts, arguments = batch.urls.route(self.route_name(batch), tuple(self.args))
        fields = [batch.prefix + self.args[argument] for argument in arguments]
        if len(fields) == 1:
            (head, tail), (field,) = texts, fields
            return lambda row: f"{head}{row[field]}{tail}"
        pairs, tail = tuple(zip(texts, fields, strict=False)), texts[-1]
        return lambda row: "".join([f"{text}{row[field]}" for text, field in pairs]) + tail


class Label(Column):
    """The label of a choice column (``of``, its key) in the language of the request (the
    language cookie, else Accept-Language): ``kind`` keeps its machine value, ``kind_label``
    says it in words. Null when the value is empty; JSON only (the CSV keeps the values)."""

    def __init__(self, of: str, choices, *, source: str | None = None):
        self.choices = tuple(choices)
        schema = serializers.CharField(
            allow_null=True,
            help_text=f"`{of}` in words, in the language asked for (Accept-Language: en, es "
            "or fr); null when it has no value.",
        )
        super().__init__(f"{of}_label", schema, source=of if source is None else source, csv=())

    def bind(self, batch):
        # Translated once per batch, in the language active for the request.
        labels = {value: str(label) for value, label in self.choices}
        get = itemgetter(batch.prefix + self.source)
        return lambda row: labels.get(get(row))


class ApiUrl(Link):
    """The object's address in this API: the detail of the batch's endpoint."""

    def __init__(self, key: str = "url", *, help_text: str | None = None, **kw):
        schema = serializers.URLField(help_text=help_text)
        super().__init__(key, schema, route="", args={"pk": "id"}, **kw)

    def route_name(self, batch):
        if not batch.basename:
            raise ImproperlyConfigured(f"{self.key}: no endpoint to point to")
        return f"api:{batch.basename}-detail"


class ListUrl(Column):
    """An endpoint's list, filtered by ``param`` equal to the row's ``source``."""

    def __init__(self, key, schema, *, basename: str, param: str, source: str, **kw):
        super().__init__(key, schema, source=source, **kw)
        self.basename = basename
        self.param = param

    def bind(self, batch):
        base = batch.urls.absolute(reverse(f"api:{self.basename}-list"))
        field, param = batch.prefix + self.source, self.param
        return lambda row: f"{base}?{urlencode({param: row[field]})}"


class One(Column):
    """A related record (``via`` a foreign key, read in the same row) as an object of its own
    shape; null when there is none or when one of ``when``'s fields (of the related record)
    has another value."""

    cells_by_default = False

    def __init__(
        self,
        key,
        shape: Shape,
        *,
        via: str,
        basename: str = "",
        when: Mapping[str, object] | None = None,
        nullable: bool = False,
        help_text: str | None = None,
        **kw,
    ):
        super().__init__(key, shape.serializer(allow_null=nullable, help_text=help_text), **kw)
        self.shape = shape
        self.via = via
        self.basename = basename
        self.when = dict(when or {})

    def reads(self, prefix):
        inner = f"{prefix}{self.via}__"
        return (
            f"{inner}id",
            *self.shape.reads(inner),
            *(inner + field for field in self.when),
        )

    def bind(self, batch):
        inner = batch.nested(f"{batch.prefix}{self.via}__", self.basename)
        present = self.shape.presenter(inner)
        pk = f"{inner.prefix}id"
        if not self.when:
            return lambda row: None if row[pk] is None else present(row)
        condition = itemgetter(*(inner.prefix + field for field in self.when))
        expected = tuple(self.when.values())
        if len(expected) == 1:
            (expected,) = expected
        return lambda row: (
            present(row) if row[pk] is not None and condition(row) == expected else None
        )


class _Related(Column):
    """Rows of another table that belong to the row (``owner`` is their field holding the
    row's id): fetched for the whole batch in one query, ``rows(ids)``."""

    cells_by_default = False

    def __init__(self, key, schema, *, rows: Callable, owner: str, **kw):
        super().__init__(key, schema, **kw)
        self.rows = rows
        self.owner = owner

    def reads(self, prefix):
        return (f"{prefix}id",)

    def fetch(self, batch: Batch, fields: Iterable[str]):
        return values(self.rows(batch.ids), (self.owner, *fields))

    def lookup(self, batch: Batch, groups: dict) -> Callable[[dict], list]:
        pk = f"{batch.prefix}id"
        return lambda row: groups.get(row[pk], [])


class Many(_Related):
    """Related rows, each an object of ``shape`` (its fields ``via`` a foreign key of the
    related row, if given), in the query's order or sorted by ``order``."""

    def __init__(
        self,
        key,
        shape: Shape,
        *,
        via: str = "",
        basename: str = "",
        order: Callable[[dict], object] | None = None,
        help_text: str | None = None,
        **kw,
    ):
        super().__init__(key, shape.serializer(many=True, help_text=help_text), **kw)
        self.shape = shape
        self.prefix = f"{via}__" if via else ""
        self.basename = basename
        self.order = order

    def bind(self, batch):
        rows = list(self.fetch(batch, self.shape.reads(self.prefix)))
        # The related rows are a batch of their own: a column of their shape that fetches
        # rows of its own (their withheld values) does it once for all of them.
        inner = Batch(batch.urls, self.basename, rows, prefix=self.prefix, csv=batch.csv)
        present = self.shape.presenter(inner)
        groups = defaultdict(list)
        owner = self.owner
        for row in rows:
            groups[row[owner]].append(present(row))
        if self.order is not None:
            for group in groups.values():
                group.sort(key=self.order)
        return self.lookup(batch, groups)


class ManyValues(_Related):
    """One field of each related row, as a list of plain values."""

    cells_by_default = True

    def __init__(self, key, schema, *, field: str, **kw):
        super().__init__(key, schema, **kw)
        self.field = field

    def bind(self, batch):
        groups = defaultdict(list)
        owner, field = self.owner, self.field
        for row in self.fetch(batch, (field,)):
            groups[row[owner]].append(row[field])
        return self.lookup(batch, groups)


class Withheld(_Related):
    """What of the object the public is not shown, and why: a list of entries, one per
    withheld field (``entry(withholding)``, e.g. ``{field, reason_code, reason_label,
    rationale, available_on}``), fetched for the whole batch in one query (``rows(ids)``,
    objects with the record's id in ``owner`` and the field's name in ``.field``).

    A shape with a ``Withheld`` column never shows a withheld value: the columns showing a
    withheld field are null in the JSON (their schema says so) and hold the marker
    ``[withheld: <reason label>]`` in the CSV. A field is shown by the columns whose key,
    source or ``via`` is its name, or by the keys ``covers`` gives it (a document's
    ``file`` is shown by its download ``url``); ``fields`` lists the fields that may be
    withheld, and each must be shown by some column of the shape.

    Its CSV cell (``csv_header``) lists the withheld fields of the object and of the
    objects nested in it, each of those named by its own ``Withheld`` column's ``label``
    (a function of the presented object and its position in its list, from 1; by default
    the key of the list and the position): ``public_summary;purpose (term 2)``.
    """

    MARKER = "[withheld: {reason_label}]"

    def __init__(
        self,
        key: str,
        schema: serializers.Field,
        *,
        rows: Callable,
        fields: Sequence[str],
        owner: str = "object_id",
        entry: Callable[[object], dict] = lambda withholding: withholding.as_public(),
        covers: Mapping[str, Sequence[str]] | None = None,
        label: Callable[[dict, int], str] | None = None,
        csv_header: str = "withheld_fields",
        **kw,
    ):
        kw.setdefault("csv", ((csv_header, None),))
        super().__init__(key, schema, rows=rows, owner=owner, **kw)
        self.fields = tuple(fields)
        self.entry = entry
        self.covers = {field: tuple(keys) for field, keys in (covers or {}).items()}
        self.label = label

    def shown_by(self, columns: Sequence[Column]) -> dict[str, tuple[str, ...]]:
        """``{field: the keys of the columns that show it}``, for every withholdable field."""
        shown = {}
        for field in self.fields:
            keys = self.covers.get(field) or tuple(
                column.key
                for column in columns
                if field in (column.key, column.source, getattr(column, "via", None))
                and column is not self
            )
            unknown = set(keys) - {column.key for column in columns}
            if not keys or unknown:
                raise ImproperlyConfigured(
                    f"{self.key}: no column shows the withholdable field {field!r}"
                    + (f" (no such key: {sorted(unknown)})" if unknown else "")
                )
            shown[field] = keys
        return shown

    def fetch(self, batch, fields=()):
        return self.rows(batch.ids)

    def bind(self, batch):
        groups = defaultdict(list)
        owner, entry = self.owner, self.entry
        for withholding in self.fetch(batch):
            groups[getattr(withholding, owner)].append(entry(withholding))
        # In the order the fields are declared (the order of the object's keys).
        order = {field: position for position, field in enumerate(self.fields)}
        for group in groups.values():
            group.sort(key=lambda item: order.get(item["field"], len(order)))
        return self.lookup(batch, groups)

    @classmethod
    def marker(cls, entry: dict) -> str:
        return cls.MARKER.format(reason_label=entry["reason_label"])


# Shapes -------------------------------------------------------------------------------


class Shape:
    """The columns of one kind of public object, in the order of its JSON keys. ``name``
    names its schema component (the serializer ``<name>Serializer``). At most one column
    is a ``Withheld``: the object's withheld values are then never shown (see it)."""

    def __init__(
        self, name: str, *columns: Column, description: str | None = None, labels: bool = True
    ):
        # ``labels=False``: a shape that carries its own words for its choices.
        columns = _with_labels(columns) if labels else columns
        keys = [column.key for column in columns]
        if len(set(keys)) != len(keys):
            raise ImproperlyConfigured(f"{name}: a key is declared twice in {keys}")
        withheld = [column for column in columns if isinstance(column, Withheld)]
        if len(withheld) > 1:
            raise ImproperlyConfigured(f"{name}: more than one Withheld column")
        self.name = name
        self.columns = columns
        self.description = description
        self.withheld = withheld[0] if withheld else None
        # {withholdable field: the keys of the columns showing it}
        self.shown_by = self.withheld.shown_by(columns) if self.withheld else {}

    @property
    def keys(self) -> list[str]:
        return [column.key for column in self.columns]

    @cached_property
    def withholdable_keys(self) -> frozenset[str]:
        """The keys of the columns that are null while their field is withheld."""
        return frozenset(key for keys in self.shown_by.values() for key in keys)

    def reads(self, prefix: str = "") -> tuple[str, ...]:
        """The fields to read with ``.values()``, each once."""
        return tuple(dict.fromkeys(f for column in self.columns for f in column.reads(prefix)))

    def presenter(self, batch: Batch) -> Callable[[dict], dict]:
        columns = self.columns
        if batch.csv:  # a label is JSON only
            columns = [column for column in columns if not isinstance(column, Label)]
        getters = [(column.key, column.bind(batch)) for column in columns]
        if self.withheld is None:
            return lambda row: {key: get(row) for key, get in getters}
        entries = dict(getters)[self.withheld.key]
        shown_by = self.shown_by

        def present(row):
            item = {key: get(row) for key, get in getters}
            for entry in entries(row):
                for key in shown_by.get(entry["field"], ()):
                    item[key] = None
            return item

        return present

    def present(self, rows: Sequence[dict], urls: URLs, basename: str) -> list[dict]:
        """``.values()`` rows (of ``reads()``) as JSON-ready dicts."""
        return list(map(self.presenter(Batch(urls, basename, rows)), rows))

    @cached_property
    def csv_columns(self) -> tuple[tuple[str, Callable[[dict], object]], ...]:
        """``(header, function of the presented object)``, in the CSV's order."""
        return tuple(
            (header, self._csv_cell(column, cell)) for column, header, cell in self._csv_cells
        )

    @cached_property
    def _csv_cells(self) -> tuple[tuple[Column, str, Callable | None], ...]:
        """``(column, header, function of its value or None)`` of each cell, in order."""
        columns = [c for c in self.columns if not c.csv_last]
        columns += [c for c in self.columns if c.csv_last]
        return tuple(
            (column, header, cell) for column in columns for header, cell, *_ in column.csv
        )

    def csv_writer(self, batch: Batch) -> Callable[[dict], Sequence[str]]:
        """The function of a ``.values()`` row of the batch that gives its CSV row: the
        cells of ``csv_columns`` of the presented object, through ``csv_cell``. Only the
        columns the cells read are bound (no label, no related rows without cells), and a
        plain field's cell is read from the row, not from an object built first.

        ``csv_columns`` holds the rules; this is the same row, sooner: a row with a
        withheld value of its own is presented and written by ``csv_columns`` as it is
        (its markers), and one without has no marker to write, so that each cell is its
        column's value (nested objects' withheld values are in their presented objects)."""
        batch = Batch(batch.urls, batch.basename, batch.rows, batch.prefix, csv=True)
        withheld_key = self.withheld.key if self.withheld else None
        read = {column.key for column, _, _ in self._csv_cells}
        read |= {key for key, _, _ in self._nested_withheld}
        plain = [
            column
            for column in self.columns
            if type(column) is Column
            and column.convert is None
            and column.csv == ((column.key, None),)
        ]
        plain_keys = [column.key for column in plain]
        getters = [
            (column.key, column.bind(batch))
            for column in self.columns
            if (column.key in read or column.key == withheld_key) and column not in plain
        ]
        values_of = _getter(*(batch.prefix + column.source for column in plain))
        # The cells that are not a plain field's: functions of the presented object.
        columns = dict(self.csv_columns)
        presented = [
            columns[header] for column, header, _ in self._csv_cells if column not in plain
        ]
        # Where each cell is in the plain cells followed by the others.
        position = {key: index for index, key in enumerate(plain_keys)}
        others = iter(range(len(plain), len(plain) + len(presented)))
        order = _getter(
            *(
                position[column.key] if column in plain else next(others)
                for column, _, _ in self._csv_cells
            )
        )
        all_cells = [get for _, get in self.csv_columns]

        def write(row):
            values = values_of(row)
            item = {key: get(row) for key, get in getters}
            if withheld_key is not None and item[withheld_key]:
                item.update(zip(plain_keys, values, strict=True))
                return [csv_cell(get(item)) for get in all_cells]
            # csv_cell, its commonest cases written out: a call per cell cost the most.
            cells = [
                (value if not value.startswith(QUOTED_PREFIXES) else csv_cell(value))
                if value.__class__ is str
                else ""
                if value is None
                else str(value)
                if value.__class__ is int
                else value.isoformat()
                if value.__class__ is dt.date
                else csv_cell(value)
                for value in (*values, *[get(item) for get in presented])
            ]
            return order(cells)

        return write

    @cached_property
    def read_back(self) -> dict[str, tuple[Column, ReadBack]]:
        """``{header: (its column, how an import reads it)}``: the cells an import reads
        back (``Column.read_back``), in the CSV's order."""
        found = {}
        for column in self.columns:
            for header, read in column.read_back().items():
                found[header] = (column, read)
        order = [header for header, _ in self.csv_columns]
        return {header: found[header] for header in order if header in found}

    @property
    def withheld_header(self) -> str | None:
        """The header of the cell that names the withheld fields, if the shape has one."""
        return self.withheld.csv[0][0] if self.withheld is not None and self.withheld.csv else None

    def subset(self, name: str, keys: Iterable[str]) -> Shape:
        """A shape of some of the columns (``keys``), in their order here, with the columns
        its withheld fields need: to present records with fewer reads (an import compares
        only the cells it reads back)."""
        wanted = set(keys) | self.withholdable_keys
        if self.withheld is not None:
            wanted.add(self.withheld.key)
        return Shape(name, *(column for column in self.columns if column.key in wanted))

    def _csv_cell(self, column: Column, cell: Callable | None) -> Callable[[dict], object]:
        if column is self.withheld and cell is None:
            return self.withheld_fields
        get = itemgetter(column.key) if cell is None else _cell(column.key, cell)
        if column.key not in self.withholdable_keys:
            return get
        fields = {field for field, keys in self.shown_by.items() if column.key in keys}
        withheld_key = self.withheld.key

        def masked(item):
            for entry in item[withheld_key]:
                if entry["field"] in fields:
                    return Withheld.marker(entry)
            return get(item)

        return masked

    @cached_property
    def _nested_withheld(self) -> tuple[tuple[str, Withheld, bool], ...]:
        """The columns whose objects may have withheld values: (key, their Withheld column,
        whether the value is a list)."""
        return tuple(
            (column.key, column.shape.withheld, isinstance(column, Many))
            for column in self.columns
            if getattr(column, "shape", None) is not None and column.shape.withheld is not None
        )

    def withheld_fields(self, item: dict) -> list[str]:
        """The withheld fields of a presented object and of the objects nested in it, for a
        CSV cell: ``["public_summary", "purpose (term 2)"]``."""
        names = [entry["field"] for entry in item[self.withheld.key]] if self.withheld else []
        for key, withheld, many in self._nested_withheld:
            nested = item[key] if many else [item[key]]
            for position, inner in enumerate(nested, 1):
                if inner is None:
                    continue
                if withheld.label is None:
                    label = f"{key} {position}" if many else key
                else:
                    label = withheld.label(inner, position)
                names += [f"{entry['field']} ({label})" for entry in inner[withheld.key]]
        return names

    @cached_property
    def serializer(self) -> type[serializers.Serializer]:
        """A read-only serializer of the same shape, for the OpenAPI schema."""
        # Copied in the columns' order: a serializer orders its fields by creation.
        fields = {
            column.key: _nullable_while_withheld(column.schema, self.withheld.key)
            if column.key in self.withholdable_keys
            else copy.deepcopy(column.schema)
            for column in self.columns
        }
        attributes = {"__doc__": self.description, "__module__": __name__, **fields}
        return type(f"{self.name}Serializer", (serializers.Serializer,), attributes)


def _with_labels(columns: Sequence[Column]) -> tuple[Column, ...]:
    """The columns, each column of a choice (its schema a ``ChoiceField``) followed by its
    ``Label``, unless the shape declares that key itself."""
    declared = {column.key for column in columns}
    labelled = []
    for column in columns:
        labelled.append(column)
        schema = column.schema
        if (
            type(column) is Column
            and isinstance(schema, serializers.ChoiceField)
            and f"{column.key}_label" not in declared
        ):
            labelled.append(Label(column.key, schema.choices.items(), source=column.source))
    return tuple(labelled)


def _nullable_while_withheld(field: serializers.Field, withheld_key: str) -> serializers.Field:
    """The schema field, nullable, saying why. Made anew from its arguments: a serializer
    copies its fields from them, not from their attributes."""
    kwargs = dict(field._kwargs)
    note = f"Null while it is withheld from the public (see `{withheld_key}`)."
    help_text = kwargs.get("help_text")
    kwargs.update(allow_null=True, help_text=f"{help_text} {note}" if help_text else note)
    return type(field)(*field._args, **kwargs)


def _getter(*keys) -> Callable[[object], tuple]:
    """``itemgetter`` that gives a tuple whatever the number of keys."""
    if len(keys) == 1:
        (key,) = keys
        return lambda row: (row[key],)
    return itemgetter(*keys) if keys else lambda row: ()


def _cell(key: str, cell: Callable) -> Callable[[dict], object]:
    return lambda item: cell(item[key])


# CSV cells of nested values -----------------------------------------------------------


def each(key: str) -> Callable[[list[dict]], list]:
    """The ``key`` of each object of a list, for one CSV cell."""
    return lambda items: [item[key] for item in items]


def ref_id(ref: dict | None):
    return ref["id"] if ref else None


def ref_name(ref: dict | None):
    return ref["name"] if ref else None


def ref_slug(ref: dict | None):
    return ref["slug"] if ref else None


def is_true(value) -> bool:
    return value is True


def is_none(value) -> bool:
    return value is None


# Columns from a model's own list of fields --------------------------------------------


def model_columns(
    model: type[models.Model],
    names: Sequence[str],
    *,
    exclude: Sequence[str] = (),
    **options: dict,
) -> list[Column]:
    """A column per field of ``names`` (a model's declaration, e.g. its public fields), but
    ``exclude``, with the schema field drawn from the model field. ``options`` gives a
    field's column arguments by its name, with ``help_text`` for the schema, or ``schema``
    in place of the drawn one."""
    unknown = set(options) - set(names)
    if unknown:
        raise ImproperlyConfigured(f"{model.__name__}: options for other fields: {unknown}")
    columns = []
    for name in names:
        if name in exclude:
            continue
        kwargs = dict(options.get(name, {}))
        help_text = kwargs.pop("help_text", None)
        schema = kwargs.pop("schema", None)
        if schema is None:
            schema = schema_field(model._meta.get_field(name), help_text)
        columns.append(Column(name, schema, **kwargs))
    return columns


def schema_field(field: models.Field, help_text: str | None = None) -> serializers.Field:
    """The schema of a model field's value as ``.values()`` reads it."""
    extra = {"help_text": help_text} if help_text else {}
    null = {"allow_null": True} if field.null else {}
    blank = {"allow_blank": True} if field.blank else {}
    if field.choices:
        return serializers.ChoiceField(choices=field.choices, **blank, **null, **extra)
    if isinstance(field, models.BooleanField):
        return serializers.BooleanField(**null, **extra)
    if isinstance(field, models.DateTimeField):
        return serializers.DateTimeField(**null, **extra)
    if isinstance(field, models.DateField):
        return serializers.DateField(**null, **extra)
    if isinstance(field, models.IntegerField):
        return serializers.IntegerField(**null, **extra)
    if isinstance(field, models.SlugField):
        return serializers.SlugField(**blank, **null, **extra)
    if isinstance(field, models.CharField | models.TextField):
        return serializers.CharField(**blank, **null, **extra)
    raise ImproperlyConfigured(f"{field}: give its column a schema field")
