from django.contrib import admin, messages
from django.db import models
from django_countries.filters import CountryFilter

from . import services
from .models import FocusArea, Membership, Organization, Partnership, PartnershipParty, Source


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role"]
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "ngo_type",
        "scope",
        "country",
        "region",
        "city",
        "is_confirmed",
    ]
    list_filter = [
        "is_confirmed",
        "kind",
        "ngo_type",
        "scope",
        "region",
        ("country", CountryFilter),
    ]
    search_fields = ["name", "slug", "city", "ori", "registration_number"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["proposed_by"]
    inlines = [MembershipInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["confirm_organizations"]

    @admin.action(description="Confirm the selected proposed organizations")
    def confirm_organizations(self, request, queryset):
        confirmed = 0
        for organization in queryset.filter(is_confirmed=False):
            services.organization_confirm(organization=organization, actor=request.user)
            confirmed += 1
        self.message_user(request, f"{confirmed} organization(s) confirmed.", messages.SUCCESS)


@admin.register(FocusArea)
class FocusAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "published_on", "url"]
    list_filter = ["kind"]
    search_fields = ["title", "url", "archived_url"]
    date_hierarchy = "published_on"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class PartnershipPartyInline(admin.TabularInline):
    model = PartnershipParty
    fields = ["organization", "role"]
    autocomplete_fields = ["organization"]

    def get_extra(self, request, obj=None, **kwargs):
        # A new partnership needs at least an NGO and a police agency.
        return 2 if obj is None else 0


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "parties_column", "country", "established_on", "visibility"]
    list_filter = ["status", "visibility", "region", ("country", CountryFilter), "focus_areas"]
    search_fields = ["title", "slug", "organizations__name"]
    date_hierarchy = "established_on"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["focus_areas", "sources"]
    inlines = [PartnershipPartyInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("parties__organization")

    @admin.display(description="parties")
    def parties_column(self, obj):
        return ", ".join(party.organization.name for party in obj.parties.all())


@admin.register(PartnershipParty)
class PartnershipPartyAdmin(admin.ModelAdmin):
    list_display = ["organization", "role", "partnership"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["organization__name", "partnership__title"]
    autocomplete_fields = ["partnership", "organization"]
    list_select_related = ["organization", "partnership"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization__kind"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]
