"""What every template needs to know about languages."""

from django.conf import settings


def content_language(request):
    """The language the parties write their records in (``lang="{{ CONTENT_LANGUAGE }}"`` on
    their free text), whatever the interface's language."""
    return {"CONTENT_LANGUAGE": settings.CONTENT_LANGUAGE}
