from django.contrib import admin

from .models import AuthenticationEvent


@admin.register(AuthenticationEvent)
class AuthenticationEventAdmin(admin.ModelAdmin):
    """Failed logins, lockouts and second-factor changes, to read: nobody writes them here."""

    list_display = ["created_at", "kind", "username", "factor", "ip_address"]
    list_filter = ["kind", "created_at"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
