"""The staff pages of incidents: recording and editing them, and their way through the
publication workflow.

An incident is found through ``Incident.objects.visible_to(user)`` (404 otherwise);
``permissions.py`` decides who may change it (403 otherwise); every write is a service of
``services.py``. Anonymous users are sent to the login page.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views import View

from core.views import add_service_errors
from publication.models import open_revision
from publication.withholding import withheld_fields

from . import permissions, services
from .forms import (
    IncidentForm,
    IncidentSourceForm,
    RetractForm,
    SendBackForm,
    WithholdForm,
    field_label,
)
from .models import Incident


class StaffView(LoginRequiredMixin, View):
    """A staff page of one incident the user sees (``self.incident``)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if "pk" in kwargs:
            self.incident = get_object_or_404(
                Incident.objects.visible_to(request.user), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)


class IncidentManageListView(StaffView):
    """The incidents the user may edit or approve, newest first."""

    def get(self, request):
        if not permissions.can_record_incident(request.user):
            raise PermissionDenied(gettext("Only editors record incidents."))
        agreements = permissions.recordable_agreements(request.user)
        incidents = (
            Incident.objects.visible_to(request.user)
            .filter(agreements__in=agreements)
            .distinct()
            .order_by("-discovered_at", "-pk")[:200]
        )
        return render(request, "incidents/incident_manage.html", {"incidents": incidents})


class IncidentFormView(StaffView):
    template_name = "incidents/incident_form.html"

    def build(self, data=None, instance=None):
        agreements = permissions.recordable_agreements(self.request.user)
        form = IncidentForm(data, instance=instance, agreements=agreements)
        source_form = IncidentSourceForm(data)
        return form, source_form

    def render_forms(self, form, source_form, **context):
        return render(
            self.request,
            self.template_name,
            {"form": form, "source_form": source_form, **context},
        )

    def save_source(self, incident, source_form):
        if source_form.has_source():
            services.incident_source_add(
                incident=incident, actor=self.request.user, data=source_form.cleaned_data
            )


class IncidentCreateView(IncidentFormView):
    """Record an incident on agreements of one's own partnerships (an oversight editor: on
    any agreement). ``?agreement=<id>`` chooses one."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_record_incident(request.user):
            raise PermissionDenied(gettext("Only editors record incidents."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form, source_form = self.build()
        chosen = request.GET.get("agreement", "")
        if chosen.isdigit():
            form.initial["agreements"] = [int(chosen)]
        return self.render_forms(form, source_form)

    def post(self, request):
        form, source_form = self.build(request.POST)
        source_ok = not source_form.has_source() or source_form.is_valid()
        if form.is_valid() and source_ok:
            try:
                incident = services.incident_record(
                    actor=request.user,
                    agreements=form.cleaned_data["agreements"],
                    data=form.service_data(),
                )
                self.save_source(incident, source_form)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, gettext("Incident recorded as a draft."))
                return redirect("incidents:detail", pk=incident.pk)
        return self.render_forms(form, source_form)


class IncidentEditView(IncidentFormView):
    """Edit an incident; an approved one's edit waits for approval as a revision."""

    def check(self):
        if not permissions.can_edit_incident(self.request.user, self.incident):
            raise PermissionDenied(services.REFUSED)

    def get(self, request, pk):
        self.check()
        form, source_form = self.build(instance=self.incident)
        return self.render_forms(form, source_form, incident=self.incident)

    def post(self, request, pk):
        self.check()
        form, source_form = self.build(request.POST, instance=self.incident)
        source_ok = not source_form.has_source() or source_form.is_valid()
        if form.is_valid() and source_ok:
            try:
                result = services.incident_update(
                    incident=Incident.objects.get(pk=pk),
                    actor=request.user,
                    agreements=form.cleaned_data["agreements"],
                    data=form.service_data(),
                    form_data=request.POST,
                )
                self.save_source(self.incident, source_form)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if isinstance(result, Incident):
                    messages.success(request, gettext("Incident saved."))
                else:
                    messages.success(
                        request,
                        gettext(
                            "Your change waits for approval; the public sees the approved "
                            "version until then."
                        ),
                    )
                return redirect("incidents:detail", pk=pk)
        return self.render_forms(form, source_form, incident=self.incident)


