"""The oversight pages: the dashboard of every agreement, recording reviews and their
findings, and the flag pages.

Records are found through ``.visible_to(user)`` (a record the user may not see is a
404); ``permissions.py`` decides who may change them (403 if not). Anonymous users are
sent to the login page.
"""

import csv

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView

from agreements.models import Agreement
from core import keyset
from core.views import add_service_errors
from partnerships.permissions import can_see_private_records, can_see_review_notes
from publication.withholding import mask, withheld_fields

from . import permissions, services
from .dashboard import COLUMNS, DEFAULT_SORT, csv_rows, dashboard_rows, days_overdue
from .forms import (
    FINDINGS_PREFIX,
    DashboardFilterForm,
    FindingForm,
    FindingFormSet,
    FindingResolveForm,
    FlagResolveForm,
    ReviewCompleteForm,
    ReviewForm,
)
from .models import Finding, Flag, Review
from .rules import rule_of

PAGE_SIZE = 50
NEW_FINDING_PREFIX = "new-finding"


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming CSV."""

    def write(self, value):
        return value


def dashboard_page(rows, params) -> keyset.Page:
    """The page by ``cursor`` (the Previous and Next links: as cheap at any depth as the
    first) or by ``page`` number; the first page for a cursor of another sort or a number
    that is not one (or too deep)."""
    raw = params.get("page", "")
    number = int(raw) if raw.isdigit() and int(raw) > 0 else None
    try:
        return keyset.page(rows, size=PAGE_SIZE, cursor=params.get("cursor"), number=number)
    except (keyset.BadCursor, keyset.PageTooDeep):
        return keyset.page(rows, size=PAGE_SIZE)


class DashboardView(LoginRequiredMixin, View):
    """Every agreement, restricted ones included, for members of oversight organizations:
    filters, sortable columns, pages of 50, and the same table as CSV (``?format=csv``:
    every matching row, in the table's order)."""

    def get(self, request):
        if not permissions.can_use_dashboard(request.user):
            raise PermissionDenied(_("The oversight dashboard is for members of oversight bodies."))
        form = DashboardFilterForm(request.GET)
        form.is_valid()  # a bad value is shown next to its filter; the others still apply
        filters = form.cleaned_data
        sort = filters.get("sort") or DEFAULT_SORT
        rows = dashboard_rows(filters, sort=sort)
        today = timezone.localdate()
        if request.GET.get("format") == "csv":
            return self.csv_response(rows, today)
        page = dashboard_page(rows, request.GET)
        for agreement in page:
            agreement.days_overdue = days_overdue(agreement, today)
        count = keyset.cheap_count(rows)
        return render(
            request,
            "oversight/dashboard.html",
            {
                "form": form,
                "page": page,
                "count": count,
                "page_count": max(1, -(-count.value // PAGE_SIZE)),
                "columns": COLUMNS,
                "sort": sort,
                "today": today,
            },
        )

    @staticmethod
    def csv_response(rows, today):
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in csv_rows(rows, today)),
            content_type="text/csv; charset=utf-8",
        )
        filename = f"oversight-dashboard-{today:%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ReviewCreateView(LoginRequiredMixin, View):
    """Record a review of an agreement for one's own oversight organization, with its
    findings."""

    template_name = "oversight/review_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.agreement = get_object_or_404(
            Agreement.objects.visible_to(request.user).select_related("partnership"),
            pk=kwargs["pk"],
        )
        if not permissions.can_record_review(request.user, self.agreement):
            raise PermissionDenied(_("Only editors of an oversight organization record reviews."))
        return super().dispatch(request, *args, **kwargs)

    def build(self, data=None):
        reviewers = permissions.reviewer_organizations(self.request.user)
        form = ReviewForm(data, reviewers=reviewers)
        formset = FindingFormSet(data, prefix=FINDINGS_PREFIX)
        return form, formset

    def render_forms(self, form, formset):
        return render(
            self.request,
            self.template_name,
            {"agreement": self.agreement, "form": form, "formset": formset},
        )

    def get(self, request, pk):
        return self.render_forms(*self.build())

    def post(self, request, pk):
        form, formset = self.build(request.POST)
        if form.is_valid() and formset.is_valid():
            findings = [f.cleaned_data for f in formset if f.has_changed() and f.cleaned_data]
            try:
                review = services.review_record(
                    agreement=self.agreement,
                    actor=request.user,
                    data=form.cleaned_data,
                    findings=findings,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("%(kind)s recorded.") % {"kind": review.get_kind_display()}
                )
                return redirect("oversight:review_detail", pk=review.pk)
        return self.render_forms(form, formset)


