"""Who made a change: the context the audit trail records for each web request."""

from django.db import connection
from pghistory.middleware import HistoryMiddleware

from partnerships.models import Organization


class AuditContextMiddleware(HistoryMiddleware):
    """Records, with every change a request makes (POST, PUT, PATCH, DELETE), the acting
    user and the organizations they act for. The public history names only the
    organizations; the staff history names the person too."""

    def __call__(self, request):
        if connection.vendor != "postgresql":  # no audit trail on SQLite
            return self.get_response(request)
        return super().__call__(request)

    def get_context(self, request):
        context = {"url": request.path, "method": request.method}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context["user"] = user.pk
            context["username"] = user.get_username()
            context["superuser"] = user.is_superuser
            context["organizations"] = [
                {"id": pk, "slug": slug, "name": name}
                for pk, slug, name in Organization.objects.filter(
                    memberships__user=user
                ).values_list("pk", "slug", "name")
            ]
        return context
