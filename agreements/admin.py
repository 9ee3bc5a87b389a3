from django.contrib import admin

from .derived import derived_facts_refresh
from .models import (
    Agreement,
    AgreementDocument,
    AgreementSignatory,
    DataSharingTerm,
    RiskLevel,
)


class RiskLevelFilter(admin.SimpleListFilter):
    title = "risk level"
    parameter_name = "risk_level"

    def lookups(self, request, model_admin):
        return RiskLevel.choices

    def queryset(self, request, queryset):
        if self.value() not in RiskLevel.values:
            return queryset
        return queryset.with_risk_level().filter(derived_risk_level=self.value())


class IndependentAuditorFilter(admin.SimpleListFilter):
    title = "independent auditor"
    parameter_name = "independent_auditor"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No (none, or a party)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.with_independent_auditor()
        if self.value() == "no":
            return queryset.without_independent_auditor()
        return queryset


class DataSharingTermInline(admin.StackedInline):
    model = DataSharingTerm
    fields = [
        ("data_category", "direction"),
        "purpose",
        ("legal_basis", "legal_instrument"),
        ("consent_required", "onward_sharing_allowed"),
        "retention_days",
        "access_controls",
        "surveillance_practice",
        "risk",
    ]
    readonly_fields = ["risk"]
    extra = 0

    @admin.display(description="risk level")
    def risk(self, term):
        if term.pk is None:
            return "-"
        return RiskLevel(term.risk_level()).label


class AgreementSignatoryInline(admin.TabularInline):
    model = AgreementSignatory
    fields = ["organization", "signed_on"]
    autocomplete_fields = ["organization"]
    extra = 0


class AgreementDocumentInline(admin.TabularInline):
    """Existing versions only: documents are never overwritten, and uploads
    (hashing, versioning) belong to a service, not to a form."""

    model = AgreementDocument
    fields = ["version", "file", "sha256", "size_bytes", "uploaded_by", "uploaded_at", "is_public"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "partnership",
        "kind",
        "status",
        "risk",
        "auditor_independent",
        "next_review_due",
        "expires_on",
    ]
    list_filter = [
        RiskLevelFilter,
        IndependentAuditorFilter,
        "status",
        "kind",
        "visibility",
        "auto_expire",
    ]
    search_fields = ["title", "reference", "partnership__title"]
    date_hierarchy = "signed_on"
    autocomplete_fields = ["partnership", "supersedes", "independent_auditor", "sources"]
    list_select_related = ["partnership"]
    inlines = [DataSharingTermInline, AgreementSignatoryInline, AgreementDocumentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_risk_level()

    def save_related(self, request, form, formsets, change):
        """With its terms saved: its derived facts stored anew, as the services store them."""
        super().save_related(request, form, formsets, change)
        derived_facts_refresh(agreement_ids=[form.instance.pk])

    @admin.display(description="risk level")
    def risk(self, agreement):
        return RiskLevel(agreement.derived_risk_level).label

    @admin.display(
        description="independent auditor", boolean=True, ordering="auditor_is_independent"
    )
    def auditor_independent(self, agreement):
        return agreement.auditor_is_independent is True


@admin.register(AgreementSignatory)
class AgreementSignatoryAdmin(admin.ModelAdmin):
    list_display = ["organization", "agreement", "signed_on"]
    search_fields = ["organization__name", "agreement__title"]
    date_hierarchy = "signed_on"
    autocomplete_fields = ["agreement", "organization"]
    list_select_related = ["organization", "agreement"]


@admin.register(AgreementDocument)
class AgreementDocumentAdmin(admin.ModelAdmin):
    """Read-only, like the inline: a signed text is never replaced or removed."""

    list_display = ["agreement", "version", "size_bytes", "uploaded_by", "uploaded_at", "is_public"]
    list_filter = ["is_public"]
    search_fields = ["agreement__title", "sha256"]
    date_hierarchy = "uploaded_at"
    list_select_related = ["agreement", "uploaded_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataSharingTerm)
class DataSharingTermAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "agreement",
        "legal_basis",
        "surveillance_practice",
        "onward_sharing_allowed",
        "risk",
    ]
    list_filter = [
        "data_category",
        "direction",
        "legal_basis",
        "surveillance_practice",
        "onward_sharing_allowed",
        "consent_required",
    ]
    search_fields = ["purpose", "legal_instrument", "agreement__title"]
    autocomplete_fields = ["agreement"]
    list_select_related = ["agreement"]

    # A term changed or deleted here: its agreement's derived facts stored anew.
    def save_model(self, request, obj, form, change):
        old_agreement_id = form.initial.get("agreement")
        super().save_model(request, obj, form, change)
        derived_facts_refresh(
            agreement_ids=[obj.agreement_id, old_agreement_id or obj.agreement_id]
        )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        derived_facts_refresh(agreement_ids=[obj.agreement_id])

    def delete_queryset(self, request, queryset):
        agreement_ids = list(queryset.values_list("agreement_id", flat=True))
        super().delete_queryset(request, queryset)
        derived_facts_refresh(agreement_ids=agreement_ids)

    @admin.display(description="risk level")
    def risk(self, term):
        return RiskLevel(term.risk_level()).label
