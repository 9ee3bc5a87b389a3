"""Reads of the public to a replica, everything else to the primary.

``DATABASE_REPLICA_URLS`` (settings) names read-only replicas of the primary database,
each an alias in ``DATABASE_REPLICAS``. ``ReplicaMiddleware`` marks a request that may be
answered from a replica: a GET or HEAD by an anonymous reader of a public surface (the
public pages, the API and its exports, the feeds, the sitemap; ``PUBLIC_ROUTES``). The
router then sends that request's reads to one replica, picked per request. Every write
goes to the primary, and once a request has written, its later reads do too (it reads
what it wrote). Staff pages, signed-in readers, forms, jobs, the shell and migrations
never set the mark: they read the primary.

A replica lags the primary by its replication delay (usually well under a second): a
public page may show a change that long after it is saved. Whatever a writer reads back
after saving is read on the primary.
"""

import contextvars
import random

from django.conf import settings
from django.urls import Resolver404, resolve

# The URL namespaces and route names of the public surfaces.
PUBLIC_NAMESPACES = frozenset({"public", "api", "feeds"})
PUBLIC_ROUTES = frozenset(
    {"sitemap", "robots_txt", "api-schema", "api-docs", "agreements:document_download"}
)

_replica = contextvars.ContextVar("replica", default=None)


def is_public_read(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.namespace in PUBLIC_NAMESPACES or match.view_name in PUBLIC_ROUTES


class ReplicaMiddleware:
    """After authentication (the reader must be known): picks the replica of a public
    read, for the whole request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        replicas = settings.DATABASE_REPLICAS
        alias = random.choice(replicas) if replicas and is_public_read(request) else None  # noqa: S311
        token = _replica.set(alias)
        try:
            return self.get_response(request)
        finally:
            _replica.reset(token)


class ReplicaRouter:
    """Reads of a marked request to its replica; all else where Django sends it (the
    primary, ``default``)."""

    def db_for_read(self, model, **hints):
        return _replica.get()  # None: Django's own choice (the primary)

    def db_for_write(self, model, **hints):
        # The rest of the request reads what it wrote; a record read on a replica is saved
        # on the primary.
        _replica.set(None)
        instance = hints.get("instance")
        if instance is not None and instance._state.db in settings.DATABASE_REPLICAS:
            return "default"
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db not in settings.DATABASE_REPLICAS and not _is_mirror(db)


def _is_mirror(alias: str) -> bool:
    return bool(settings.DATABASES.get(alias, {}).get("TEST", {}).get("MIRROR"))
