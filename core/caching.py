"""Cache-Control and validators on what the public reads: pages, API lists, feeds.

An anonymous GET answered 200 is public for ``PUBLIC_MAX_AGE_SECONDS`` and carries a weak
ETag (of the body without its Content-Security-Policy nonce, which differs on every
answer), so that a reader, a proxy or a script revalidates cheaply: ``If-None-Match`` or
``If-Modified-Since`` (the feeds' Last-Modified) gets a 304 without a body. Whatever a
signed-in user reads, or whatever sets a cookie, is private and revalidated every time.
A view that says how to cache its answer (a document download, an API detail) keeps its
own word.

Placed above the middleware that add the Content-Security-Policy and Permissions-Policy
headers: a 304 carries neither, so a cache keeps the policy that matches its copy's nonce.
"""

import hashlib

from django.conf import settings
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import parse_http_date_safe


class PublicCachingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or response.cookies:
            patch_cache_control(response, private=True, no_cache=True)
            return response
        patch_cache_control(response, public=True, max_age=settings.PUBLIC_MAX_AGE_SECONDS)
        if not response.streaming and not response.has_header("ETag"):
            response["ETag"] = weak_etag(response.content, getattr(request, "_csp_nonce", None))
        last_modified = response.get("Last-Modified")
        return get_conditional_response(
            request,
            etag=response.get("ETag"),
            last_modified=parse_http_date_safe(last_modified) if last_modified else None,
            response=response,
        )


def weak_etag(body: bytes, nonce) -> str:
    if isinstance(nonce, str):
        body = body.replace(nonce.encode(), b"")
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
