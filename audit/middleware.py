"""Who made a change: the context the audit trail records for each web request."""

from pghistory.middleware import HistoryMiddleware


class AuditContextMiddleware(HistoryMiddleware):
    """Records, with every change a request makes (POST, PUT, PATCH, DELETE), the acting
    user and what ``acting_for(user)`` adds: a subclass lists the records the user acts
    for, as ``{key: [{"id": ..., "name": ...}]}`` under the key their registration's
    ``acting_for`` declares (``audit.registry``). The public history names only those
    records; the staff history names the person too."""

    def acting_for(self, user) -> dict:
        return {}

    def get_context(self, request):
        context = {"url": request.path, "method": request.method}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context.update(user_context(user))
            context.update(self.acting_for(user))
        return context


def user_context(user) -> dict:
    """How the audit trail names the user who made a change."""
    return {"user": user.pk, "username": user.get_username(), "superuser": user.is_superuser}
