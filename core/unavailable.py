"""While the database is unreachable (restarting, failing over, or dropping connections), a
request is answered 503 with ``Retry-After``, never 500: the reader is told to come back in
a few seconds, and a client of the API can retry by itself."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views import defaults

logger = logging.getLogger(__name__)

# Raised by the database driver when it cannot connect, when the server ends the connection
# (a restart, pg_terminate_backend) and when a dropped connection is used again. Every
# subclass is transient too: a lock or statement timeout, a deadlock, a serialization failure.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def unavailable_response(request) -> HttpResponse:
    """503 with ``Retry-After``: JSON under /api/, otherwise a short page. Neither touches
    the database (no session, no user, no context processors)."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": "The registry is briefly unavailable. "
                f"Try again in {RETRY_AFTER_SECONDS} seconds."
            },
            status=503,
        )
    else:
        response = HttpResponse(
            render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """Answers 503 when a view, or the rendering of its template, finds the database
    unreachable (``handler500`` below does the same for the other middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.warning("database unavailable, %s answered 503: %s", request.path, exception)
        return unavailable_response(request)


def server_error(request):
    """The project's ``handler500``: an uncaught exception is a 500, unless it is the
    database being unreachable, raised outside any view (loading the session, the audit
    context of a write, saving the session), which is a 503 like the rest."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return unavailable_response(request)
    return defaults.server_error(request)
