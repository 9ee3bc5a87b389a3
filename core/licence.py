"""The licence of the registry's data, as the API and the pages state it."""

from django.conf import settings


def licence() -> dict:
    return {"name": settings.DATA_LICENCE_NAME, "url": settings.DATA_LICENCE_URL}


def add_licence_headers(response):
    """The data licence on every response: a ``Link rel="license"`` and a plain header."""
    response["X-Data-Licence"] = settings.DATA_LICENCE_NAME
    response["Link"] = f'<{settings.DATA_LICENCE_URL}>; rel="license"'
    return response


class LicensedMixin:
    """For any API view: adds the licence headers, errors and 429s included."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return add_licence_headers(response)
