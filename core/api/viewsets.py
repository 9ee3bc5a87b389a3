"""What every endpoint of the public REST API shares: anonymous read-only access, the
licence header, pagination with strict bounds, the throttle, a fast JSON renderer,
conditional GETs of details, and streamed CSV/JSON exports.

Each app's ``api.py`` defines a ``PublicViewSet`` subclass with:
- ``base_queryset()``: starts from the model's ``.public()``;
- ``row_fields``: the columns read with ``.values()``, never a private one;
- ``present(rows, request)``: the rows as JSON-ready dicts, fetching their related rows
  in a fixed number of queries whatever the number of rows;
- ``csv_columns``: the flat CSV layout, ``(header, function of the presented dict)``;
- ``serializer_class``: a read-only serializer that describes the same shape for the
  OpenAPI schema (``tests/api/test_schemathesis.py`` checks every response against it).

Rows are presented from ``.values()`` rather than model instances and rendered with
orjson: the list stays within a small factor of a hand-written query (see
``benchmarks/api.py``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from django.db import connection
from django.db.models.expressions import RawSQL
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.csv import Echo, csv_cell
from core.licence import LicensedMixin

from .defaults import (
    ORJSONRenderer,
    PublicAnonThrottle,
    RegistryPagination,
    dumps,
)

EXPORT_CHUNK_SIZE = 2000


# Shapes shared by the serializers (for the schema) and the presenters ------------------


class RelatedSerializer(serializers.Serializer):
    """A related record, given so that a client can follow it."""

    id = serializers.IntegerField()
    url = serializers.URLField(help_text="Its address in this API.")
    name = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(required=False)


class URLs:
    """Absolute API addresses, built once per request rather than reversed per row."""

    def __init__(self, request):
        self.request = request
        self._prefixes = {}

    def detail(self, basename: str, pk) -> str:
        prefix = self._prefixes.get(basename)
        if prefix is None:
            path = reverse(f"api:{basename}-detail", kwargs={"pk": 0})
            prefix = self.request.build_absolute_uri(path)[: -len("0/")]
            self._prefixes[basename] = prefix
        return f"{prefix}{pk}/"

    def absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)

    def ref(self, basename: str, pk, name) -> dict | None:
        if pk is None:
            return None
        return {"id": pk, "url": self.detail(basename, pk), "name": name}


def among(ids: Iterable[int]):
    """For ``field__in=among(ids)``: on PostgreSQL the ids go as one array parameter. With a
    placeholder per id, compiling and binding a chunk of 2,000 ids cost more than running
    its query (``benchmarks/api.py``)."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    return ids


def group_by(rows: Iterable[dict], key: str) -> dict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def ref_name(ref: dict | None):
    return ref["name"] if ref else None


def ref_id(ref: dict | None):
    return ref["id"] if ref else None


# The viewset --------------------------------------------------------------------------

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["csv", "json"],
    description="Export every matching row, unpaginated, streamed: `csv` (one row per "
    "record, lists joined with `;`, a header row; cells beginning with = + - @ are "
    "prefixed with ') or `json` (a JSON array of the same objects as `results`).",
)


def list_schema(serializer, filterset_description: str = ""):
    return extend_schema(
        parameters=[FORMAT_PARAMETER],
        responses={
            (200, "application/json"): serializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The CSV export (`format=csv`)."
            ),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A bad parameter value: the JSON names the parameter.",
            ),
            404: OpenApiResponse(ErrorSerializer, description="A page beyond the last."),
        },
    )


def detail_schema(serializer):
    return extend_schema(
        responses={
            200: serializer,
            304: OpenApiResponse(description="Not modified (If-None-Match/If-Modified-Since)."),
            404: OpenApiResponse(ErrorSerializer, description="No public record with this id."),
        }
    )


class PublicViewSet(LicensedMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only, anonymous; every queryset starts from ``.public()``."""

    permission_classes = [AllowAny]
    authentication_classes = []  # the public API is the same for everyone
    throttle_classes = [PublicAnonThrottle]
    pagination_class = RegistryPagination
    renderer_classes = [ORJSONRenderer]
    lookup_value_regex = "[0-9]+"
    basename: str = ""
    export_name: str = ""
    row_fields: tuple[str, ...] = ()
    csv_columns: tuple[tuple[str, Callable[[dict], object]], ...] = ()

    def base_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        return self.base_queryset()

    def present(self, rows: list[dict], urls: URLs) -> list[dict]:
        raise NotImplementedError

    def last_modified(self, item: dict) -> dt.datetime | None:
        return item.get("updated_at")

    # Lists and exports

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        export = request.query_params.get("format")
        if export not in (None, ""):
            if export not in ("csv", "json"):
                raise ValidationError(
                    {"format": [f"“{export}” is not an export: use csv or json."]}
                )
            return self.export(queryset, export)
        urls = URLs(request)
        page = self.paginate_queryset(queryset.values(*self.row_fields))
        return self.get_paginated_response(self.present(list(page), urls))

    def export_chunks(self, queryset) -> Iterator[list[dict]]:
        """Presented rows, a chunk at a time, from one server-side cursor."""
        urls = URLs(self.request)
        chunk = []
        for row in queryset.values(*self.row_fields).iterator(chunk_size=EXPORT_CHUNK_SIZE):
            chunk.append(row)
            if len(chunk) == EXPORT_CHUNK_SIZE:
                yield self.present(chunk, urls)
                chunk = []
        if chunk:
            yield self.present(chunk, urls)

    def export(self, queryset, export: str):
        stamp = timezone.now().strftime("%Y%m%dT%H%MZ")
        filename = f"registry-{self.export_name}-{stamp}.{export}"
        if export == "csv":
            content, content_type = self.csv_stream(queryset), "text/csv; charset=utf-8"
        else:
            content, content_type = self.json_stream(queryset), "application/json"
        response = StreamingHttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        # finalize_response adds the licence headers; a streamed body is not re-rendered.
        return response

    def csv_stream(self, queryset) -> Iterator[bytes]:
        writer = csv.writer(Echo())
        yield writer.writerow([header for header, _ in self.csv_columns]).encode()
        getters = [get for _, get in self.csv_columns]
        for chunk in self.export_chunks(queryset):
            rows = [[csv_cell(get(item)) for get in getters] for item in chunk]
            yield "".join(map(writer.writerow, rows)).encode()

    def json_stream(self, queryset) -> Iterator[bytes]:
        yield b"["
        first = True
        for chunk in self.export_chunks(queryset):
            body = b",".join(dumps(item) for item in chunk)
            yield body if first else b"," + body
            first = False
        yield b"]"

    # Details

    def retrieve(self, request, *args, **kwargs):
        try:
            pk = int(kwargs["pk"])
        except ValueError:
            pk = None
        rows = list(self.get_queryset().filter(pk=pk).values(*self.row_fields)) if pk else []
        if not rows:
            raise NotFound("No public record with this id.")
        item = self.present(rows, URLs(request))[0]
        body = dumps(item)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        modified = self.last_modified(item)
        # HTTP dates have whole seconds; the ETag tells changes within one second apart.
        last_modified = int(modified.timestamp()) if modified else None
        not_modified = get_conditional_response(
            request._request, etag=etag, last_modified=last_modified
        )
        if not_modified is not None:
            response = Response(status=not_modified.status_code)
        else:
            response = Response(item)
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        return response
