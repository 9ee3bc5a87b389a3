from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Incident


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "kind",
        "status",
        "how_found",
        "discovered_at",
        "reported_to_authority_at",
        "hours_to_notify",
        "publication_status",
    ]
    list_filter = ["kind", "status", "how_found", "publication_status"]
    search_fields = ["title", "nature"]
    date_hierarchy = "discovered_at"
    filter_horizontal = ["agreements", "sources"]
    readonly_fields = ["submitted_by", "submitted_at", "published_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_hours_to_notify()

    @admin.display(description=_("hours to notify"))
    def hours_to_notify(self, incident):
        return incident.hours_to_notify
