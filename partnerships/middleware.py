"""The audit trail's request context, with the organizations the acting user works for."""

from audit.middleware import AuditContextMiddleware

from .models import Organization


def acting_for(user) -> dict:
    """The organizations ``user`` works for, as the audit trail records them with a change
    (a public history names them as its author)."""
    return {
        "organizations": [
            {"id": pk, "slug": slug, "name": name}
            for pk, slug, name in Organization.objects.filter(memberships__user=user).values_list(
                "pk", "slug", "name"
            )
        ]
    }


class OrganizationAuditContextMiddleware(AuditContextMiddleware):
    def acting_for(self, user) -> dict:
        return acting_for(user)
