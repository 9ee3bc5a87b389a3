"""The read side of the site: home, the registry, the partnership, agreement and
organization pages, and the methodology page.

Every page starts from ``.public()`` or ``.visible_to(user)``, so an anonymous reader
sees exactly what the API and the feeds publish, and a signed-in member of a party
sees their own restricted records as on the partnership page.

Withheld values: whoever may not see a record's private side (the public, and a staff
member previewing the public page) gets each record masked (``publication.withholding``)
before a template sees it, so a withheld value is not in the HTML at all; the template
shows "Withheld — <reason>" in its place. Those who see the private side get the value
and a "Withheld from the public" marker.

A retracted record answers 410 with a stub (title, dates, the retraction); an embargoed
one its editors announced, a stub with the date it will be published.
"""

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.db.models import F, Model, Prefetch, Q
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, TemplateView

from agreements import permissions as agreement_permissions
from agreements import revisions, risk
from agreements.models import Agreement, AgreementDocument, DataSharingTerm, RiskLevel
from audit.chain import audit_chain_head
from audit.views import change_history_context
from core import keyset
from oversight import permissions as oversight_permissions
from oversight.models import (
    DECLARATION_EXPLANATIONS,
    DPIA_VALID_FOR,
    REVIEW_INDEPENDENCE,
    Flag,
    Review,
)
from oversight.rules import FLAG_RULES
from partnerships import permissions
from partnerships.models import Organization, Partnership, PartnershipParty, Visibility
from partnerships.querysets import public_values, sees_every_record
from publication.choices import (
    REASON_EXPLANATIONS,
    STATE_EXPLANATIONS,
    PublicationStatus,
    WithholdingReason,
)
from publication.models import Withholding, open_revision
from publication.withholding import mask

from . import registry
from .api.partnerships import partnership_queryset
from .filters import PartnershipFilter
from .incidents import incidents_on, record_incident_url
from .maps import country_map
from .summary import current_figures, current_registry_facets

# Withheld values ------------------------------------------------------------------------


def _of_model(model: type[Model]) -> Q:
    # Through the join to the content type rather than its id, so that the query is the
    # same one whether the content types are cached yet or not (a page's count is fixed).
    return Q(
        content_type__app_label=model._meta.app_label,
        content_type__model=model._meta.model_name,
    )


def present_withheld(groups: list[tuple[type[Model], list]], *, as_public: bool) -> None:
    """Tell every record a page shows which of its fields are withheld (``record.withheld``,
    ``{field: withholding}``), in one query whatever their number and kinds; ``groups`` is
    ``[(model, records)]``. For the public each withheld field is also emptied on the
    instance (``publication.withholding.mask``), so that no template can show it."""
    condition = Q()
    for model, records in groups:
        if records:
            condition |= _of_model(model) & Q(object_id__in=[record.pk for record in records])
    found: dict[tuple, dict[str, Withholding]] = defaultdict(dict)
    if condition:
        for withholding in Withholding.objects.filter(condition).select_related("content_type"):
            content_type = withholding.content_type
            key = (content_type.app_label, content_type.model, withholding.object_id)
            found[key][withholding.field] = withholding
    for model, records in groups:
        for record in records:
            withheld = found.get((model._meta.app_label, model._meta.model_name, record.pk), {})
            if as_public:
                mask(record, withheld)
            else:
                record.withheld = withheld


def withheld_subquery(model: type[Model], field: str):
    """The ids of the records of ``model`` whose ``field`` is withheld (a subquery)."""
    return Withholding.objects.filter(_of_model(model), field=field).values("object_id")


# The fields of its agreement each kind of flag quotes in its text (``FlagRule.fields``;
# "independent_auditor__name" quotes the auditor).
FLAG_QUOTES = {rule.kind: {name.split("__")[0] for name in rule.fields} for rule in FLAG_RULES}


