"""The public API's renderer, throttle and pagination, named in ``REST_FRAMEWORK``.

Kept apart from ``config.public_api``: DRF imports these while it defines its views, so
this module must not import DRF's views itself.
"""

import orjson
from django.conf import settings
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core import keyset

MAX_PAGE_SIZE = 500


def _json_default(value):
    return str(value)  # lazy translation strings, Decimals


def dumps(data) -> bytes:
    return orjson.dumps(data, default=_json_default, option=orjson.OPT_UTC_Z)


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return dumps(data)


class PublicAnonThrottle(AnonRateThrottle):
    """Anonymous requests per client address; the rate is read from the settings on each
    request (``API_ANON_THROTTLE_RATE``, from the environment)."""

    def get_rate(self):
        return settings.API_ANON_THROTTLE_RATE


class RegistryPagination(BasePagination):
    """``page_size`` (default 50, at most 500), then either ``page`` (a number, for shallow
    pages: ``MAX_PAGE_OFFSET`` rows deep at most) or ``cursor`` (the ``next`` and
    ``previous`` links: keyset pages, ``core.keyset``, as cheap at any depth as the first).
    ``count`` is exact up to ``EXACT_COUNT_UP_TO`` rows and the planner's estimate above,
    with ``count_is_estimate``. A bad value of any of these is a 400 naming the parameter,
    not a silent cap; a page number beyond the last is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    page_query_param = "page"
    cursor_query_param = "cursor"
    max_page_size = MAX_PAGE_SIZE
    # How the next and previous links page, as the schema says.
    links_by = "by cursor"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = None
        if size is None or not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"“{raw}” is not a page size: use 1 to {self.max_page_size}."]}
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        """The rows of the page, as ``.values()`` of the view's ``row_fields``."""
        self.request = request
        size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param)
        cursor = request.query_params.get(self.cursor_query_param) or None
        if raw not in (None, "") and (not raw.isdigit() or int(raw) < 1):
            raise ValidationError({"page": [f"“{raw}” is not a page number: use 1 or more."]})
        if cursor and raw not in (None, ""):
            raise ValidationError({"cursor": ["Give either cursor or page, not both."]})
        number = int(raw) if raw not in (None, "") else None
        if not isinstance(queryset, QuerySet):
            return self.paginate_sequence(list(queryset), size, number, cursor)
        is_list = getattr(view, "action", None) == "list"
        try:
            self.page = keyset.page(
                queryset,
                size=size,
                cursor=cursor,
                number=number,
                fields=view.row_fields if is_list else None,
            )
        except keyset.BadCursor as error:
            raise ValidationError({"cursor": [BAD_CURSOR]}) from error
        except keyset.PageTooDeep as error:
            raise ValidationError(
                {
                    "page": [
                        f"Page numbers reach {error.last_page} at this page size "
                        f"({keyset.MAX_PAGE_OFFSET:,} rows deep); to read further, follow "
                        "the next links, which carry a cursor."
                    ]
                }
            ) from error
        if not self.page.rows and (number or 1) > 1:
            raise NotFound("Invalid page.")
        self.count = keyset.cheap_count(queryset)
        self.next = self.cursor_link(self.page.next_cursor)
        self.previous = self.cursor_link(self.page.previous_cursor)
        return self.page.rows

    def paginate_sequence(self, rows: list, size: int, number: int | None, cursor):
        """A list already in memory (a record's history): by page number."""
        if cursor:
            raise ValidationError({"cursor": ["This list has page numbers only."]})
        number = number or 1
        start = (number - 1) * size
        if start >= len(rows) and number > 1:
            raise NotFound("Invalid page.")
        self.count = keyset.Count(len(rows), False)
        url = self.request.build_absolute_uri()
        self.next = (
            replace_query_param(url, self.page_query_param, number + 1)
            if start + size < len(rows)
            else None
        )
        self.previous = None
        if number == 2:
            self.previous = remove_query_param(url, self.page_query_param)
        elif number > 2:
            self.previous = replace_query_param(url, self.page_query_param, number - 1)
        return rows[start : start + size]

    def cursor_link(self, cursor):
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count.value,
                "count_is_estimate": self.count.is_estimate,
                "next": self.next,
                "previous": self.previous,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_is_estimate", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": f"Exact up to {keyset.EXACT_COUNT_UP_TO:,} rows; above, "
                    "an estimate (two significant digits), as count_is_estimate says.",
                },
                "count_is_estimate": {"type": "boolean"},
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": f"The next page ({self.links_by}); null on the last.",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": f"The previous page ({self.links_by}); null on the first.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return self.schema_parameters()

    def schema_parameters(self) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number, for the first pages: up to "
                f"{keyset.MAX_PAGE_OFFSET:,} rows deep (a deeper one is a 400); beyond, "
                "follow the next links. Not with cursor.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where a page starts: the value in the next and previous "
                "links, as cheap at any depth as the first page. Holds for the ordering it "
                "was given with.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page: 1 to {self.max_page_size} (default 50); "
                "more is a 400.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": 50,
                },
            },
        ]


class NumberedPagination(RegistryPagination):
    """A list already in memory (a record's history): ``page`` and ``page_size`` only."""

    links_by = "by page number"

    def schema_parameters(self) -> list[dict]:
        return [
            parameter
            for parameter in super().schema_parameters()
            if parameter["name"] != self.cursor_query_param
        ]


BAD_CURSOR = (
    "Not a cursor of this list: use the next and previous links as given (a cursor holds "
    "for the ordering it came with)."
)
