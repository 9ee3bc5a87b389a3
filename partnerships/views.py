"""The staff pages that create and edit partnerships and their parties.

Every view that shows a partnership starts from ``Partnership.objects.visible_to(user)``,
so a partnership the user may not see is a 404; ``permissions.py`` then decides
whether they may change it (403 if not). Anonymous users are sent to the login page
from every staff page.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import CreateView, FormView, UpdateView

from core.views import add_service_errors, is_htmx, safe_next
from publication.choices import APPROVED_STATES, PublicationStatus
from publication.models import open_revision

from . import permissions, services
from .forms import (
    OrganizationIdentifiersForm,
    OrganizationProposeForm,
    PartnershipCreateForm,
    PartnershipForm,
    PartyAddForm,
    SourceForm,
)
from .models import Organization, Partnership, Source

SEARCH_LIMIT = 20

# Told to an editor whose change of a submitted record made it a draft again.
# An edit of an approved record waits for approval (``services.change_or_propose``).
PROPOSED = _(
    "Your changes wait for approval: the public sees the record as it was approved until "
    "an editor of another party (or, where no other party has an editor, of an oversight "
    "body) approves them. Editing again replaces them."
)

WITHDRAWN = _(
    "It was submitted for publication and is a draft again, so that the approver sees "
    "what will be published: submit it again when it is ready."
)


def and_withdrawn(message: str, *, was_submitted: bool) -> str:
    """``message``, followed by ``WITHDRAWN`` when the change made a submitted record a
    draft again."""
    return f"{message} {WITHDRAWN}" if was_submitted else str(message)


def search_organizations(user, query: str, *, exclude=()):
    """Organizations whose name contains ``query``, for choosing a party; ``exclude`` holds
    the ids of organizations already chosen."""
    query = query.strip()
    if len(query) < 2:
        return Organization.objects.none()
    return (
        Organization.objects.selectable_by(user)
        .filter(name__icontains=query)
        .exclude(pk__in=[pk for pk in exclude if pk])
        .order_by("name")[:SEARCH_LIMIT]
    )


class PartnershipCreateView(LoginRequiredMixin, CreateView):
    """A new partnership, with the editor's organization as a party.

    The other party is chosen by searching: with htmx the results appear while typing;
    without JavaScript the "Search" button submits the form, which comes back with
    everything typed kept and the results to choose from.
    """

    form_class = PartnershipCreateForm
    template_name = "partnerships/partnership_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_create_partnership(request.user):
            raise PermissionDenied(
                gettext("Only editors of an NGO or police agency create partnerships.")
            )
        return super().dispatch(request, *args, **kwargs)

    def acting_for(self):
        return permissions.organizations_acting_for(self.request.user)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, acting_for=self.acting_for())
        return kwargs

    def post(self, request, *args, **kwargs):
        self.object = None
        if "search" in request.POST:
            # No-JS fallback of the search: show the results, keep what was typed.
            form = self.get_form()
            return self.render_to_response(self.get_context_data(form=form, show_errors=False))
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        query = self.request.POST.get("q", "") if self.request.method == "POST" else ""
        own = form["organization"].value()
        chosen = form["party"].value()
        results = list(search_organizations(self.request.user, query, exclude=[own] if own else []))
        selected = None
        if chosen:
            selected = (
                Organization.objects.selectable_by(self.request.user).filter(pk=chosen).first()
            )
            if selected and selected not in results:
                results.insert(0, selected)
        context.update(
            query=query,
            results=results,
            selected_id=str(chosen or ""),
            own_id=str(own or ""),
            creating=True,
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.object = services.partnership_create(
                actor=self.request.user,
                organization=data["organization"],
                data=data,
                focus_areas=data["focus_areas"],
                parties=[(data["party"], data["party_role"])],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext(
                "Partnership “%(title)s” created. It is a draft: only its parties and "
                "oversight see it until you submit it for publication (“Submit for "
                "publication” on its page) and an editor of another party approves it."
            )
            % {"title": self.object},
        )
        return HttpResponseRedirect(self.object.get_absolute_url())


class EditablePartnershipMixin(LoginRequiredMixin):
    """One partnership the user may see (else 404) and edit (else 403)."""

    def get_partnership(self) -> Partnership:
        if not hasattr(self, "_partnership"):
            partnership = get_object_or_404(
                Partnership.objects.visible_to(self.request.user), slug=self.kwargs["slug"]
            )
            if not permissions.can_edit_partnership(self.request.user, partnership):
                raise PermissionDenied(gettext("You may not change this partnership."))
            self._partnership = partnership
        return self._partnership


class PartnershipUpdateView(EditablePartnershipMixin, UpdateView):
    form_class = PartnershipForm
    template_name = "partnerships/partnership_form.html"

    def get_object(self, queryset=None):
        return self.get_partnership()

    def get_revision(self):
        if not hasattr(self, "_revision"):
            self._revision = open_revision(self.object)
        return self._revision

    def get_form_kwargs(self):
        """An approved partnership with changes waiting for approval (or sent back) opens
        the form as its editor submitted it, on a copy: the page's other parts show the
        partnership as approved."""
        kwargs = super().get_form_kwargs()
        revision = self.get_revision()
        if revision is not None and self.request.method == "GET":
            kwargs.update(
                data=revision.submitted(),
                instance=Partnership.objects.get(pk=self.object.pk),
            )
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            revision=self.get_revision(),
            parties=self.object.parties.select_related("organization").order_by(
                "role", "organization__name"
            ),
            party_form=PartyAddForm(user=self.request.user, partnership=self.object),
            editor_org_ids=set(
                permissions.editor_organizations(self.request.user).values_list("pk", flat=True)
            ),
        )
        return context

    def form_valid(self, form):
        was_submitted = self.object.publication_status == PublicationStatus.SUBMITTED
        proposed = self.object.publication_status in APPROVED_STATES
        try:
            services.partnership_update(
                partnership=self.object,
                actor=self.request.user,
                data=form.cleaned_data,
                focus_areas=form.cleaned_data["focus_areas"],
                form_data=self.request.POST,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        if proposed:
            messages.success(self.request, PROPOSED)
        else:
            messages.success(
                self.request,
                and_withdrawn(gettext("Partnership saved."), was_submitted=was_submitted),
            )
        return HttpResponseRedirect(self.object.get_absolute_url())


class PartyAddView(EditablePartnershipMixin, FormView):
    """Add a party. GET searches (the whole page, or only the results for htmx); POST adds."""

    form_class = PartyAddForm
    template_name = "partnerships/partnershipparty_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, partnership=self.get_partnership())
        return kwargs

    def get(self, request, *args, **kwargs):
        partnership = self.get_partnership()
        query = request.GET.get("q", "")
        results = search_organizations(
            request.user, query, exclude=[p.organization_id for p in partnership.parties.all()]
        )
        if is_htmx(request):
            return render(
                request,
                "partnerships/_organization_results.html",
                {"results": results, "query": query, "field_name": "organization"},
            )
        return self.render_to_response(self.get_context_data(query=query, results=results))

    def get_context_data(self, **kwargs):
        kwargs.setdefault("partnership", self.get_partnership())
        return super().get_context_data(**kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form, results=[]))

    def form_valid(self, form):
        partnership = self.get_partnership()
        was_submitted = partnership.publication_status == PublicationStatus.SUBMITTED
        try:
            party = services.party_add(
                partnership=partnership,
                organization=form.cleaned_data["organization"],
                role=form.cleaned_data["role"],
                actor=self.request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        added = gettext("%(organization)s added as %(role)s.") % {
            "organization": party.organization,
            "role": party.get_role_display(),
        }
        messages.success(self.request, and_withdrawn(added, was_submitted=was_submitted))
        return redirect("partnerships:edit", slug=partnership.slug)


class PartyRemoveView(EditablePartnershipMixin, View):
    http_method_names = ["post"]

    def post(self, request, slug, pk):
        partnership = self.get_partnership()
        party = get_object_or_404(partnership.parties.select_related("organization"), pk=pk)
        if not permissions.can_remove_party(request.user, party):
            raise PermissionDenied(gettext("Your own organization stays a party."))
        was_submitted = partnership.publication_status == PublicationStatus.SUBMITTED
        try:
            services.party_remove(party=party, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            removed = gettext("%(organization)s is no longer a party.") % {
                "organization": party.organization
            }
            messages.success(request, and_withdrawn(removed, was_submitted=was_submitted))
        return redirect("partnerships:edit", slug=partnership.slug)


class OrganizationSearchView(LoginRequiredMixin, View):
    """The results of the search-as-you-type party field (an htmx fragment)."""

    http_method_names = ["get"]

    def get(self, request):
        query = request.GET.get("q", "")
        # The user's own organizations are a party already.
        exclude = list(permissions.member_organizations(request.user).values_list("pk", flat=True))
        return render(
            request,
            "partnerships/_organization_results.html",
            {
                "results": search_organizations(request.user, query, exclude=exclude),
                "query": query,
                "field_name": request.GET.get("field", "party"),
            },
        )


class OrganizationProposeView(LoginRequiredMixin, FormView):
    """Propose an organization missing from the registry; an administrator confirms it."""

    form_class = OrganizationProposeForm
    template_name = "partnerships/organization_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_propose_organization(request.user):
            raise PermissionDenied(
                gettext("Only editors of an NGO or police agency propose organizations.")
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("next", safe_next(self.request, ""))
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            organization = services.organization_propose(
                actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext(
                "“%(name)s” proposed. You can choose it as a party now; it is published once a "
                "site administrator confirms it."
            )
            % {"name": organization},
        )
        return HttpResponseRedirect(safe_next(self.request, reverse("partnerships:new")))


# Sources -----------------------------------------------------------------------------
# The same pages for a partnership's sources and an agreement's (``agreements.views``):
# a subclass says which record, with ``get_record()`` (404 if unseen, 403 if not editable).


class SourceViewMixin:
    form_class = SourceForm
    template_name = "partnerships/source_form.html"

    def get_record(self):
        raise NotImplementedError

    def get_source(self) -> Source:
        """One of the record's sources (404 for any other)."""
        if not hasattr(self, "_source"):
            self._source = get_object_or_404(
                self.get_record().sources.all(), pk=self.kwargs["source_pk"]
            )
        return self._source

    def get_context_data(self, **kwargs):
        record = self.get_record()
        kwargs.setdefault("record", record)
        kwargs.setdefault("record_kind", record._meta.verbose_name)
        return super().get_context_data(**kwargs)

    def sources_url(self) -> str:
        return self.get_record().get_absolute_url() + "#sources"


