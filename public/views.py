"""The read side of the site: home, the registry, the partnership, agreement and
organization pages, and the methodology page.

Every page starts from ``.public()`` or ``.visible_to(user)``, so an anonymous reader
sees exactly what the API and the feeds publish, and a signed-in member of a party
sees their own restricted records as on the partnership page.
"""

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.urls import reverse
from django.views.generic import DetailView, TemplateView

from agreements import permissions as agreement_permissions
from agreements import risk
from agreements.models import Agreement, AgreementDocument, DataSharingTerm, RiskLevel
from audit.chain import audit_chain_head
from audit.views import change_history_context
from oversight import permissions as oversight_permissions
from oversight.models import DPIA_VALID_FOR, Flag, Review
from oversight.rules import FLAG_RULES
from partnerships import permissions
from partnerships.models import FocusArea, Organization, Partnership, PartnershipParty, Visibility

from .api.partnerships import partnership_queryset
from .filters import PartnershipFilter
from .stats import registry_figures


class OrganizationDetailView(DetailView):
    """An organization, its partnerships and roles, the agreements it audits and the
    reviews it carried out. Never its members."""

    template_name = "partnerships/organization_detail.html"
    context_object_name = "organization"

    def get_queryset(self):
        return Organization.objects.public()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, organization = self.request.user, self.object
        visible = Partnership.objects.visible_to(user)
        context.update(
            roles=PartnershipParty.objects.filter(
                organization=organization, partnership__in=visible
            )
            .select_related("partnership")
            .prefetch_related("partnership__focus_areas")
            .order_by("partnership__title"),
            audited=Agreement.objects.visible_to(user)
            .filter(independent_auditor=organization)
            .with_risk_level()
            .select_related("partnership")
            .order_by("partnership__title", "title"),
            reviews=Review.objects.visible_to(user)
            .filter(reviewer=organization)
            .select_related("agreement__partnership")
            .order_by("-completed_on", "-started_on"),
        )
        return context


class MethodologyView(TemplateView):
    """How risk levels and flags are derived, generated from the rules the code runs,
    so that it cannot drift from them; the data licence and how to cite."""

    template_name = "methodology.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rules = {rule.kind: rule for rule in FLAG_RULES}
        context.update(
            risk_levels=[
                (RiskLevel(level).label, text) for level, text in risk.rule_in_words().items()
            ],
            directions=DataSharingTerm.Direction.choices,
            category_table=risk.category_table(),
            surveillance_table=[row for row in risk.surveillance_table() if row[0] != "None"],
            # In the order of Flag.Kind; a kind without a rule shows as such (and fails a test).
            flag_rules=[(kind, label, rules.get(kind)) for kind, label in Flag.Kind.choices],
            dpia_valid_months=DPIA_VALID_FOR.months + 12 * DPIA_VALID_FOR.years,
            in_force=[Agreement.Status(status).label.lower() for status in Agreement.IN_FORCE],
            licence_name=settings.DATA_LICENCE_NAME,
            licence_url=settings.DATA_LICENCE_URL,
            audit_head=audit_chain_head(),
        )
        return context


# The registry ---------------------------------------------------------------------------

# Shown at once; the others sit under "More filters".
MAIN_FILTERS = ("search", "region", "focus_area", "status", "risk_level")
BOOLEAN_CHOICES = [("", "Any"), ("true", "Yes"), ("false", "No")]
REGISTRY_PAGE_SIZE = 25


def registry_filterset(params) -> PartnershipFilter:
    """The API's FilterSet over the public partnerships, with widgets for a page."""
    filterset = PartnershipFilter(params, queryset=partnership_queryset())
    fields = filterset.form.fields
    for field in fields.values():
        if isinstance(field.widget, forms.SelectMultiple):
            field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
    fields["focus_area"].widget = forms.Select(
        choices=[("", "Any focus area"), *FocusArea.objects.values_list("slug", "name")]
    )
    for name in ("has_independent_auditor", "review_overdue"):
        fields[name].widget = forms.Select(choices=BOOLEAN_CHOICES)
    for name in ("established_after", "established_before"):
        fields[name].widget = forms.DateInput(attrs={"type": "date"})
    fields["search"].widget.attrs.update(type="search")
    fields["country"].widget.attrs.update(placeholder="e.g. GB", maxlength=2)
    fields["organization"].widget.attrs.update(placeholder="e.g. safe-harbour")
    return filterset


def query_string(params, *, drop=("page",)) -> str:
    """The filters of the request, without empty values (and without ``page``): the
    permalink of the view, and what the CSV and API links carry."""
    pairs = [
        (key, value)
        for key in sorted(params)
        if key not in drop
        for value in params.getlist(key)
        if value != ""
    ]
    return urlencode(pairs)


