"""The public pages: the organization page and the methodology page.

Every page starts from ``.public()`` or ``.visible_to(user)``, so an anonymous reader
sees exactly what the API and the feeds publish, and a signed-in member of a party
sees their own restricted records as on the partnership page.
"""

from django.conf import settings
from django.views.generic import DetailView, ListView, TemplateView

from agreements import risk
from agreements.models import Agreement, DataSharingTerm, RiskLevel
from agreements.querysets import DPIA_VALID_FOR
from oversight.models import Flag, Review
from oversight.rules import FLAG_RULES

from .models import Organization, Partnership, PartnershipParty


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
        )
        return context


class HomeView(TemplateView):
    template_name = "home.html"


class RegistryView(ListView):
    """The public registry of partnerships."""

    template_name = "partnerships/partnership_list.html"
    context_object_name = "partnerships"
    paginate_by = 25

    def get_queryset(self):
        return Partnership.objects.public().order_by("title")