class SourceAddView(SourceViewMixin, FormView):
    """Cite a source: a new one, or one the registry has at this address already."""

    def form_valid(self, form):
        try:
            source, recorded = services.source_add(
                record=self.get_record(), actor=self.request.user, data=form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        if recorded:
            messages.success(
                self.request,
                gettext(
                    "The registry has this address already, as “%(source)s”: that source is "
                    "cited, as it is recorded."
                )
                % {"source": source},
            )
        else:
            messages.success(
                self.request, gettext("Source “%(source)s” added.") % {"source": source}
            )
        return HttpResponseRedirect(self.sources_url())


class SourceEditView(SourceViewMixin, FormView):
    """Correct a source, if every record citing it is one the user edits."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_correct_source(
            request.user, self.get_source()
        ):
            raise PermissionDenied(services.SOURCE_CITED_ELSEWHERE)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        # A copy: the form changes its instance as it validates.
        return {
            **super().get_form_kwargs(),
            "instance": Source.objects.get(pk=self.get_source().pk),
        }

    def get_context_data(self, **kwargs):
        kwargs.setdefault("source", self.get_source())
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            source = services.source_update(
                record=self.get_record(),
                source=self.get_source(),
                actor=self.request.user,
                data=form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, gettext("Source “%(source)s” saved.") % {"source": source})
        return HttpResponseRedirect(self.sources_url())


class SourceRemoveView(SourceViewMixin, View):
    """Stop citing a source on this record (it stays cited by the others)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        source = self.get_source()
        services.source_remove(record=self.get_record(), source=source, actor=request.user)
        messages.success(
            request, gettext("“%(source)s” is no longer cited here.") % {"source": source}
        )
        return HttpResponseRedirect(self.sources_url())


class PartnershipSourceMixin(EditablePartnershipMixin):
    def get_record(self):
        return self.get_partnership()


class PartnershipSourceAddView(PartnershipSourceMixin, SourceAddView):
    pass


class PartnershipSourceEditView(PartnershipSourceMixin, SourceEditView):
    pass


class PartnershipSourceRemoveView(PartnershipSourceMixin, SourceRemoveView):
    pass


# Organizations' identifiers -------------------------------------------------------------


class OrganizationIdentifiersView(LoginRequiredMixin, FormView):
    """An organization's editors change its identifiers (ORI, registration number,
    website)."""

    form_class = OrganizationIdentifiersForm
    template_name = "partnerships/organization_identifiers_form.html"

    def get_organization(self) -> Organization:
        if not hasattr(self, "_organization"):
            organization = get_object_or_404(Organization, slug=self.kwargs["slug"])
            if not permissions.can_edit_organization(self.request.user, organization):
                raise PermissionDenied(services.IDENTIFIERS_REFUSED)
            self._organization = organization
        return self._organization

    def get_form_kwargs(self):
        # A copy: the form changes its instance as it validates.
        copy = Organization.objects.get(pk=self.get_organization().pk)
        return {**super().get_form_kwargs(), "instance": copy}

    def get_context_data(self, **kwargs):
        kwargs.setdefault("organization", self.get_organization())
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        organization = self.get_organization()
        try:
            services.organization_identifiers_update(
                organization=organization, actor=self.request.user, data=form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("The identifiers of %(organization)s are saved.")
            % {"organization": organization},
        )
        if organization.is_confirmed:
            return redirect("public:organization", slug=organization.slug)
        return redirect("accounts:dashboard")
