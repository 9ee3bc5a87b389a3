"""Pages of a long list that cost the same at any depth, and counts that stay cheap.

Keyset (cursor) pagination: a page after (or before) another is the rows whose ordering
values come after (before) the last (first) row of that page, read through the index of
the ordering, never skipping the rows before it as an ``OFFSET`` does. The ordering is
the queryset's own, whatever it is (a column, a withheld-aware ``CASE``, a search rank,
nulls first or last), with the primary key appended as the unique tie-breaker, so that
rows sharing an ordering value are neither skipped nor repeated. A cursor carries the
values of the row it starts from, signed (a tampered cursor is refused, not run) and
tied to its ordering (a cursor of another ordering is refused).

Page numbers stay for shallow pages (``MAX_PAGE_OFFSET`` rows deep at most): a page
number is an ``OFFSET``, whose cost grows with the depth.

Counts: exact up to ``EXACT_COUNT_UP_TO`` rows (counted with a ``LIMIT``, so never more
than that is read); beyond, PostgreSQL's planner's estimate, rounded and marked as one.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.core import signing
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, FloatField, OrderBy, Q, QuerySet
from django.db.models.expressions import Col
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import Cast

# Counted exactly up to this many rows; the planner's estimate above.
EXACT_COUNT_UP_TO = 10_000
# Page numbers reach this many rows deep at most; deeper pages are read by cursor.
MAX_PAGE_OFFSET = 10_000
KEY = "keyset_{}"
SALT = "core.keyset"


class BadCursor(ValueError):
    """A cursor that was not issued for this list (tampered, truncated, or of another
    ordering)."""


class PageTooDeep(ValueError):
    """A page number beyond ``MAX_PAGE_OFFSET`` rows."""

    def __init__(self, last_page: int):
        self.last_page = last_page
        super().__init__(last_page)


@dataclass(frozen=True)
class Count:
    value: int
    is_estimate: bool
    # The ids of the rows counted, when asked for and counted exactly (``cheap_count``).
    ids: tuple[int, ...] | None = None


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None
    # The page number, when the page was asked for by number (else None).
    number: int | None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


# Counting ---------------------------------------------------------------------------


def planner_estimate(queryset: QuerySet) -> int:
    """The planner's estimate of the rows of ``queryset`` (EXPLAIN, nothing is read)."""
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # .none(), or a filter that can match nothing
        return 0
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def round_estimate(value: int) -> int:
    """Two significant digits: an estimate says no more than that."""
    if value < 100:
        return value
    scale = 10 ** (len(str(value)) - 2)
    return round(value / scale) * scale


def cheap_count(
    queryset: QuerySet, exact_up_to: int | None = None, *, with_ids: bool = False
) -> Count:
    """The number of rows: exact when the planner expects at most ``exact_up_to`` (counted
    over at most that many rows plus one); else the estimate, rounded. Two queries at most,
    whatever the size of the list. ``with_ids``: the rows' ids with an exact count, read
    rather than counted (for more work on the same rows without selecting them again)."""
    limit = EXACT_COUNT_UP_TO if exact_up_to is None else exact_up_to
    estimate = planner_estimate(queryset)
    if estimate <= limit:
        rows = queryset.order_by().values("pk")[: limit + 1]
        if with_ids:
            ids = tuple(row["pk"] for row in rows)
            counted = len(ids)
        else:
            ids, counted = None, rows.count()
        if counted <= limit:
            return Count(counted, False, ids)
        estimate = max(estimate, counted)
    return Count(round_estimate(max(estimate, limit + 1)), True)


# The ordering as keys -----------------------------------------------------------------


def _order_terms(queryset: QuerySet) -> list[OrderBy]:
    query = queryset.query
    names = query.order_by or (() if not query.default_ordering else query.get_meta().ordering)
    terms = []
    for term in names:
        if isinstance(term, str):
            if term == "?":
                raise ValueError("a random ordering has no keys")
            descending = term.startswith("-")
            name = term.lstrip("-")
            terms.append(OrderBy(F(name), descending=descending))
        elif isinstance(term, OrderBy):
            terms.append(term)
        else:
            terms.append(OrderBy(term))
    if not any(_is_pk(term.expression, queryset) for term in terms):
        terms.append(OrderBy(F("pk")))
    return terms


def _is_pk(expression, queryset) -> bool:
    return isinstance(expression, F) and expression.name in ("pk", queryset.model._meta.pk.name)


def _nulls_last(term: OrderBy) -> bool:
    """Where PostgreSQL puts the nulls of ``term``: last for ASC, first for DESC, unless
    said otherwise."""
    if term.nulls_last:
        return True
    if term.nulls_first:
        return False
    return not term.descending


@dataclass(frozen=True)
class Key:
    name: str
    descending: bool
    nulls_last: bool
    not_null: bool  # a plain NOT NULL column: no null to place

    def reversed(self) -> Key:
        return Key(self.name, not self.descending, not self.nulls_last, self.not_null)

    def order(self) -> OrderBy:
        if self.nulls_last:
            return OrderBy(F(self.name), descending=self.descending, nulls_last=True)
        return OrderBy(F(self.name), descending=self.descending, nulls_first=True)


