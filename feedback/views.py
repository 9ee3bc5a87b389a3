"""The pages of public feedback: leaving and confirming it, reporting it (anyone), the
moderators' queue and decisions, the parties' responses, and closing a partnership to
feedback. Each ``form_valid`` calls a service."""

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View
from django.views.generic import FormView, TemplateView

from partnerships.models import Partnership

from . import permissions, services
from .forms import ClosureForm, FeedbackForm, ModerationForm, ResponseForm
from .models import Feedback, FeedbackClosure
from .personal_data import personal_data_signals


def client_address(request) -> str:
    """The client's address, behind the proxies the sign-in's lockout trusts too."""
    try:
        return get_adapter(request).get_client_ip(request) or ""
    except (PermissionDenied, ImproperlyConfigured):
        return request.META.get("REMOTE_ADDR", "")


def refusal(error: ValidationError) -> list[str]:
    return list(error.messages)


# Leaving feedback -----------------------------------------------------------------------


class FeedbackCreateView(FormView):
    """Anyone's feedback on a published partnership. A refusal (a spam control, a closed
    partnership) is the form again with a message saying why: 400, or 429 for a rate limit."""

    template_name = "feedback/feedback_form.html"
    form_class = FeedbackForm

    def dispatch(self, request, *args, **kwargs):
        self.partnership = get_object_or_404(Partnership.objects.public(), slug=kwargs["slug"])
        self.closure = FeedbackClosure.objects.filter(partnership=self.partnership).first()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"partnership": self.partnership}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            partnership=self.partnership, closure=self.closure, **kwargs
        )

    def post(self, request, *args, **kwargs):
        if self.closure is not None:
            return self.render_to_response(self.get_context_data(), status=400)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form, status=400):
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.feedback_submit(
                partnership=self.partnership,
                agreement=data.get("agreement"),
                category=data["category"],
                text=data["text"],
                display_name=data["display_name"],
                email=data["email"],
                client_address=client_address(self.request),
                site_url=self.request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            form.add_error(None, error)
            limited = services.RATE_LIMITED in error.messages
            return self.form_invalid(form, status=429 if limited else 400)
        return redirect("feedback:sent", slug=self.partnership.slug)


class FeedbackSentView(TemplateView):
    template_name = "feedback/feedback_sent.html"

    def get_context_data(self, **kwargs):
        partnership = get_object_or_404(Partnership.objects.public(), slug=kwargs["slug"])
        return super().get_context_data(partnership=partnership, **kwargs)


class FeedbackConfirmView(View):
    """The one-time link: a page with a button (so that a mail scanner following the link
    confirms nothing), which confirms the feedback."""

    template_name = "feedback/feedback_confirm.html"

    def get(self, request, token):
        try:
            feedback = services.confirmation_lookup(token)
        except ValidationError as error:
            return render(request, self.template_name, {"errors": refusal(error)}, status=400)
        return render(request, self.template_name, {"feedback": feedback})

    def post(self, request, token):
        try:
            feedback = services.feedback_confirm(token=token, now=timezone.now())
        except ValidationError as error:
            return render(request, self.template_name, {"errors": refusal(error)}, status=400)
        return render(request, self.template_name, {"feedback": feedback, "confirmed": True})


class FeedbackReportView(View):
    """Anyone may report a published item; enough reports hide it pending review."""

    def post(self, request, pk):
        feedback = get_object_or_404(Feedback.objects.public().published(), pk=pk)
        outcome = services.feedback_report(
            feedback=feedback, client_address=client_address(request)
        )
        if outcome.hidden:
            messages.success(
                request, gettext("Thank you. It is hidden until a moderator reviews it.")
            )
        else:
            messages.success(
                request, gettext("Thank you. The moderators will look at your report.")
            )
        return HttpResponseRedirect(feedback.get_absolute_url())


# Moderation ---------------------------------------------------------------------------


def moderatable(user):
    """The feedback ``user`` may moderate: not on partnerships a party of which they belong
    to (the partnerships they may see: oversight members see them all)."""
    feedback = Feedback.objects.filter(partnership__in=Partnership.objects.visible_to(user))
    if user.is_superuser:
        return feedback
    member_of = Partnership.objects.with_member(user).values("pk")
    return feedback.exclude(partnership__in=member_of)


class ModerationQueueView(LoginRequiredMixin, TemplateView):
    """The queue: feedback awaiting a decision, oldest first, with counts per partnership
    and what in each text looks like personal data."""

    template_name = "feedback/moderation_queue.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.is_feedback_moderator(request.user):
            raise PermissionDenied(
                gettext("Moderation is for editors of oversight bodies and boards.")
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        queue = moderatable(self.request.user).awaiting_moderation()
        items = list(
            queue.select_related("partnership", "agreement")
            .annotate(open_reports=Count("reports", filter=Q(reports__cleared=False)))
            .order_by("confirmed_at", "pk")[:100]
        )
        for item in items:
            item.signals = personal_data_signals(item.text)
        counts = queue.order_by().aggregate(
            pending=Count("pk", filter=Q(status=Feedback.Status.PENDING)),
            under_review=Count("pk", filter=Q(status=Feedback.Status.UNDER_REVIEW)),
        )
        per_partnership = (
            queue.order_by("partnership__title")
            .values("partnership__title", "partnership__slug")
            .annotate(n=Count("pk"))
        )
        return super().get_context_data(
            items=items,
            counts=counts,
            per_partnership=per_partnership,
            reasons=Feedback.HiddenReason.choices,
            **kwargs,
        )


class ModerationMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.feedback = get_object_or_404(
            Feedback.objects.filter(
                partnership__in=Partnership.objects.visible_to(request.user)
            ).select_related("partnership", "agreement"),
            pk=kwargs["pk"],
        )
        if not permissions.can_moderate_feedback(request.user, self.feedback.partnership):
            raise PermissionDenied(services.NOT_A_MODERATOR)
        return super().dispatch(request, *args, **kwargs)


class FeedbackModerateView(ModerationMixin, FormView):
    template_name = "feedback/feedback_moderate.html"
    form_class = ModerationForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            feedback=self.feedback,
            signals=personal_data_signals(self.feedback.text),
            **kwargs,
        )

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        data, now = form.cleaned_data, timezone.now()
        try:
            if data["decision"] == "publish":
                services.feedback_publish(
                    feedback=self.feedback, actor=self.request.user, now=now, note=data["note"]
                )
            else:
                services.feedback_hide(
                    feedback=self.feedback,
                    actor=self.request.user,
                    now=now,
                    reason=data["reason"],
                    note=data["note"],
                )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        state = self.feedback.get_status_display().lower()
        messages.success(
            self.request,
            gettext("Feedback #%(number)s: %(state)s.")
            % {"number": self.feedback.pk, "state": state},
        )
        return redirect("feedback:moderation")


class FeedbackClosureView(LoginRequiredMixin, FormView):
    """Close a partnership to new feedback (with a public reason), or reopen it."""

    template_name = "feedback/feedbackclosure_form.html"
    form_class = ClosureForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.partnership = get_object_or_404(
            Partnership.objects.visible_to(request.user), slug=kwargs["slug"]
        )
        if not permissions.can_moderate_feedback(request.user, self.partnership):
            raise PermissionDenied(services.NOT_A_MODERATOR)
        self.closure = FeedbackClosure.objects.filter(partnership=self.partnership).first()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            partnership=self.partnership, closure=self.closure, **kwargs
        )

    def post(self, request, *args, **kwargs):
        if "reopen" in request.POST:
            services.feedback_reopen(partnership=self.partnership, actor=request.user)
            messages.success(request, gettext("The partnership takes feedback again."))
            return redirect(self.partnership.get_absolute_url())
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        try:
            services.feedback_close(
                partnership=self.partnership,
                actor=self.request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, gettext("The partnership is closed to new feedback."))
        return redirect(self.partnership.get_absolute_url())


# Responses ----------------------------------------------------------------------------


class FeedbackRespondView(LoginRequiredMixin, FormView):
    """A party's editor answers a published item, once, in the party's name."""

    template_name = "feedback/feedbackresponse_form.html"
    form_class = ResponseForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.feedback = get_object_or_404(
            Feedback.objects.filter(
                partnership__in=Partnership.objects.visible_to(request.user)
            ).select_related("partnership"),
            pk=kwargs["pk"],
        )
        self.organizations = permissions.responding_organizations(
            request.user, self.feedback.partnership
        )
        if not self.organizations.exists():
            raise PermissionDenied(
                gettext("Only an editor of a party to the partnership may answer.")
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"organizations": self.organizations}

    def get_context_data(self, **kwargs):
        return super().get_context_data(feedback=self.feedback, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        try:
            services.feedback_respond(
                feedback=self.feedback,
                actor=self.request.user,
                organization=form.cleaned_data["organization"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, gettext("Your response is published."))
        return HttpResponseRedirect(self.feedback.get_absolute_url())
