from django.utils.functional import SimpleLazyObject

from . import publishing


def publication(request):
    """``approvals_count`` for the header: how many decisions wait for the user
    (``publishing.approval_count``, one query), asked only when a page shows it."""
    return {"approvals_count": SimpleLazyObject(lambda: publishing.approval_count(request.user))}
