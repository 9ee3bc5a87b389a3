"""The public REST API: one router mounted at ``/api/v1/``, the root document, and the
OpenAPI schema and its docs (``/api/schema/``, ``/api/docs/``: ``docs.py``). The
endpoints, each with its column specification, are the modules beside this one
(``partnerships``, ``agreements``, ``oversight``, ``stats``)."""

from collections.abc import Callable

from django.urls import include, path, re_path, reverse
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from audit.api import audit_log_head
from core.api.viewsets import public_view
from core.licence import LicensedMixin, add_licence_headers, licence

from .activities import ActivityViewSet
from .agreements import AgreementViewSet
from .docs import DocsView
from .feedback import FeedbackViewSet
from .incidents import IncidentViewSet
from .oversight import FlagViewSet, ReviewViewSet
from .partnerships import OrganizationViewSet, PartnershipViewSet
from .stats import stats

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("partnerships", PartnershipViewSet, basename="partnership")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("reviews", ReviewViewSet, basename="review")
router.register("flags", FlagViewSet, basename="flag")
router.register("feedback", FeedbackViewSet, basename="feedback")
router.register("activities", ActivityViewSet, basename="activity")
router.register("incidents", IncidentViewSet, basename="incident")

ENDPOINTS = (
    "organizations",
    "partnerships",
    "agreements",
    "reviews",
    "flags",
    "feedback",
    "incidents",
    "activities",
)
# Where an endpoint's basename is not its name less the plural's "s".
BASENAMES = {"activities": "activity"}

# Further entries of the root document: functions of the request returning a dict that
# is merged into it (e.g. the head of the audit log).
ROOT_EXTENSIONS: list[Callable] = [audit_log_head]


def root_document(request) -> dict:
    """What ``/api/v1/`` answers: where everything is, and the licence of the data."""
    build = request.build_absolute_uri
    document = {
        "name": "Partnership Registry public API",
        "version": "v1",
        "licence": licence(),
        "how_to_cite": "Cite the record's url (or html_url) and the date you retrieved it, "
        "with the licence.",
        "endpoints": {
            name: build(reverse(f"api:{BASENAMES.get(name, name.removesuffix('s'))}-list"))
            for name in ENDPOINTS
        }
        | {"stats": build(reverse("api:stats"))},
        "schema": build(reverse("api-schema")),
        "docs": build(reverse("api-docs")),
    }
    for extension in ROOT_EXTENSIONS:
        document.update(extension(request))
    return document


@extend_schema(exclude=True)
@api_view(["GET"])
@public_view
def api_root(request):
    return add_licence_headers(Response(root_document(request)))


class SchemaView(LicensedMixin, SpectacularAPIView):
    """The schema in YAML, or in JSON with ``?format=json`` (or an ``Accept`` asking for
    it)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def perform_content_negotiation(self, request, force=False):
        if request.query_params.get("format") == "json":
            renderer = OpenApiJsonRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)


@extend_schema(exclude=True)
@api_view(["GET"])
@public_view
def not_found(request, rest):
    raise NotFound("No such endpoint or record; the root (/api/v1/) lists the endpoints.")


api_patterns = [
    path("", api_root, name="root"),
    path("stats/", stats, name="stats"),
    *router.urls,
    # Anything else under /api/v1/ is a JSON 404, not the site's HTML page.
    re_path(r"^(?P<rest>.*)$", not_found),
]

urlpatterns = [
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(), name="api-docs"),
]
