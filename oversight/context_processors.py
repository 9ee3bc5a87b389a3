from django.utils.functional import SimpleLazyObject

from . import permissions


def oversight(request):
    """``uses_oversight_dashboard`` for the navigation, asked only when a page shows it."""
    return {
        "uses_oversight_dashboard": SimpleLazyObject(
            lambda: permissions.can_use_dashboard(request.user)
        )
    }
