"""Response headers every answer carries, and the reader's language."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils.cache import patch_vary_headers


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self"]}`` as ``camera=(), fullscreen=(self)``.

    An empty allowlist denies the feature to the page and to every frame in it.
    """
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class PermissionsPolicyMiddleware:
    """Sends ``Permissions-Policy`` from the PERMISSIONS_POLICY setting on every response
    that has none of its own, so that no page (nor anything injected into one) may use the
    camera, the microphone, the reader's location, payments and the like."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's: the reader's language from the language cookie, else Accept-Language; sets
    Content-Language and ``Vary: Accept-Language``. Since the cookie picks the language too,
    an answer varies on ``Cookie`` as well, so that a shared cache never serves a page in
    another reader's language."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        patch_vary_headers(response, ("Cookie",))
        return response
