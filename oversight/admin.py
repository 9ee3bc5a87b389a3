from django.contrib import admin

from .models import Finding, Flag, Review


class ReviewerIndependenceFilter(admin.SimpleListFilter):
    title = "independent reviewer"
    parameter_name = "independent"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No (a party to the partnership, or declared ties)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.independent()
        if self.value() == "no":
            return queryset.not_independent()
        return queryset


class FindingInline(admin.StackedInline):
    model = Finding
    fields = [
        ("severity", "status"),
        "summary",
        "corrective_action",
        ("due_on", "resolved_on"),
    ]
    extra = 0


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = [
        "agreement",
        "kind",
        "reviewer",
        "independent",
        "status",
        "outcome",
        "started_on",
        "completed_on",
    ]
    list_filter = [ReviewerIndependenceFilter, "conflict_of_interest", "kind", "status", "outcome"]
    search_fields = ["agreement__title", "reviewer__name", "public_summary"]
    date_hierarchy = "completed_on"
    autocomplete_fields = ["agreement", "reviewer"]
    list_select_related = ["agreement", "reviewer"]
    inlines = [FindingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_reviewer_independence()

    @admin.display(description="independent", boolean=True, ordering="reviewer_is_independent")
    def independent(self, review):
        return review.reviewer_is_independent


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "review", "severity", "status", "due_on", "resolved_on"]
    list_filter = ["severity", "status"]
    search_fields = ["summary", "corrective_action", "review__agreement__title"]
    date_hierarchy = "due_on"
    autocomplete_fields = ["review"]
    # Review.__str__ names the agreement and the reviewer.
    list_select_related = ["review__agreement", "review__reviewer"]


class FlagStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "closed":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["kind", "agreement", "is_open", "raised_at", "resolved_at", "notified_at"]
    list_filter = [FlagStateFilter, "kind"]
    search_fields = ["agreement__title", "detail", "resolution"]
    date_hierarchy = "raised_at"
    autocomplete_fields = ["agreement"]
    list_select_related = ["agreement"]

    def get_readonly_fields(self, request, obj=None):
        # The oversight job raises flags and the digest claims them; an
        # administrator only closes a flag, saying why.
        if obj is None:
            return ["notified_at"]
        return ["agreement", "kind", "raised_at", "detail", "notified_at"]

    @admin.display(description="open", boolean=True, ordering="resolved_at")
    def is_open(self, flag):
        return flag.is_open
