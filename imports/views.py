"""The import pages: upload a CSV file, read its dry run (the page polls a large file's
progress with htmx), apply it.

Only those who may import reach them (``permissions.can_import``, else 403); a job is its
uploader's (404 for anyone else). A refused file gets the form again with the reason next
to the field and the refusal's status: 413 too large, 415 not a CSV, 400 a CSV that is not
an export's.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, TemplateView

from agreements.views import declared_length
from core.views import is_htmx

from . import permissions, services
from .files import ImportRefused, max_import_bytes, too_large
from .forms import ImportUploadForm
from .models import ImportJob
from .planning import ACTIONS, CHANGE, CREATE, ERROR, REFUSED, UNCHANGED

# The most rows of each kind the page lists; the counts give them all.
SHOWN_ROWS = 200


class ImportMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_import(request.user):
            raise PermissionDenied(services.REFUSED)
        return super().dispatch(request, *args, **kwargs)


class ImportStartView(ImportMixin, FormView):
    """The upload form, with the user's recent imports."""

    form_class = ImportUploadForm
    template_name = "imports/importjob_form.html"

    # Room for the form's other fields around the file in a multipart body.
    FORM_OVERHEAD_BYTES = 64 * 1024

    def post(self, request, *args, **kwargs):
        declared = declared_length(request)
        if declared > max_import_bytes() + self.FORM_OVERHEAD_BYTES:
            # Far over the limit: refused before Django reads the body to disk.
            return self.refuse(self.form_class(), too_large(declared))
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs["jobs"] = ImportJob.objects.filter(created_by=self.request.user).defer(
            "content", "preview"
        )[:10]
        kwargs["inline_rows"] = services.inline_rows()
        return super().get_context_data(**kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        try:
            job = services.import_job_start(actor=self.request.user, file=form.cleaned_data["file"])
        except ImportRefused as error:
            return self.refuse(form, error)
        return HttpResponseRedirect(job.get_absolute_url())

    def refuse(self, form, error: ImportRefused):
        """The form again, the reason next to the file field, with the refusal's status."""
        if not form.is_bound:  # refused before the body was read
            form = self.form_class(data={})
            form.full_clean()
        form.errors["file"] = form.error_class(error.messages)
        return self.render_to_response(self.get_context_data(form=form), status=error.status)


class JobMixin(ImportMixin):
    def get_job(self) -> ImportJob:
        if not hasattr(self, "_job"):
            job = get_object_or_404(ImportJob, pk=self.kwargs["pk"])
            if not permissions.can_see_job(self.request.user, job):
                raise Http404("No such import.")
            self._job = job
        return self._job


def preview_sections(job: ImportJob) -> list[dict]:
    """The dry run's rows by what they do, errors first; at most ``SHOWN_ROWS`` each."""
    rows = job.preview.get("rows", [])
    titles = {
        ERROR: _("Rows in error"),
        REFUSED: _("Rows refused"),
        CHANGE: _("Rows to change"),
        CREATE: _("Rows to create"),
        UNCHANGED: _("Rows unchanged"),
    }
    sections = []
    for action in (ERROR, REFUSED, CHANGE, CREATE, UNCHANGED):
        found = [row for row in rows if row["action"] == action]
        shown = found[:SHOWN_ROWS]
        sections.append(
            {
                "action": action,
                "title": titles[action],
                "count": len(found),
                "rows": shown,
                # The rows' numbers, for the sentence that lists the unchanged ones.
                "numbers": ", ".join(str(row["row"]) for row in shown),
                "more": max(len(found) - SHOWN_ROWS, 0),
            }
        )
    return sections


class ImportJobView(JobMixin, TemplateView):
    """Where the import stands: its progress while it runs, then its dry run (what each
    row would do) with the button that applies it, or what applying it did."""

    template_name = "imports/importjob_detail.html"

    def get_context_data(self, **kwargs):
        job = self.get_job()
        kwargs.update(
            job=job,
            sections=preview_sections(job),
            counts={action: job.counts.get(action, 0) for action in ACTIONS},
            proposed=job.counts.get("proposed", 0),
        )
        return super().get_context_data(**kwargs)


class ImportJobProgressView(JobMixin, View):
    """The progress fragment the job's page polls (htmx); once the job is no longer
    running, htmx reloads the whole page (``HX-Refresh``)."""

    def get(self, request, pk):
        job = self.get_job()
        if not job.is_running and is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return TemplateResponse(request, "imports/_job_progress.html", {"job": job})


class ImportJobApplyView(JobMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        job = self.get_job()
        if not job.can_apply:
            messages.error(request, _("This import cannot be applied: see why below."))
            return HttpResponseRedirect(job.get_absolute_url())
        job = services.import_job_apply(job=job, actor=request.user)
        if job.status == ImportJob.Status.APPLIED:
            result = job.result
            proposed = result.get("proposed", 0)
            messages.success(
                request,
                ngettext(
                    "Imported: %(created)s created, %(changed)s changed, %(proposed)s change "
                    "waiting for approval.",
                    "Imported: %(created)s created, %(changed)s changed, %(proposed)s changes "
                    "waiting for approval.",
                    proposed,
                )
                % {
                    "created": result.get("created", 0),
                    "changed": result.get("changed", 0),
                    "proposed": proposed,
                },
            )
        return HttpResponseRedirect(job.get_absolute_url())
