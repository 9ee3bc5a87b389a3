"""The transparency reports: a partnership's report of a year as a page, a PDF and a CSV
(each from the stored snapshot: the same content whoever reads them, the page's and the
PDF's words in the reader's language, the CSV's the same bytes), the public list at
``/reports/``, and the staff's steps (request this year's draft, publish it, correct a
published report)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views import View
from django.views.generic import ListView

from core.csv import Echo, csv_cell
from partnerships.models import Partnership

from . import services
from .filters import ReportFilterForm
from .models import Report
from .pdf import render_pdf
from .permissions import can_request_report
from .presentation import csv_rows, report_context


def find_report(request, slug: str, year: int) -> Report:
    """The report the reader asked for: ``?version=N``, else the newest published version
    (for the partnership's staff, the newest version, draft or not). 404 for a version the
    reader may not see."""
    reports = (
        Report.objects.visible_to(request.user)
        .filter(partnership__slug=slug, year=year)
        .select_related("partnership", "replaces", "replaced_by")
    )
    version = request.GET.get("version")
    if version:
        if not version.isdigit():
            raise Http404("No such version.")
        return get_object_or_404(reports, version=int(version))
    report = (
        reports.published().order_by("-version").first() or reports.order_by("-version").first()
    )
    if report is None:
        raise Http404("No report of this year.")
    return report


class ReportView(View):
    def get(self, request, slug, year):
        report = find_report(request, slug, year)
        context = report_context(report)
        context["versions"] = list(
            Report.objects.visible_to(request.user)
            .filter(partnership=report.partnership, year=year)
            .order_by("-version")
        )
        context["can_request"] = can_request_report(request.user, report.partnership)
        response = render(request, "reports/report_detail.html", context)
        if not report.is_published:
            response["X-Robots-Tag"] = "noindex"
        return response


class ReportPdfView(View):
    def get(self, request, slug, year):
        report = find_report(request, slug, year)
        response = HttpResponse(render_pdf(report_context(report)), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="report-{slug}-{year}-v{report.version}.pdf"'
        )
        return response


class ReportCsvView(View):
    def get(self, request, slug, year):
        report = find_report(request, slug, year)
        writer = csv.writer(Echo())
        body = "".join(writer.writerow([csv_cell(c) for c in row]) for row in csv_rows(report))
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="report-{slug}-{year}-v{report.version}.csv"'
        )
        return response


class ReportListView(ListView):
    """Every published report (newest version of each year), with filters."""

    template_name = "reports/report_list.html"

    def get(self, request, *args, **kwargs):
        self.form = ReportFilterForm(request.GET or None)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        reports = Report.objects.public().latest_versions().select_related("partnership")
        if self.form.is_bound and self.form.is_valid():
            reports = self.form.filter(reports)
        elif self.form.is_bound:
            return Report.objects.none()
        return sorted(reports, key=lambda r: (-r.year, r.partnership.title))

    def get_context_data(self, **kwargs):
        return super().get_context_data(form=self.form, **kwargs)


class ReportStepMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class ReportRequestView(ReportStepMixin, View):
    """Request the draft of the year so far."""

    def post(self, request, slug):
        partnership = get_object_or_404(Partnership.objects.visible_to(request.user), slug=slug)
        if not can_request_report(request.user, partnership):
            raise PermissionDenied(services.NOT_ALLOWED)
        try:
            report = services.report_request(partnership=partnership, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(partnership.get_absolute_url() + "#reports")
        messages.success(
            request, gettext("Draft report of %(year)s generated.") % {"year": report.year}
        )
        return redirect(report.html_url)


class ReportChangeMixin(ReportStepMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.report = get_object_or_404(
            Report.objects.visible_to(request.user).select_related("partnership"),
            pk=kwargs["pk"],
        )
        if not can_request_report(request.user, self.report.partnership):
            raise PermissionDenied(services.NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)


class ReportPublishView(ReportChangeMixin, View):
    def post(self, request, pk):
        try:
            services.report_publish(report=self.report, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, gettext("The report is published."))
        return redirect(self.report.html_url)


class ReportCorrectView(ReportChangeMixin, View):
    def post(self, request, pk):
        try:
            draft = services.report_correct(
                report=self.report, actor=request.user, note=request.POST.get("note", "")
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(self.report.html_url)
        messages.success(
            request,
            gettext("Version %(version)s drafted: publish it when it is right.")
            % {"version": draft.version},
        )
        return redirect(draft.html_url)