class ReviewDetailView(LoginRequiredMixin, DetailView):
    """A review with its findings; its reviewing organization's editors complete it, add
    findings and resolve them here."""

    template_name = "oversight/review_detail.html"
    context_object_name = "review"

    def get_queryset(self):
        return (
            Review.objects.visible_to(self.request.user)
            .with_reviewer_independence()
            .select_related("agreement__partnership", "reviewer")
            .prefetch_related(Prefetch("findings", queryset=Finding.objects.order_by("pk")))
        )

    def get_context_data(self, **kwargs):
        review = self.object
        withheld = withheld_fields(review)
        if can_see_private_records(self.request.user, review.agreement.partnership):
            review.withheld = withheld
        else:
            # Someone who sees only the public side sees what the public does.
            mask(review, withheld)
            kwargs["as_public"] = True
        kwargs.setdefault("complete_form", ReviewCompleteForm())
        kwargs.setdefault("finding_form", FindingForm(prefix=NEW_FINDING_PREFIX))
        # Each open finding with its form; the one just sent back with errors keeps them.
        sent_back = kwargs.pop("resolve_form", None)
        kwargs["finding_rows"] = [
            (
                finding,
                sent_back
                if sent_back is not None and sent_back.finding.pk == finding.pk
                else FindingResolveForm(finding=finding),
            )
            for finding in review.findings.all()
        ]
        kwargs.update(
            can_change=permissions.can_change_review(self.request.user, review),
            sees_notes=can_see_review_notes(self.request.user),
            is_independent=review.is_independent(),
        )
        return super().get_context_data(**kwargs)


class ReviewChangeMixin(LoginRequiredMixin):
    """POST-only actions on a review, for the editors of its reviewing organization."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.review = self.get_review(request, **kwargs)
        if not permissions.can_change_review(request.user, self.review):
            raise PermissionDenied(_("Only the reviewing organization's editors change a review."))
        return super().dispatch(request, *args, **kwargs)

    def get_review(self, request, **kwargs):
        return get_object_or_404(Review.objects.visible_to(request.user), pk=kwargs["pk"])

    def render_review(self, **forms):
        view = ReviewDetailView(request=self.request, kwargs={"pk": self.review.pk})
        view.object = view.get_object()
        return render(
            self.request, view.template_name, view.get_context_data(object=view.object, **forms)
        )


class ReviewCompleteView(ReviewChangeMixin, View):
    def post(self, request, pk):
        form = ReviewCompleteForm(request.POST)
        if form.is_valid():
            try:
                services.review_complete(
                    review=self.review, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Review completed; the next review is due later."))
                return redirect("oversight:review_detail", pk=self.review.pk)
        return self.render_review(complete_form=form)


class FindingAddView(ReviewChangeMixin, View):
    def post(self, request, pk):
        form = FindingForm(request.POST, prefix=NEW_FINDING_PREFIX)
        if form.is_valid():
            services.finding_add(review=self.review, actor=request.user, data=form.cleaned_data)
            messages.success(request, _("Finding added."))
            return redirect("oversight:review_detail", pk=self.review.pk)
        return self.render_review(finding_form=form)


class FindingResolveView(ReviewChangeMixin, View):
    def get_review(self, request, **kwargs):
        self.finding = get_object_or_404(
            Finding.objects.filter(review__in=Review.objects.visible_to(request.user)),
            pk=kwargs["pk"],
        )
        return self.finding.review

    def post(self, request, pk):
        form = FindingResolveForm(request.POST, finding=self.finding)
        if form.is_valid():
            try:
                resolved = services.finding_resolve(
                    finding=self.finding, actor=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if resolved:
                    messages.success(request, _("Finding marked resolved."))
                else:
                    messages.info(request, _("That finding was already resolved."))
                return redirect("oversight:review_detail", pk=self.review.pk)
        return self.render_review(resolve_form=form)


class FlagDetailView(DetailView):
    """A flag: what it says, why such flags are raised, its history on this agreement,
    and, for oversight editors, resolving it by hand with a reason."""

    template_name = "oversight/flag_detail.html"
    context_object_name = "flag"

    def get_queryset(self):
        return Flag.objects.visible_to(self.request.user).select_related("agreement__partnership")

    def get_context_data(self, **kwargs):
        flag = self.object
        kwargs.setdefault("form", FlagResolveForm())
        kwargs.update(
            rule=rule_of(flag.kind),
            history=Flag.objects.filter(agreement=flag.agreement_id, kind=flag.kind).order_by(
                "-raised_at"
            ),
            can_resolve=flag.is_open and permissions.can_resolve_flag(self.request.user, flag),
        )
        return super().get_context_data(**kwargs)


class FlagResolveView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        flag = get_object_or_404(Flag.objects.visible_to(request.user), pk=pk)
        if not permissions.can_resolve_flag(request.user, flag):
            raise PermissionDenied(_("Only editors of an oversight organization resolve flags."))
        form = FlagResolveForm(request.POST)
        if form.is_valid():
            try:
                closed = services.flag_resolve(flag=flag, actor=request.user, **form.resolution())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if closed:
                    messages.success(request, _("Flag resolved; it stays on the record."))
                else:
                    messages.info(request, _("That flag was already closed."))
                return redirect("oversight:flag_detail", pk=flag.pk)
        view = FlagDetailView(request=request, kwargs={"pk": pk})
        view.object = flag
        return render(
            request, view.template_name, view.get_context_data(object=flag, form=form), status=200
        )
