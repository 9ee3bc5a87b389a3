"""The public API's renderer, throttle and pagination, named in ``REST_FRAMEWORK``.

Kept apart from ``config.public_api``: DRF imports these while it defines its views, so
this module must not import DRF's views itself.
"""

import orjson
from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer
from rest_framework.throttling import AnonRateThrottle

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


class RegistryPagination(PageNumberPagination):
    """``page`` and ``page_size`` (default 50, at most 500). A page size out of bounds or a
    page that is not a positive integer is a 400 naming the parameter, not a silent cap."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

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
        raw = request.query_params.get(self.page_query_param)
        if raw not in (None, "") and (not raw.isdigit() or int(raw) < 1):
            raise ValidationError({"page": [f"“{raw}” is not a page number: use 1 or more."]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=50)
                parameter["description"] = (
                    f"Rows per page: 1 to {self.max_page_size} (default 50); more is a 400."
                )
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