class Keyed:
    """``queryset`` with each term of its ordering annotated as a key (``keyset_0``...),
    and ordered by those keys."""

    def __init__(self, queryset: QuerySet):
        terms = _order_terms(queryset)
        annotated = queryset.annotate(
            **{KEY.format(i): term.expression for i, term in enumerate(terms)}
        )
        # A float key (a search rank: real in PostgreSQL) is read as double precision, so
        # that the value a cursor carries compares equal to the row it came from.
        casts = {}
        keys = []
        for i, term in enumerate(terms):
            name = KEY.format(i)
            resolved = annotated.query.annotations[name]
            if isinstance(resolved.output_field, FloatField):
                casts[name] = Cast(term.expression, FloatField())
            not_null = isinstance(resolved, Col) and not resolved.target.null
            keys.append(Key(name, term.descending, _nulls_last(term), not_null))
        if casts:
            annotated = queryset.annotate(
                **{
                    KEY.format(i): casts.get(KEY.format(i), term.expression)
                    for i, term in enumerate(terms)
                }
            )
        self.base = annotated
        self.keys = keys
        self.signature = hashlib.sha256(
            repr([(str(t.expression), t.descending, _nulls_last(t)) for t in terms]).encode()
        ).hexdigest()[:12]

    @property
    def names(self) -> list[str]:
        return [key.name for key in self.keys]

    def ordered(self, backwards: bool = False) -> QuerySet:
        keys = [key.reversed() for key in self.keys] if backwards else self.keys
        return self.base.order_by(*(key.order() for key in keys))

    def beyond(self, values: list, backwards: bool = False) -> Q:
        """Q: the rows strictly after ``values`` in the ordering (before them, backwards)."""
        keys = [key.reversed() for key in self.keys] if backwards else self.keys
        if len({key.descending for key in keys}) == 1 and all(
            key.not_null and value is not None for key, value in zip(keys, values, strict=True)
        ):
            # One direction, no null: a row comparison, which the index serves as a range.
            lookup = TupleLessThan if keys[0].descending else TupleGreaterThan
            return Q(lookup(Tuple(*(F(key.name) for key in keys)), tuple(values)))
        condition = Q(pk__in=[])
        equal_so_far = Q()
        for key, value in zip(keys, values, strict=True):
            condition |= equal_so_far & _strictly_beyond(key, value)
            equal_so_far &= (
                Q(**{f"{key.name}__isnull": True}) if value is None else Q(**{key.name: value})
            )
        # The first key's bound alone, which an index on it serves as a range.
        return condition & _at_or_beyond(keys[0], values[0])

    # Cursors

    def cursor(self, row: dict, backwards: bool) -> str:
        values = [_encode(row[name]) for name in self.names]
        signed = signing.Signer(salt=SALT).sign_object(
            {"s": self.signature, "b": backwards, "v": values}, compress=True
        )
        return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")

    def read_cursor(self, cursor: str) -> tuple[list, bool]:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            signed = base64.urlsafe_b64decode(padded.encode()).decode()
            data = signing.Signer(salt=SALT).unsign_object(signed)
        except (ValueError, signing.BadSignature, UnicodeDecodeError) as error:
            raise BadCursor("not a cursor of this list") from error
        if data.get("s") != self.signature or len(data.get("v", ())) != len(self.keys):
            raise BadCursor("a cursor of another ordering")
        return [_decode(value) for value in data["v"]], bool(data["b"])


def _strictly_beyond(key: Key, value) -> Q:
    nothing = Q(pk__in=[])
    if value is None:
        # After a null: more nulls only (equal) when they come last; every value otherwise.
        return nothing if key.nulls_last else Q(**{f"{key.name}__isnull": False})
    beyond = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
    return beyond | Q(**{f"{key.name}__isnull": True}) if key.nulls_last else beyond


def _at_or_beyond(key: Key, value) -> Q:
    if value is None:
        return Q(**{f"{key.name}__isnull": True}) if key.nulls_last else Q()
    bound = Q(**{f"{key.name}__{'lte' if key.descending else 'gte'}": value})
    return bound | Q(**{f"{key.name}__isnull": True}) if key.nulls_last else bound


def _encode(value):
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"x": str(value)}


def _decode(value):
    if isinstance(value, dict):
        (tag, text), *_ = value.items()
        return {
            "t": dt.datetime.fromisoformat,
            "d": dt.date.fromisoformat,
            "n": Decimal,
        }.get(tag, str)(text)
    return value


# Pages ------------------------------------------------------------------------------


def page(
    queryset: QuerySet,
    *,
    size: int,
    cursor: str | None = None,
    number: int | None = None,
    fields: tuple[str, ...] | None = None,
) -> Page:
    """A page of ``size`` rows of ``queryset``: after or before ``cursor``, or page
    ``number`` (1 by default; ``PageTooDeep`` beyond ``MAX_PAGE_OFFSET`` rows). With
    ``fields``, rows are ``.values(*fields)`` dicts (keys included); else model instances.
    Raises ``BadCursor`` for a cursor not issued for this ordering. One query, whatever
    the depth."""
    keyed = Keyed(queryset)
    backwards = False
    if cursor:
        values, backwards = keyed.read_cursor(cursor)
        rows_query = keyed.ordered(backwards).filter(keyed.beyond(values, backwards))
        offset = 0
    else:
        number = number or 1
        offset = (number - 1) * size
        if offset > MAX_PAGE_OFFSET:
            raise PageTooDeep(MAX_PAGE_OFFSET // size + 1)
        rows_query = keyed.ordered()
    read = rows_query.values(*fields, *keyed.names) if fields is not None else rows_query
    rows = list(read[offset : offset + size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(rows, None, None, number if not cursor else None)

    def key_row(row):
        return row if isinstance(row, dict) else {n: getattr(row, n) for n in keyed.names}

    # Forwards: a next page when a row was left over; a previous one unless this is the
    # first page. Backwards: the other way round.
    has_next = more if not backwards else True
    has_previous = (bool(cursor) or offset > 0) if not backwards else more
    return Page(
        rows,
        keyed.cursor(key_row(rows[-1]), backwards=False) if has_next else None,
        keyed.cursor(key_row(rows[0]), backwards=True) if has_previous else None,
        None if cursor else number,
    )