def withhold_flag_details(agreement: Agreement, *, as_public: bool) -> None:
    """A flag whose text quotes a withheld field of its agreement (the auditor's name, the
    expiry date) carries that withholding (``flag.withheld["detail"]``); for the public its
    text is removed. Call after ``present_withheld``."""
    for flag in agreement.flags.all():
        quoted = sorted(FLAG_QUOTES.get(flag.kind, set()) & agreement.withheld.keys())
        if quoted:
            flag.withheld = {"detail": agreement.withheld[quoted[0]]}
            if as_public:
                flag.detail = flag.text = ""


# The preview of a record's changes waiting for approval (``StubMixin.revision_preview``).
PREVIEW_REVISION = "revision"


def reading_as(request, private: bool) -> tuple[bool, bool]:
    """``(preview, as_public)``: ``?preview=public`` shows those who see a record's private
    side the page the public will see once it is published; for anyone else it changes
    nothing (they see the public page already)."""
    preview = private and request.GET.get("preview") in ("public", PREVIEW_REVISION)
    return preview, preview or not private


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
        audited = Agreement.objects.visible_to(user).filter(independent_auditor=organization)
        if not sees_every_record(user):
            # An agreement whose auditor is withheld is listed only to those who see its
            # private side (``permissions.can_see_private_records``): its parties' members.
            of_member = Partnership.objects.none()
            if user.is_authenticated:
                of_member = Partnership.objects.with_member(user)
            audited = audited.exclude(
                Q(pk__in=withheld_subquery(Agreement, "independent_auditor"))
                & ~Q(partnership__in=of_member)
            )
        audited = list(
            audited.with_risk_level()
            .select_related("partnership")
            .order_by("partnership__title", "title")
        )
        if user.is_authenticated:
            # A withheld auditor left in the list is one its reader may see: the marker.
            present_withheld([(Agreement, audited)], as_public=False)
        context.update(
            roles=PartnershipParty.objects.filter(
                organization=organization, partnership__in=visible
            )
            .select_related("partnership")
            .prefetch_related("partnership__focus_areas")
            .order_by("partnership__title"),
            audited=audited,
            reviews=Review.objects.visible_to(user)
            .filter(reviewer=organization)
            .with_reviewer_independence()
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
            surveillance_table=[
                row
                for row in risk.surveillance_table()
                if row[0] != DataSharingTerm.SurveillancePractice.NONE.label
            ],
            # In the order of Flag.Kind; a kind without a rule shows as such (and fails a test).
            flag_rules=[(kind, label, rules.get(kind)) for kind, label in Flag.Kind.choices],
            dpia_valid_months=DPIA_VALID_FOR.months + 12 * DPIA_VALID_FOR.years,
            review_independence=REVIEW_INDEPENDENCE,
            declarations=[
                (Review.ConflictOfInterest(value).label, text)
                for value, text in DECLARATION_EXPLANATIONS.items()
            ],
            in_force=[Agreement.Status(status).label.lower() for status in Agreement.IN_FORCE],
            licence_name=settings.DATA_LICENCE_NAME,
            licence_url=settings.DATA_LICENCE_URL,
            audit_head=audit_chain_head(),
            publication_states=[
                (PublicationStatus(state).label, text) for state, text in STATE_EXPLANATIONS.items()
            ],
            withholding_reasons=[
                (reason.value, reason.label, REASON_EXPLANATIONS[reason])
                for reason in WithholdingReason
            ],
        )
        return context


# The registry ---------------------------------------------------------------------------

REGISTRY_PAGE_SIZE = 25


