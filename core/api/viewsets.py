"""What every endpoint of the public REST API shares: anonymous read-only access, the
licence header, pagination with strict bounds, the throttle, a fast JSON renderer,
conditional GETs of details, and streamed CSV/JSON exports.

Each endpoint is a ``PublicViewSet`` subclass (in ``public/api/``) with:
- ``base_queryset()``: starts from the model's ``.public()``, with the annotations its
  columns read;
- ``shape``: its column specification (``core.api.columns``), from which come the columns
  read with ``.values()``, the JSON objects, the CSV layout and, as ``serializer_class``,
  the OpenAPI schema (``tests/api/test_schemathesis.py`` checks every response against it).

Rows are presented from ``.values()`` rather than model instances and rendered with
orjson: the list stays within a small factor of a hand-written query (see
``benchmarks/api.py``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import (
    authentication_classes,
    permission_classes,
    renderer_classes,
    throttle_classes,
)
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.csv import Echo
from core.licence import LicensedMixin

from .columns import Batch, Shape, URLs, values
from .defaults import (
    ORJSONRenderer,
    PublicAnonThrottle,
    RegistryPagination,
    dumps,
)

EXPORT_CHUNK_SIZE = 2000
# What every list takes besides its filters: pagination and the export format.
LIST_PARAMETERS = ("page", "cursor", "page_size", "format")
UNKNOWN_PARAMETER = "Not a parameter of this endpoint; the schema (/api/schema/) lists them."


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(required=False)


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


def public_view(view):
    """A function view (``@api_view``) with the viewsets' access, throttle and renderer."""
    view = authentication_classes([])(view)
    view = permission_classes([AllowAny])(view)
    view = throttle_classes([PublicAnonThrottle])(view)
    return renderer_classes([ORJSONRenderer])(view)


class PublicViewSet(LicensedMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only, anonymous; every queryset starts from ``.public()``; lists, details and
    exports show the subclass's ``shape``, which is also its schema."""

    permission_classes = [AllowAny]
    authentication_classes = []  # the public API is the same for everyone
    throttle_classes = [PublicAnonThrottle]
    pagination_class = RegistryPagination
    renderer_classes = [ORJSONRenderer]
    lookup_value_regex = "[0-9]+"
    basename: str = ""
    export_name: str = ""
    shape: Shape

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        shape = cls.__dict__.get("shape")
        if shape is not None:
            cls.serializer_class = shape.serializer
            extend_schema_view(
                list=list_schema(shape.serializer), retrieve=detail_schema(shape.serializer)
            )(cls)

    def base_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        return self.base_queryset()

    @property
    def row_fields(self) -> tuple[str, ...]:
        return self.shape.reads()

    def present(self, rows: list[dict], urls: URLs) -> list[dict]:
        return self.shape.present(rows, urls, self.basename)

    def last_modified(self, item: dict) -> dt.datetime | None:
        return item.get("updated_at")

    # Lists and exports

    def list(self, request, *args, **kwargs):
        self.refuse_unknown_parameters(request)
        queryset = self.filter_queryset(self.get_queryset())
        export = request.query_params.get("format")
        if export not in (None, ""):
            if export not in ("csv", "json"):
                raise ValidationError(
                    {"format": [f"“{export}” is not an export: use csv or json."]}
                )
            return self.export(queryset, export)
        urls = URLs(request)
        page = self.paginate_queryset(queryset)  # .values() of row_fields, keys beside
        return self.get_paginated_response(self.present(list(page), urls))

    def refuse_unknown_parameters(self, request) -> None:
        """A parameter the endpoint does not take is a 400 naming it: ignored, a misspelt
        filter (``?agreement=16`` for ``?partnership=``) would answer with every row."""
        known = {*self.filterset_class.base_filters, *LIST_PARAMETERS}
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise ValidationError(
                {
                    name: [
                        "Not a parameter of this endpoint; the schema (/api/schema/) lists them."
                    ]
                    for name in unknown
                }
            )

    def row_chunks(self, queryset) -> Iterator[list[dict]]:
        """``.values()`` rows, a chunk at a time, from one server-side cursor."""
        chunk = []
        for row in values(queryset, self.row_fields, chunk_size=EXPORT_CHUNK_SIZE):
            chunk.append(row)
            if len(chunk) == EXPORT_CHUNK_SIZE:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def export_chunks(self, queryset) -> Iterator[list[dict]]:
        """Presented rows, a chunk at a time, from one server-side cursor."""
        urls = URLs(self.request)
        for chunk in self.row_chunks(queryset):
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
        """The header, then a chunk of rows at a time: each row written from its
        ``.values()`` row by the shape's ``csv_writer`` (the cells of ``csv_columns``)."""
        yield csv.writer(Echo()).writerow([header for header, _ in self.shape.csv_columns]).encode()
        urls = URLs(self.request)
        for chunk in self.row_chunks(queryset):
            write = self.shape.csv_writer(Batch(urls, self.basename, chunk))
            text = io.StringIO()
            csv.writer(text).writerows(map(write, chunk))
            yield text.getvalue().encode()

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
