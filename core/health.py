"""/healthz: is the database answering, and is the broker?"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .tasks import broker_connection

logger = logging.getLogger(__name__)


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("healthz: database unreachable", exc_info=True)
        return "unreachable"
    return "ok"


def broker_status() -> str:
    try:
        with broker_connection() as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTHZ_BROKER_TIMEOUT_SECONDS)
    except Exception:  # kombu raises transport-specific errors; any of them means "down"
        logger.warning("healthz: broker unreachable", exc_info=True)
        return "unreachable"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    status = {"database": database_status(), "broker": broker_status()}
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **status},
        status=200 if healthy else 503,
    )