class RegistryView(TemplateView):
    """The public registry: the API's filters, search and ordering, on a page, with the
    number of partnerships beside each option of the filters (``public.registry``).

    A bad filter value shows the page (400) with a message naming the filter, and no
    results rather than results the reader did not ask for. A submitted form's empty
    values are dropped by a redirect to the clean address; a parameter the registry does
    not take is named in a notice.
    """

    template_name = "partnerships/partnership_list.html"

    def get(self, request, *args, **kwargs):
        if registry.has_empty_values(request.GET):
            query = registry.without_empty_values(request.GET)
            return HttpResponseRedirect(f"{request.path}?{query}" if query else request.path)
        context = self.get_context_data(**kwargs)
        status = 400 if context["filter_errors"] else 200
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        queryset = partnership_queryset()
        filterset = PartnershipFilter(params, queryset=queryset)
        valid = filterset.is_valid()
        partnerships = filterset.qs if valid else Partnership.objects.none()
        page, page_error = registry_page(partnerships, params)
        rows = page.rows
        attach_registry_facts(rows)
        # The registry is the public list (its CSV and API links too), for everyone.
        present_withheld([(Partnership, rows)], as_public=True)
        label_registry_rows(rows)
        filters = PartnershipFilter.base_filters
        errors = [
            (filters[name].label if name in filters else name, name, messages)
            for name, messages in filterset.errors.items()
        ]
        if page_error:
            errors.append(page_error)
        count = keyset.cheap_count(partnerships, with_ids=True)
        # With a bad value, the options without their counts (of the whole registry).
        facets = registry.facets(
            filterset if valid else PartnershipFilter(QueryDict(), queryset=queryset),
            count,
            stored=current_registry_facets,
        )
        fields = registry.panel_fields(params, facets, filterset.errors, counted=valid)
        query = registry.registry_query(params)
        export_query = registry.registry_query(params, drop=("page", "format"))
        api = reverse("api:partnership-list")
        context.update(
            main_fields=[f for f in fields if not f.spec.more],
            more_fields=[f for f in fields if f.spec.more],
            more_open=any(f.active or f.errors for f in fields if f.spec.more),
            active_filters=sum(f.active for f in fields),
            ordering=params.get("ordering", ""),
            headers=registry.headers(params, self.request.path, valid=valid),
            # Some options shown without their count (``registry.facets``).
            counts_left_out=valid and facets.uncounted,
            counted_up_to=registry.FACETS_COUNTED_UP_TO,
            unknown_parameters=registry.unknown_parameters(params),
            filter_errors=errors,
            partnerships=rows,
            page_obj=page,
            count=count,
            page_count=max(1, -(-count.value // REGISTRY_PAGE_SIZE)),
            query=query,
            permalink=f"{self.request.path}?{query}" if query else self.request.path,
            api_url=f"{api}?{query}" if query else api,
            csv_url=f"{api}?{urlencode([*parse_qsl(export_query), ('format', 'csv')])}",
            feed_query=urlencode(
                [(k, params[k]) for k in ("region", "focus_area") if params.get(k)]
            ),
            # Beside the unfiltered list only: they match no filter, having no public data.
            announced=[] if query else list(announced_partnerships()),
        )
        return context


def registry_page(partnerships, params) -> tuple[keyset.Page, tuple | None]:
    """The page of the registry the parameters ask for: by ``cursor`` (the previous and
    next links: as cheap at any depth as the first) or by ``page`` number (shallow pages;
    a page number that is not one shows the first page). A cursor not issued for this
    list, or a page number too deep, shows no rows and an error naming the parameter."""
    raw = params.get("page", "")
    number = int(raw) if raw.isdigit() and int(raw) > 0 else None
    try:
        return keyset.page(
            partnerships, size=REGISTRY_PAGE_SIZE, cursor=params.get("cursor"), number=number
        ), None
    except keyset.BadCursor:
        message = "This is not a link to a page of this list: start again from the first page."
        return keyset.Page([], None, None, None), ("Page", "cursor", [message])
    except keyset.PageTooDeep as error:
        message = (
            f"Page numbers reach {error.last_page}; to read further, use the Next page links "
            "(or narrow the list with the filters)."
        )
        return keyset.Page([], None, None, None), ("Page", "page", [message])


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
    # One badge per kind of open flag, linking to the earliest flag of that kind.
    flags = defaultdict(dict)
    for flag in (
        Flag.objects.open()
        .filter(agreement__in=Agreement.objects.public(), agreement__partnership__in=ids)
        .annotate(partnership_id=F("agreement__partnership"))
        .only("pk", "kind", "resolved_at")
        .order_by("pk")
    ):
        flags[flag.partnership_id].setdefault(flag.kind, flag)
    # Each label once (``get_kind_display`` looks through every choice at each call).
    kind_labels = {kind: str(label) for kind, label in Flag.Kind.choices}
    for partnership in partnerships:
        partnership.party_list = parties[partnership.pk]
        partnership.focus_area_list = areas[partnership.pk]
        partnership.open_flags = sorted(
            flags[partnership.pk].values(), key=lambda flag: kind_labels.get(flag.kind, flag.kind)
        )


def _choice_labels(model: type[Model], name: str) -> dict:
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def label_registry_rows(partnerships: list) -> None:
    """Each partnership's region and status, and its parties' roles, as the page names them
    (``region_label``...): each label translated once for the page, where
    ``get_FIELD_display`` translates every choice of the field at each call."""
    regions = _choice_labels(Partnership, "region")
    statuses = _choice_labels(Partnership, "status")
    roles = _choice_labels(PartnershipParty, "role")
    for partnership in partnerships:
        partnership.region_label = regions.get(partnership.region, partnership.region)
        partnership.status_label = statuses.get(partnership.status, partnership.status)
        for party in partnership.party_list:
            party.role_label = roles.get(party.role, party.role)


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
        # The records whose value is withheld are counted, but cannot be looked up by it.
        if key == "withheld":
            return ""
        return f"{registry}?{urlencode({param: key})}"

    partnerships, flags = figures["partnerships"], figures["flags"]
    return [
        HomeChart(
            "region",
            _("Partnerships by region"),
            [_("Partnerships")],
            [
                (r["label"], [r["count"]], link("region", r["key"]))
                for r in partnerships["by_region"]
            ],
        ),
        HomeChart(
            "focus-area",
            _("Partnerships by focus area"),
            [_("Partnerships")],
            [
                (r["label"], [r["count"]], link("focus_area", r["key"]))
                for r in partnerships["by_focus_area"]
            ],
            horizontal=True,
        ),
        HomeChart(
            "year",
            _("Partnerships by year established"),
            [_("Partnerships")],
            [(r["label"], [r["count"]], "") for r in partnerships["by_year_established"]],
        ),
        HomeChart(
            "open-flags",
            _("Open flags by kind"),
            [_("Open flags")],
            [(r["label"], [r["count"]], link("flag", r["key"])) for r in flags["open_by_kind"]],
            horizontal=True,
        ),
        HomeChart(
            "flags-by-month",
            _("Flags raised and closed per month"),
            [_("Raised"), _("Closed")],
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
        figures = current_figures()
        share = figures["agreements"]["share_active_with_independent_auditor"]
        context.update(
            figures=figures,
            auditor_share=None if share is None else round(share * 100),
            charts=home_charts(figures),
            country_map=country_map(figures.get("by_country", {})),
            announced=list(announced_partnerships()),
        )
        return context


# Retracted and announced records --------------------------------------------------------

RETRACTED = PublicationStatus.RETRACTED
EMBARGOED = PublicationStatus.EMBARGOED
PUBLISHED = PublicationStatus.PUBLISHED
ANNOUNCED_SHOWN = 20


def announced_embargo() -> Q:
    """Q: approved under an embargo its editors chose to announce."""
    return Q(publication_status=EMBARGOED, embargo_announced=True)


def announced_partnerships():
    """Partnerships under an announced embargo, soonest first (indefinite ones last): the
    public sees their title and the date they will be published, nothing else."""
    return (
        Partnership.objects.filter(announced_embargo(), visibility=Visibility.PUBLIC)
        .only("title", "slug", "embargoed_until", "embargo_indefinite")
        .order_by(F("embargoed_until").asc(nulls_last=True), "title")[:ANNOUNCED_SHOWN]
    )


def announced_agreements(partnership: Partnership):
    """The partnership's agreements under an announced embargo: their title and the date
    they will be published, nothing else."""
    return (
        partnership.agreements.filter(announced_embargo(), visibility=Visibility.PUBLIC)
        .only("title", "embargoed_until", "embargo_indefinite", "partnership_id")
        .order_by(F("embargoed_until").asc(nulls_last=True), "title")
    )


@dataclass
class Stub:
    """What the public is shown of a record it may not see in full: ``state`` is retracted
    or embargoed, as ``source`` says (the record itself, or for an agreement retracted
    with its partnership, the partnership)."""

    record: Partnership | Agreement
    state: str
    source: Partnership | Agreement


def partnership_stub(slug: str) -> Stub | None:
    partnership = Partnership.objects.filter(
        Q(publication_status=RETRACTED) | announced_embargo(),
        slug=slug,
        visibility=Visibility.PUBLIC,
    ).first()
    if partnership is None:
        return None
    return Stub(partnership, partnership.publication_status, partnership)


def agreement_stub(pk: int) -> Stub | None:
    """An agreement the public knew: retracted, or published in a partnership since
    retracted, or announced under embargo in a published partnership."""
    agreement = (
        Agreement.objects.select_related("partnership")
        .filter(pk=pk, visibility=Visibility.PUBLIC, partnership__visibility=Visibility.PUBLIC)
        .first()
    )
    if agreement is None:
        return None
    own, of_partnership = agreement.publication_status, agreement.partnership.publication_status
    if own == RETRACTED and of_partnership in (PUBLISHED, RETRACTED):
        return Stub(agreement, RETRACTED, agreement)
    if own == PUBLISHED and of_partnership == RETRACTED:
        return Stub(agreement, RETRACTED, agreement.partnership)
    if own == EMBARGOED and agreement.embargo_announced and of_partnership == PUBLISHED:
        return Stub(agreement, EMBARGOED, agreement)
    return None


# The dates a retracted record's stub keeps.
STUB_DATES = {
    Partnership: ((_("Established"), "established_on"), (_("Ended"), "ended_on")),
    Agreement: (
        (_("Signed"), "signed_on"),
        (_("In effect from"), "effective_from"),
        (_("Expires"), "expires_on"),
    ),
}
DATE_FORMATS = {
    Partnership.DatePrecision.YEAR: "Y",
    Partnership.DatePrecision.MONTH: "YEAR_MONTH_FORMAT",
    Partnership.DatePrecision.DAY: "DATE_FORMAT",
}


def render_stub(request, stub: Stub):
    """A retracted record: 410 Gone, its title, dates (the withheld ones as such) and the
    retraction. An announced embargo: its title and the date it will be published."""
    record, retracted = stub.record, stub.state == RETRACTED
    dates = []
    if retracted:
        mask(record)
        for label, name in STUB_DATES[type(record)]:
            value, withholding = getattr(record, name), record.withheld.get(name)
            date_format = "DATE_FORMAT"
            if name == "established_on":
                date_format = DATE_FORMATS.get(record.established_precision, date_format)
            if value or withholding:
                dates.append((label, value, date_format, withholding))
    context = {
        "record": record,
        "kind": record._meta.verbose_name,
        "retracted": retracted,
        "source": stub.source,
        "of_partnership": stub.source is not record,
        "dates": dates,
        "as_public": True,
    }
    return render(request, "public/record_stub.html", context, status=410 if retracted else 200)


class StubMixin:
    """A record the reader may not see is a 404, unless the public knew it: then its stub
    (``render_stub``). Those who see the record get the full page, its state shown."""

    def stub(self, **kwargs) -> Stub | None:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            stub = self.stub(**kwargs)
            if stub is None:
                raise
            return render_stub(request, stub)
        if request.GET.get("preview") == PREVIEW_REVISION:
            preview = self.revision_preview(self.object)
            if preview is not None:
                return preview
        return self.render_to_response(self.get_context_data(object=self.object))

    def revision_preview(self, record):
        """``?preview=revision``: the public page as it will be once the record's changes
        waiting for approval are approved, for those who see its private side (the
        changes are applied in a transaction that is rolled back). None when there is
        nothing to preview (the page is then shown as it is)."""
        partnership = record if isinstance(record, Partnership) else record.partnership
        if not permissions.can_see_private_records(self.request.user, partnership):
            return None
        revision = open_revision(record)
        if revision is None or not revision.is_pending:
            return None

        def render():
            self.object = self.get_object()
            return self.render_to_response(self.get_context_data(object=self.object)).render()

        return revisions.revision_preview(revision, render)


# The partnership and agreement pages ---------------------------------------------


def page_agreements(partnership: Partnership, *, private: bool, preview: bool):
    """The partnership's agreements its page shows, with everything the page shows of them
    (their risk level, whether their auditor and each of their reviewers is independent of
    the parties), in a fixed number of queries whatever their number.

    Those who see the partnership's private side see all of them (``visible_to`` gives
    them every agreement of such a partnership); the public the public ones; a preview
    those that are public or will be once the partnership is published."""
    if preview:
        agreements = Agreement.objects.filter(**public_values())
    elif private:
        agreements = Agreement.objects.all()
    else:
        agreements = Agreement.objects.public()
    documents = AgreementDocument.objects.select_related("uploaded_by").order_by("-version")
    if preview or not private:
        documents = documents.public()
    return (
        agreements.filter(partnership=partnership)
        .with_risk_level()
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


def present_agreements(
    agreements: list[Agreement], documents: list, *, as_public: bool, partnership=None
) -> None:
    """Withheld values of the agreements, of their terms, ``documents`` and reviews (and of
    their ``partnership`` when given), in one query; and of the flags that quote them."""
    partnerships = [partnership] if partnership is not None else []
    present_withheld(
        [
            (Partnership, partnerships),
            (Agreement, agreements),
            (DataSharingTerm, [t for a in agreements for t in a.data_sharing_terms.all()]),
            (AgreementDocument, documents),
            (Review, [r for a in agreements for r in a.reviews.all()]),
        ],
        as_public=as_public,
    )
    for agreement in agreements:
        withhold_flag_details(agreement, as_public=as_public)


def is_citable(partnership: Partnership, *, preview: bool) -> bool:
    """Whether the page offers the partnership's API links and citation: when the public
    may reach it (or will, in a preview)."""
    return partnership.visibility == Visibility.PUBLIC and (partnership.is_published or preview)


def api_links(partnership: Partnership) -> list[tuple[str, str]]:
    """The same record in the public API, and its agreements as JSON and CSV."""
    agreements = reverse("api:agreement-list") + "?" + urlencode({"partnership": partnership.slug})
    return [
        (
            _("This partnership in the API (JSON)"),
            reverse("api:partnership-detail", args=[partnership.pk]),
        ),
        (_("Its public agreements in the API (JSON)"), agreements),
        (_("Download its public agreements as CSV"), f"{agreements}&format=csv"),
    ]


class PartnershipDetailView(StubMixin, DetailView):
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

    def stub(self, **kwargs):
        return partnership_stub(kwargs["slug"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, partnership = self.request.user, self.object
        private = permissions.can_see_private_records(user, partnership)
        preview, as_public = reading_as(self.request, private)
        parties = list(partnership.parties.all())
        if as_public:
            # Proposed organizations are published once an administrator confirms them.
            parties = [p for p in parties if p.organization.is_confirmed]
        agreements = with_open_flags(page_agreements(partnership, private=private, preview=preview))
        present_agreements(
            agreements,
            [d for a in agreements for d in a.documents.all()],
            as_public=as_public,
            partnership=partnership,
        )
        sees_notes = not preview and permissions.can_see_review_notes(user)
        citable = is_citable(partnership, preview=preview)
        context.update(
            parties=parties,
            agreements=agreements,
            can_edit=not preview and permissions.can_edit_partnership(user, partnership),
            sees_private=not as_public,
            sees_review_notes=sees_notes,
            preview=preview,
            as_public=as_public,
            citable=citable,
            missing_roles=partnership.missing_party_roles(),
            # The public learns of an embargoed agreement only if its editors announce it.
            announced_agreements=list(announced_agreements(partnership)) if as_public else [],
            api_links=api_links(partnership) if citable else [],
            incidents=incidents_on(Agreement.objects.filter(partnership=partnership)),
            # The same people see the full history as the reviewers' notes.
            **change_history_context(
                partnership, full_history="oversight:record_history" if sees_notes else None
            ),
        )
        return context


def link_previous_versions(documents: list, *, as_public: bool) -> None:
    """Set ``previous_readable`` on each of ``documents`` (newest first) whose reader may
    compare it with an older one: the next older version whose text is not withheld from
    them (the document list's "Compare with the previous version")."""
    readable = [d for d in documents if not (as_public and d.withheld.get("file"))]
    for newer, older in zip(readable, readable[1:], strict=False):
        newer.previous_readable = older


class AgreementDetailView(StubMixin, DetailView):
    template_name = "agreements/agreement_detail.html"

    def get_queryset(self):
        return (
            Agreement.objects.visible_to(self.request.user)
            .with_risk_level()
            .select_related("partnership", "independent_auditor", "supersedes__partnership")
            .prefetch_related(
                Prefetch("data_sharing_terms", queryset=DataSharingTerm.objects.order_by("pk")),
                Prefetch("flags", queryset=Flag.objects.order_by("-raised_at")),
                Prefetch(
                    "reviews",
                    queryset=Review.objects.with_reviewer_independence()
                    .select_related("reviewer")
                    .prefetch_related("findings"),
                ),
                "signings__organization",
                "sources",
                Prefetch(
                    "partnership__parties",
                    queryset=PartnershipParty.objects.select_related("organization"),
                ),
            )
        )

    def stub(self, **kwargs):
        return agreement_stub(kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, agreement = self.request.user, self.object
        private = permissions.can_see_private_records(user, agreement.partnership)
        preview, as_public = reading_as(self.request, private)
        documents = agreement.documents.select_related("uploaded_by").order_by("-version")
        if as_public:
            documents = documents.public()
        documents = list(documents)
        present_agreements([agreement], documents, as_public=as_public)
        link_previous_versions(documents, as_public=as_public)
        supersedes = agreement.supersedes
        if as_public and supersedes is not None and not supersedes.is_public():
            supersedes = None  # not even its title: it is not public
        sees_notes = not preview and permissions.can_see_review_notes(user)
        context.update(
            documents=documents,
            supersedes=supersedes,
            can_edit=not preview and agreement_permissions.can_edit_agreement(user, agreement),
            can_assign_auditor=not preview
            and agreement_permissions.can_assign_auditor(user, agreement),
            can_record_review=not preview
            and oversight_permissions.can_record_review(user, agreement),
            incidents=incidents_on(Agreement.objects.filter(pk=agreement.pk)),
            record_incident_url=None if preview else record_incident_url(user, agreement),
            sees_private=not as_public,
            sees_review_notes=sees_notes,
            preview=preview,
            as_public=as_public,
            # The same people see the full history as the reviewers' notes.
            **change_history_context(
                agreement, full_history="oversight:record_history" if sees_notes else None
            ),
        )
        return context