class RegistryView(TemplateView):
    """The public registry: the API's filters, search and ordering, on a page.

    A bad filter value shows the page (400) with a message naming the filter, and no
    results rather than results the reader did not ask for.
    """

    template_name = "partnerships/partnership_list.html"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        status = 400 if context["filter_errors"] else 200
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        filterset = registry_filterset(params)
        valid = filterset.is_valid()
        partnerships = filterset.qs if valid else Partnership.objects.none()
        paginator = Paginator(partnerships, REGISTRY_PAGE_SIZE)
        page = paginator.get_page(params.get("page"))
        rows = list(page.object_list)
        attach_registry_facts(rows)
        form = filterset.form
        errors = [
            (form.fields[name].label if name in form.fields else name, name, messages)
            for name, messages in filterset.errors.items()
        ]
        query = query_string(params)
        export_query = query_string(params, drop=("page", "format"))
        api = reverse("api:partnership-list")
        context.update(
            filterset=filterset,
            main_fields=[form[name] for name in MAIN_FILTERS],
            more_fields=[form[name] for name in form.fields if name not in MAIN_FILTERS],
            more_open=any(params.get(name) for name in form.fields if name not in MAIN_FILTERS),
            filter_errors=errors,
            partnerships=rows,
            page_obj=page,
            paginator=paginator,
            query=query,
            permalink=f"{self.request.path}?{query}" if query else self.request.path,
            api_url=f"{api}?{query}" if query else api,
            csv_url=f"{api}?{urlencode([*parse_qsl(export_query), ('format', 'csv')])}",
            feed_query=urlencode(
                [(k, params[k]) for k in ("region", "focus_area") if params.get(k)]
            ),
        )
        return context


def attach_registry_facts(partnerships: list) -> None:
    """Each partnership's confirmed parties, focus areas and open flag kinds (public
    agreements only), in three queries whatever the number of rows."""
    ids = [p.pk for p in partnerships]
    parties = defaultdict(list)
    for party in (
        PartnershipParty.objects.filter(partnership__in=ids, organization__is_confirmed=True)
        .select_related("organization")
        .order_by("role", "organization__name")
    ):
        parties[party.partnership_id].append(party)
    areas = defaultdict(list)
    for link in (
        Partnership.focus_areas.through.objects.filter(partnership__in=ids)
        .select_related("focusarea")
        .order_by("focusarea__name")
    ):
        areas[link.partnership_id].append(link.focusarea)
    flags = defaultdict(set)
    for row in (
        Flag.objects.open()
        .filter(agreement__in=Agreement.objects.public(), agreement__partnership__in=ids)
        .order_by()
        .values_list("agreement__partnership", "kind")
        .distinct()
    ):
        flags[row[0]].add(Flag.Kind(row[1]).label)
    for partnership in partnerships:
        partnership.party_list = parties[partnership.pk]
        partnership.focus_area_list = areas[partnership.pk]
        partnership.open_flag_kinds = sorted(flags[partnership.pk])


# The home page --------------------------------------------------------------------------


@dataclass
class HomeChart:
    """One chart of the home page and the table of the same figures beside it."""

    name: str
    title: str
    columns: list[str]  # the table's value columns, one dataset each
    rows: list[tuple[str, list[int], str]]  # (label, values, registry link or "")
    kind: str = "bar"
    horizontal: bool = False

    @property
    def spec(self) -> dict:
        return {
            "type": self.kind,
            "horizontal": self.horizontal,
            "labels": [label for label, _values, _url in self.rows],
            "datasets": [
                {"label": column, "data": [values[i] for _label, values, _url in self.rows]}
                for i, column in enumerate(self.columns)
            ],
        }


def home_charts(figures: dict) -> list[HomeChart]:
    registry = reverse("public:registry")

    def link(param, key):
        return f"{registry}?{urlencode({param: key})}"

    partnerships, flags = figures["partnerships"], figures["flags"]
    return [
        HomeChart(
            "region",
            "Partnerships by region",
            ["Partnerships"],
            [
                (r["label"], [r["count"]], link("region", r["key"]))
                for r in partnerships["by_region"]
            ],
        ),
        HomeChart(
            "focus-area",
            "Partnerships by focus area",
            ["Partnerships"],
            [
                (r["label"], [r["count"]], link("focus_area", r["key"]))
                for r in partnerships["by_focus_area"]
            ],
            horizontal=True,
        ),
        HomeChart(
            "year",
            "Partnerships by year established",
            ["Partnerships"],
            [(r["label"], [r["count"]], "") for r in partnerships["by_year_established"]],
        ),
        HomeChart(
            "open-flags",
            "Open flags by kind",
            ["Open flags"],
            [(r["label"], [r["count"]], link("flag", r["key"])) for r in flags["open_by_kind"]],
            horizontal=True,
        ),
        HomeChart(
            "flags-by-month",
            "Flags raised and closed per month",
            ["Raised", "Closed"],
            [(r["label"], [r["raised"], r["closed"]], "") for r in flags["by_month"]],
            kind="line",
        ),
    ]


