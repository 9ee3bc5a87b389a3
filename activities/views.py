"""The staff pages of joint activities: record one, edit it with its results, and take it
through publication (submit, approve, withhold a value). The public sees activities on the
partnership page (``templatetags/activities.py``) and in the API."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views import View

from agreements.forms import WithholdForm
from core.views import add_service_errors
from partnerships.models import Partnership
from publication.withholding import withheld_by_record

from . import services
from .forms import ActivityForm, result_formset, results_data
from .models import Activity, ActivityResult
from .permissions import can_record_activity, can_see_activity_publication


class ActivityFormView(LoginRequiredMixin, View):
    """Record a partnership's activity (``slug``), or edit one (``pk``), with its results."""

    template_name = "activities/activity_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if "pk" in kwargs:
            self.activity = get_object_or_404(
                Activity.objects.visible_to(request.user).select_related("partnership"),
                pk=kwargs["pk"],
            )
            self.partnership = self.activity.partnership
        else:
            self.activity = None
            self.partnership = get_object_or_404(
                Partnership.objects.visible_to(request.user), slug=kwargs["slug"]
            )
        if not can_record_activity(request.user, self.partnership):
            raise PermissionDenied(services.NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)

    def build(self, data=None):
        form = ActivityForm(data, instance=self.activity, partnership=self.partnership)
        return form, result_formset(data, activity=self.activity)

    def render_forms(self, form, formset):
        context = {
            "partnership": self.partnership,
            "activity": self.activity,
            "form": form,
            "formset": formset,
        }
        return render(self.request, self.template_name, context)

    def get(self, request, **kwargs):
        return self.render_forms(*self.build())

    def post(self, request, **kwargs):
        form, formset = self.build(request.POST)
        if form.is_valid() and formset.is_valid():
            arguments = {
                "actor": request.user,
                "data": form.cleaned_data,
                "organizations": form.cleaned_data["organizations"],
                "results": results_data(formset),
            }
            try:
                if self.activity is None:
                    activity = services.activity_create(partnership=self.partnership, **arguments)
                else:
                    activity = services.activity_update(activity=self.activity, **arguments)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    gettext("Activity “%(title)s” saved as a draft.") % {"title": activity},
                )
                return redirect("activities:publication", pk=activity.pk)
        return self.render_forms(form, formset)


def withhold_targets(activity: Activity, results) -> dict:
    """The values of an activity an editor may withhold (``WithholdForm``'s targets)."""
    targets = {"description": (gettext("Description of the activity"), activity, "description")}
    for result in results:
        label = gettext("Value of “%(name)s”") % {"name": result.name}
        targets[f"result-{result.pk}"] = (label, result, "value")
    return targets


class ActivityPublicationView(LoginRequiredMixin, View):
    """An activity's publication page: where it stands, its withheld values; submit it,
    approve it (another party's editor), withhold a value (``step``)."""

    template_name = "activities/activity_publication.html"
    STEPS = ("submit", "approve", "withhold")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.activity = get_object_or_404(
            Activity.objects.visible_to(request.user).select_related("partnership"),
            pk=kwargs["pk"],
        )
        if not can_see_activity_publication(request.user, self.activity.partnership):
            raise PermissionDenied(gettext("Only the partnership's members see this page."))
        self.results = list(self.activity.results.all())
        return super().dispatch(request, *args, **kwargs)

    def render_page(self, withhold_form=None, status=200):
        withheld = withheld_by_record(Activity, [self.activity.pk]).get(self.activity.pk, {})
        by_result = withheld_by_record(ActivityResult, [r.pk for r in self.results])
        targets = withhold_targets(self.activity, self.results)
        context = {
            "activity": self.activity,
            "partnership": self.activity.partnership,
            "results": [(r, by_result.get(r.pk, {}).get("value")) for r in self.results],
            "withheld_description": withheld.get("description"),
            "withhold_form": withhold_form or WithholdForm(targets=targets),
            "can_edit": can_record_activity(self.request.user, self.activity.partnership),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self.render_page()

    def post(self, request, pk):
        step = request.POST.get("step")
        if step not in self.STEPS:
            return HttpResponseBadRequest(
                gettext("Say which step to take: submit, approve or withhold.")
            )
        actor = request.user
        if step == "withhold":
            form = WithholdForm(request.POST, targets=withhold_targets(self.activity, self.results))
            if not form.is_valid():
                return self.render_page(form)
            record, field = form.cleaned_data["field"]
            try:
                services.activity_withhold(
                    record=record,
                    field=field,
                    reason_code=form.cleaned_data["reason_code"],
                    rationale=form.cleaned_data["rationale"],
                    available_on=form.cleaned_data["available_on"],
                    actor=actor,
                )
            except ValidationError as error:
                add_service_errors(form, error)
                return self.render_page(form)
            messages.success(request, gettext("The value is withheld from the public."))
            return redirect("activities:publication", pk=pk)
        try:
            if step == "submit":
                services.activity_submit(activity=self.activity, actor=actor)
                messages.success(request, gettext("Submitted: another party's editor approves it."))
            else:
                services.activity_approve(activity=self.activity, actor=actor)
                messages.success(request, gettext("Approved: the activity is public."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("activities:publication", pk=pk)