class IncidentStaffDetailView(StaffView):
    """An incident as its editors and approvers see it: every value, what is withheld, and
    the workflow's next steps."""

    def get(self, request, pk):
        incident = self.incident
        user = request.user
        # Whoever sees the incident (``visible_to``) sees this page; its buttons are theirs
        # only if they may take the step.
        can_edit = permissions.can_edit_incident(user, incident)
        can_approve = permissions.can_approve_incident(user, incident)
        revision = open_revision(incident)
        # Marked, not masked: the staff page shows every value and what is withheld.
        incident.withheld = withheld_fields(incident)
        return render(
            request,
            "incidents/incident_staff.html",
            {
                "incident": incident,
                # Each withheld value, named in the reader's language.
                "withheld": [
                    (field_label(name), withholding)
                    for name, withholding in incident.withheld.items()
                ],
                "agreements": incident.agreements.select_related("partnership"),
                "can_edit": can_edit,
                "can_approve": can_approve,
                "revision": revision,
                "can_approve_revision": revision is not None
                and revision.is_pending
                and permissions.can_approve_incident(user, incident, revision.proposed_by),
                "send_back_form": SendBackForm(),
            },
        )


class StepView(StaffView):
    """A workflow step posted from the incident's staff page."""

    http_method_names = ["post"]

    def allowed(self, user) -> bool:
        return permissions.can_edit_incident(user, self.incident)

    def post(self, request, pk):
        if not self.allowed(request.user):
            raise PermissionDenied(gettext("You may not take this step."))
        try:
            message = self.step(request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, message)
        return redirect("incidents:detail", pk=pk)


class IncidentSubmitView(StepView):
    def step(self, request):
        services.incident_submit(incident=self.incident, actor=request.user)
        return gettext("Submitted for publication: someone else approves it.")


class IncidentApproveView(StepView):
    def allowed(self, user) -> bool:
        return permissions.can_approve_incident(user, self.incident)

    def step(self, request):
        services.incident_approve(incident=self.incident, actor=request.user)
        return gettext("Approved and published.")


class IncidentRevisionApproveView(StepView):
    def allowed(self, user) -> bool:
        revision = open_revision(self.incident)
        proposer = revision.proposed_by if revision is not None else None
        return permissions.can_approve_incident(user, self.incident, proposer)

    def step(self, request):
        revision = open_revision(self.incident)
        if revision is None or not revision.is_pending:
            raise ValidationError(gettext("There is no change waiting for approval."))
        form = IncidentForm(
            revision.submitted(),
            instance=Incident.objects.get(pk=self.incident.pk),
            agreements=permissions.recordable_agreements(revision.proposed_by),
        )
        if not form.is_valid():
            raise ValidationError(
                gettext("The change no longer fits the incident: send it back to its editor.")
            )
        services.incident_revision_approve(
            revision=revision,
            incident=self.incident,
            actor=request.user,
            agreements=form.cleaned_data["agreements"],
            data=form.service_data(),
        )
        return gettext("The change is approved and public.")


class FormStepView(StaffView):
    """A workflow step with a form of its own (a comment, a reason)."""

    form_class = None
    template_name = "incidents/incident_step.html"
    heading = ""

    def check(self):
        pass

    def render_form(self, form):
        return render(
            self.request,
            self.template_name,
            {"incident": self.incident, "form": form, "heading": self.heading},
        )

    def get(self, request, pk):
        self.check()
        return self.render_form(self.form_class())

    def post(self, request, pk):
        self.check()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                message = self.step(form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, message)
                return redirect("incidents:detail", pk=pk)
        return self.render_form(form)


class IncidentSendBackView(FormStepView):
    form_class = SendBackForm
    heading = gettext_lazy("Send back to its editors")

    def check(self):
        if not permissions.can_approve_incident(self.request.user, self.incident):
            raise PermissionDenied(gettext("You may not decide on this submission."))

    def step(self, data):
        services.incident_send_back(
            incident=self.incident, actor=self.request.user, comment=data["comment"]
        )
        return gettext("Sent back to its editors.")


class IncidentRetractView(FormStepView):
    form_class = RetractForm
    heading = gettext_lazy("Retract the incident")

    def check(self):
        if not permissions.can_edit_incident(self.request.user, self.incident):
            raise PermissionDenied(services.REFUSED)

    def step(self, data):
        services.incident_retract(
            incident=self.incident, actor=self.request.user, reason=data["reason"]
        )
        return gettext("Retracted: a stub with the reason stays public.")


class IncidentWithholdView(FormStepView):
    form_class = WithholdForm
    heading = gettext_lazy("Withhold a value from the public")

    def check(self):
        if not permissions.can_edit_incident(self.request.user, self.incident):
            raise PermissionDenied(services.REFUSED)

    def step(self, data):
        services.incident_withhold(incident=self.incident, actor=self.request.user, **data)
        return gettext("The value is withheld from the public.")