class HomeView(TemplateView):
    """What the registry is, its headline figures and charts: the same figures as
    ``/api/v1/stats/`` (``public.stats.registry_figures``)."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        figures = registry_figures()
        share = figures["agreements"]["share_active_with_independent_auditor"]
        context.update(
            figures=figures,
            auditor_share=None if share is None else round(share * 100),
            charts=home_charts(figures),
        )
        return context


# The partnership and agreement pages ---------------------------------------------


def visible_agreements(user, partnership: Partnership, *, private: bool):
    """The partnership's agreements the user may see, with everything the pages show (their
    risk level, whether their auditor and each of their reviewers is independent of the
    parties), in a fixed number of queries whatever their number."""
    documents = AgreementDocument.objects.select_related("uploaded_by").order_by("-version")
    if not private:
        documents = documents.public()
    return (
        Agreement.objects.visible_to(user)
        .filter(partnership=partnership)
        .with_risk_level()
        .with_auditor_independence()
        .select_related("independent_auditor", "supersedes")
        .prefetch_related(
            Prefetch("data_sharing_terms", queryset=DataSharingTerm.objects.order_by("pk")),
            Prefetch("documents", queryset=documents),
            Prefetch("flags", queryset=Flag.objects.order_by("-raised_at")),
            Prefetch(
                "reviews",
                queryset=Review.objects.with_reviewer_independence()
                .select_related("reviewer")
                .prefetch_related("findings"),
            ),
        )
    )


def with_open_flags(agreements) -> list[Agreement]:
    """The agreements, each told which of its flags are open."""
    agreements = list(agreements)
    for agreement in agreements:
        agreement.open_flags = [flag for flag in agreement.flags.all() if flag.is_open]
    return agreements


def api_links(partnership: Partnership) -> list[tuple[str, str]]:
    """The same record in the public API, and its agreements as JSON and CSV."""
    if partnership.visibility != Visibility.PUBLIC:
        return []
    agreements = reverse("api:agreement-list") + "?" + urlencode({"partnership": partnership.slug})
    return [
        (
            "This partnership in the API (JSON)",
            reverse("api:partnership-detail", args=[partnership.pk]),
        ),
        ("Its public agreements in the API (JSON)", agreements),
        ("Download its public agreements as CSV", f"{agreements}&format=csv"),
    ]


class PartnershipDetailView(DetailView):
    """The partnership page: parties, agreements with their terms, risk, document
    versions, reviews and flags. The same page serves the public and the staff; what
    each sees is decided by ``visible_to`` and ``permissions``."""

    template_name = "partnerships/partnership_detail.html"

    def get_queryset(self):
        return Partnership.objects.visible_to(self.request.user).prefetch_related(
            "focus_areas",
            "sources",
            Prefetch(
                "parties",
                queryset=PartnershipParty.objects.select_related("organization").order_by(
                    "role", "organization__name"
                ),
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, partnership = self.request.user, self.object
        private = permissions.can_see_private_records(user, partnership)
        parties = list(partnership.parties.all())
        if not private:
            # Proposed organizations are published once an administrator confirms them.
            parties = [p for p in parties if p.organization.is_confirmed]
        sees_notes = permissions.can_see_review_notes(user)
        context.update(
            parties=parties,
            agreements=with_open_flags(visible_agreements(user, partnership, private=private)),
            can_edit=permissions.can_edit_partnership(user, partnership),
            sees_private=private,
            sees_review_notes=sees_notes,
            missing_roles=partnership.missing_party_roles(),
            api_links=api_links(partnership),
            # The same people see the full history as the reviewers' notes.
            **change_history_context(
                partnership, full_history="oversight:record_history" if sees_notes else None
            ),
        )
        return context


class AgreementDetailView(DetailView):
    template_name = "agreements/agreement_detail.html"

    def get_queryset(self):
        return (
            Agreement.objects.visible_to(self.request.user)
            .with_risk_level()
            .select_related("partnership", "independent_auditor", "supersedes")
            .prefetch_related(
                Prefetch("data_sharing_terms", queryset=DataSharingTerm.objects.order_by("pk")),
                Prefetch("flags", queryset=Flag.objects.order_by("-raised_at")),
                Prefetch(
                    "reviews",
                    queryset=Review.objects.select_related("reviewer").prefetch_related("findings"),
                ),
                "signings__organization",
                Prefetch(
                    "partnership__parties",
                    queryset=PartnershipParty.objects.select_related("organization"),
                ),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, agreement = self.request.user, self.object
        private = permissions.can_see_private_records(user, agreement.partnership)
        documents = agreement.documents.select_related("uploaded_by").order_by("-version")
        if not private:
            documents = documents.public()
        sees_notes = permissions.can_see_review_notes(user)
        context.update(
            documents=documents,
            can_edit=agreement_permissions.can_edit_agreement(user, agreement),
            can_assign_auditor=agreement_permissions.can_assign_auditor(user, agreement),
            can_record_review=oversight_permissions.can_record_review(user, agreement),
            sees_private=private,
            sees_review_notes=sees_notes,
            # The same people see the full history as the reviewers' notes.
            **change_history_context(
                agreement, full_history="oversight:record_history" if sees_notes else None
            ),
        )
        return context
