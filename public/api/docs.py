"""The API's docs page, ``/api/docs/``: Swagger UI from vendored files, with the OpenAPI
schema in the page.

drf-spectacular's page fetches the schema from ``/api/schema/`` once Swagger UI has
started, and the schema is generated anew for each request (seconds of introspection) and
served as YAML for Swagger UI to parse: a spinner for seconds. Here the schema is made once
per process (it changes only with the code) and written into the page as JSON, so the
operations show as soon as Swagger UI has started.
"""

from functools import cache

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from core.licence import LicensedMixin


@cache
def public_schema() -> dict:
    """The OpenAPI schema as ``/api/schema/`` serves it to the public."""
    return SchemaGenerator().get_schema(request=None, public=True)


class DocsView(LicensedMixin, SpectacularSwaggerView):
    authentication_classes = []
    permission_classes = [AllowAny]
    url_name = "api-schema"
    # Swagger UI with its style in a static file and its start-up script under the nonce.
    template_name = "public/api_docs.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.data["schema"] = public_schema()
        return response
