"""Full-text search building blocks: each record is searched as one document.

A search is ``websearch_to_tsquery`` (quotes for a phrase, ``or``, ``-`` to exclude)
against ONE weighted ``tsvector`` per record, made of its own text and of the text around
it (a partnership's title and summary with its parties' names; an agreement's own fields
with its auditor's name and its partnership's document). So the syntax works across all
of it: ``"Mumbai Police" -Prerana`` finds the records whose document holds the phrase,
wherever it is, and not the word, wherever that would be. The callers leave a value kept
from the public out of the document (``unless``): it is never searched.

The documents are computed in SQL, at query time (nothing to keep in step when a party
is renamed or a value withheld). Another record's document goes into a record's as a
subquery (``embedded``), so that matching a record's document reads its own row alone
and PostgreSQL computes it only for the candidates it fetches: the records that hold at least
one of the query's positive words in some indexed text (``any_word``; PostgreSQL's
``querytree`` gives the part of a query an index can serve). Each candidate query is a
GIN expression index over one table's text: ``partnerships`` 0004 (partnerships, and
organizations' names) and ``agreements`` 0009 (agreements). The expressions there are
frozen copies of ``search_vector`` here and must stay identical, or PostgreSQL stops
using the indexes; ``tests/partnerships/test_search.py`` checks the plans with EXPLAIN.
A query without a positive word (``-prerana`` alone) has no index to narrow it: every
record is a candidate.
"""

from collections.abc import Callable, Iterable, Sequence

from django.contrib.postgres.search import (
    SearchQuery,
    SearchQueryField,
    SearchRank,
    SearchVector,
    SearchVectorCombinable,
    SearchVectorField,
)
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    Func,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

CONFIG = "english"

# (text, weight): a column's name or an expression, and its weight in the ranking (A-D).
Part = tuple[str | Expression, str]


class Embedded(SearchVectorCombinable, Func):
    """Another record's document (a ``tsvector`` subquery) inside this one's, all at one
    weight: ``setweight(document, weight)``."""

    function = "setweight"
    output_field = SearchVectorField()

    def __init__(self, vector: Expression, weight: str):
        self.config = None
        super().__init__(vector, Value(weight))


def search_vector(fields: Iterable[Part | Embedded]) -> SearchVector:
    """The weighted ``tsvector`` of ``fields``, concatenated in order: a record's document
    (``document``), and, over one table's columns, the expression of its search index."""
    vectors = [
        field
        if isinstance(field, Embedded)
        else SearchVector(field[0], weight=field[1], config=CONFIG)
        for field in fields
    ]
    combined = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector
    return combined


document = search_vector


def embedded(records: QuerySet, parts: Sequence[Part | Embedded], weight: str) -> Embedded:
    """The document (``parts``) of the one record of ``records`` (filtered on an
    ``OuterRef``: a record's partnership, say), at ``weight``, to go into a document."""
    vector = records.order_by().annotate(search_document=document(parts))
    return Embedded(Subquery(vector.values("search_document")[:1]), weight)


def unless(hidden: Expression | Q, value: str | Expression) -> Case:
    """``value``, or nothing (left out of the document) when ``hidden`` is true."""
    value = F(value) if isinstance(value, str) else value
    return Case(When(~Q(hidden), then=value))


def search_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=CONFIG)


class Matches(Func):
    """``vector @@ query``: the document matches the query."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class AnyWord(Func):
    """The ``tsquery`` matched by any text holding one of ``query``'s positive words: its
    indexable part (``querytree``: negations dropped), with every AND and phrase operator
    made an OR. Whatever matches the query across a whole document holds one of them in
    one of its parts, so the candidates found by each part's index hold every match.
    ``querytree``'s output spaces its operators, and a lexeme holds no space."""

    template = (
        "(regexp_replace(querytree(%(expressions)s)::text, ' (&|<->|<[0-9]+>) ', ' | ', 'g'))"
        "::tsquery"
    )
    output_field = SearchQueryField()


class WithoutPositiveWord(Func):
    """True when ``query`` has no positive word for an index to look for (``-prerana``):
    then every record is a candidate. A constant, folded when the query is planned."""

    template = "(querytree(%(expressions)s)::text = 'T')"
    output_field = BooleanField()


def indexed(queryset: QuerySet, fields: Iterable[Part], words: Expression) -> QuerySet:
    """The rows of ``queryset`` whose ``fields`` hold one of ``words``, through the GIN
    index over those fields (``search_vector``): the candidates of one table."""
    return queryset.filter(Matches(search_vector(fields), words))


def document_search(
    queryset: QuerySet,
    text: str,
    *,
    parts: Sequence[Part | Embedded],
    candidates: Callable[[Expression], Sequence[QuerySet]],
    tiebreak: Sequence[str],
) -> QuerySet:
    """The rows of ``queryset`` whose document (``parts``) matches ``text``, ranked by
    relevance, then by ``tiebreak``.

    ``candidates(words)`` gives querysets of ids (one column) that together hold every row
    whose document holds one of ``words`` (``AnyWord``), each served by an index; the
    document is computed for those rows only (or for every row, for a query without a
    positive word).
    """
    query = search_query(text)
    every_row = queryset.model._base_manager.filter(WithoutPositiveWord(query))
    ids = (
        every_row.order_by()
        .values("pk")
        .union(*(ids.order_by() for ids in candidates(AnyWord(query))))
    )
    vector = document(parts)
    return (
        queryset.filter(pk__in=ids)
        .filter(Matches(vector, query))
        .annotate(search_rank=SearchRank(vector, query))
        .order_by("-search_rank", *tiebreak)
    )
