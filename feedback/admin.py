"""Feedback in Django's admin: read-mostly (moderation happens on the staff pages, through
the services, so that every decision has its reason and its audit event). The e-mail
addresses are not shown here either."""

from django.contrib import admin

from .models import Feedback, FeedbackClosure, FeedbackResponse


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("pk", "partnership", "category", "status", "hidden_reason", "created_at")
    list_filter = ("status", "category", "hidden_reason")
    search_fields = ("text", "display_name")
    exclude = ("author",)
    readonly_fields = [f.name for f in Feedback._meta.fields if f.name != "author"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FeedbackResponse)
class FeedbackResponseAdmin(admin.ModelAdmin):
    list_display = ("feedback", "organization", "created_at")
    readonly_fields = ("feedback", "organization", "text", "author")

    def has_add_permission(self, request):
        return False


@admin.register(FeedbackClosure)
class FeedbackClosureAdmin(admin.ModelAdmin):
    list_display = ("partnership", "created_at")
    readonly_fields = ("partnership", "reason", "closed_by")

    def has_add_permission(self, request):
        return False
