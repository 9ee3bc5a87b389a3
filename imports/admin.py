from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: an import changes records through the services, never from here."""

    list_display = ["file_name", "kind", "status", "created_by", "rows_total", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "created_by__username", "sha256"]
    exclude = ["content"]
    readonly_fields = [
        "created_by",
        "kind",
        "file_name",
        "sha256",
        "status",
        "rows_total",
        "rows_checked",
        "rows_applied",
        "preview",
        "result",
        "message",
        "applied_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
