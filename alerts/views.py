"""A follower's pages. None uses ``LoginRequiredMixin``: that mixin marks the staff pages,
which followers may not use (``alerts.middleware``)."""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, TemplateView
from django_countries import countries

from core.languages import account_language_record
from partnerships.models import FocusArea, Region

from . import services, webhooks
from .forms import AccountDeleteForm, AlertForm, ConfirmForm, SignUpForm, WebhookForm
from .matching import estimate
from .models import Alert, Follower, WebhookDelivery, WebhookEndpoint
from .searches import KINDS, normalized_query

# The name an alert without filters is given, by kind (the follower may change it).
EVERY_CHANGE = {
    Alert.Kind.PARTNERSHIPS: gettext_lazy("Every change of partnerships"),
    Alert.Kind.FLAGS: gettext_lazy("Every change of flags"),
    Alert.Kind.INCIDENTS: gettext_lazy("Every change of incidents"),
}


class FollowerRequiredMixin(AccessMixin):
    """Signed in as a follower: anonymous visitors are sent to log in, other accounts
    (staff) are refused. A follower managing their alerts (a POST) in a language has their
    alerts written in it from then on."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.follower = Follower.objects.filter(user=request.user).first()
        if self.follower is None:
            raise PermissionDenied(_("Alerts are for follower accounts."))
        if request.method == "POST":
            account_language_record(user=request.user, language=get_language())
        return super().dispatch(request, *args, **kwargs)


class SignUpView(FormView):
    """Signing up. Rate-limited per client address and per e-mail address
    (``ACCOUNT_RATE_LIMITS["follower_signup"]``: 429 past it). Whether the address has an
    account is told by e-mail only (``services.follower_signup``): every accepted sign-up
    leads to the same page."""

    template_name = "alerts/signup.html"
    form_class = SignUpForm
    success_url = reverse_lazy("alerts:signup_sent")

    def post(self, request, *args, **kwargs):
        email = request.POST.get("email", "").strip().lower()
        # A blank address is counted per client, not as one address shared by everyone.
        key = email or "blank:" + request.META.get("REMOTE_ADDR", "")
        limited = ratelimit.consume_or_429(request, action="follower_signup", key=key)
        return limited or super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            services.follower_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                language=get_language(),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        return super().form_valid(form)


class SignUpSentView(TemplateView):
    template_name = "alerts/signup_sent.html"


class ConfirmView(FormView):
    """The link of the confirmation e-mail opens a page asking for the password chosen at
    sign-up; only that confirms the address (``services.follower_confirm``). Opening the
    link changes nothing (a mail scanner may open it)."""

    template_name = "alerts/confirm.html"
    form_class = ConfirmForm

    def dispatch(self, request, *args, token, **kwargs):
        self.follower = services.follower_of_link(token)
        if self.follower is None:
            return render(request, "alerts/confirm_invalid.html", status=400)
        return super().dispatch(request, *args, token=token, **kwargs)

    def form_valid(self, form):
        confirmed = services.follower_confirm(
            follower=self.follower, password=form.cleaned_data["password"], now=timezone.now()
        )
        if not confirmed:
            form.add_error(
                "password",
                _(
                    "This is not the password chosen when this link was sent. If you did not "
                    "sign up with it, sign up again: the new link replaces this one."
                ),
            )
            return self.form_invalid(form)
        user = self.follower.user
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            self.request, _("Your e-mail address is confirmed: you can now save alerts.")
        )
        return HttpResponseRedirect(reverse("alerts:mine"))


class AlertListView(FollowerRequiredMixin, TemplateView):
    template_name = "alerts/alert_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            alerts=list(self.follower.alerts.prefetch_related("endpoints")),
            delete_form=AccountDeleteForm(),
            regions=Region.choices,
            countries=list(countries),
            focus_areas=FocusArea.objects.order_by("name").values_list("slug", "name"),
            **kwargs,
        )


class AlertCreateView(FollowerRequiredMixin, FormView):
    """ "Alert me": ``?kind=partnerships&query=<the page's query string>``; a follow:
    ``?partnership=<slug>`` (or organization, country, region, focus_area), a shortcut
    for the same saved search. Shows how many records the search matched in the last 30
    days before saving it."""

    template_name = "alerts/alert_form.html"
    form_class = AlertForm
    success_url = reverse_lazy("alerts:mine")

    def dispatch(self, request, *args, **kwargs):
        params = request.POST if request.method == "POST" else request.GET
        self.kind = params.get("kind", Alert.Kind.PARTNERSHIPS)
        if self.kind not in KINDS:
            raise Http404("No such kind of alert.")
        # "Alert me" passes the page's query string; a follow (the form of "My alerts")
        # passes its one filter as it is: partnership, organization, country, region or
        # focus_area.
        search = QueryDict(params["query"]) if "query" in params else params
        self.query = normalized_query(self.kind, search)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        filters = QueryDict(self.query)
        described = ", ".join(f"{name}: {value}" for name, value in filters.items())
        return {"name": described or EVERY_CHANGE[self.kind]}

    def get_context_data(self, **kwargs):
        path = Alert(kind=self.kind, query=self.query).page_url()
        return super().get_context_data(
            kind=self.kind,
            query=self.query,
            page_url=path,
            estimate=estimate(self.kind, self.query, now=timezone.now()),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            services.alert_create(
                follower=self.follower,
                kind=self.kind,
                query=self.query,
                name=form.cleaned_data["name"],
                frequency=form.cleaned_data["frequency"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error(None, error.messages[0] if error.messages else str(error))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(self.request, _("Alert saved."))
        return super().form_valid(form)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AlertDeleteView(FollowerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        alert = get_object_or_404(Alert, pk=pk, follower=self.follower)
        alert.delete()
        messages.success(request, _("Alert “%(name)s” deleted.") % {"name": alert.name})
        return HttpResponseRedirect(reverse("alerts:mine"))


class AccountDeleteView(FollowerRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = AccountDeleteForm(request.POST)
        if not form.is_valid():
            context = {"alerts": list(self.follower.alerts.all()), "delete_form": form}
            return render(request, "alerts/alert_list.html", context, status=400)
        follower = self.follower
        logout(request)
        services.follower_delete(follower=follower)
        return render(request, "alerts/account_deleted.html")


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """No login: the token names the alert. GET asks; POST (the button, or a mail client's
    one-click ``List-Unsubscribe-Post``) deletes the alert. Exempt from CSRF: the token is
    the credential, and a mail client posts without a form of ours."""

    def get(self, request, token):
        alert = get_object_or_404(Alert, unsubscribe_token=token)
        return render(request, "alerts/unsubscribe.html", {"alert": alert})

    def post(self, request, token):
        if not services.alert_unsubscribe(token=token):
            raise Http404("No such alert (any more).")
        return render(request, "alerts/unsubscribed.html")


class WebhookCreateView(FollowerRequiredMixin, FormView):
    """Register an endpoint for one of the follower's alerts; its secret is shown once."""

    template_name = "alerts/webhook_form.html"
    form_class = WebhookForm

    def get_alert(self):
        return get_object_or_404(Alert, pk=self.kwargs["pk"], follower=self.follower)

    def get_context_data(self, **kwargs):
        return super().get_context_data(alert=self.get_alert(), **kwargs)

    def form_valid(self, form):
        alert = self.get_alert()
        try:
            endpoint = webhooks.endpoint_create(alert=alert, url=form.cleaned_data["url"])
        except ValidationError as error:
            for message in error.message_dict.get("url", error.messages):
                form.add_error("url", message)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        return render(
            self.request, "alerts/webhook_secret.html", {"endpoint": endpoint, "alert": alert}
        )

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class WebhookDetailView(FollowerRequiredMixin, TemplateView):
    """An endpoint's delivery log; rotate its secret, send a test event, send a delivery
    again, enable it again, delete it."""

    template_name = "alerts/webhook_detail.html"
    ACTIONS = ("rotate", "test", "resend", "enable", "delete")

    def get_endpoint(self) -> WebhookEndpoint:
        return get_object_or_404(
            WebhookEndpoint.objects.select_related("alert"),
            pk=self.kwargs["pk"],
            alert__follower=self.follower,
        )

    def get_context_data(self, **kwargs):
        endpoint = self.get_endpoint()
        return super().get_context_data(
            endpoint=endpoint, deliveries=endpoint.deliveries.all()[:50], **kwargs
        )

    def post(self, request, pk):
        endpoint = self.get_endpoint()
        action = request.POST.get("action")
        now = timezone.now()
        if action not in self.ACTIONS:
            return HttpResponseBadRequest("Unknown action.")
        if action == "rotate":
            secret = webhooks.endpoint_rotate_secret(endpoint=endpoint, now=now)
            return render(
                request,
                "alerts/webhook_secret.html",
                {"endpoint": endpoint, "alert": endpoint.alert, "secret": secret, "rotated": True},
            )
        if action == "test":
            webhooks.endpoint_send_test(endpoint=endpoint, now=now)
            messages.success(request, _("Test event queued."))
        elif action == "resend":
            delivery = get_object_or_404(
                WebhookDelivery, pk=request.POST.get("delivery") or 0, endpoint=endpoint
            )
            webhooks.delivery_resend(delivery=delivery, now=now)
            messages.success(request, _("The delivery will be sent again."))
        elif action == "enable":
            webhooks.endpoint_enable(endpoint=endpoint)
            messages.success(request, _("Endpoint enabled."))
        else:
            endpoint.delete()
            messages.success(request, _("Endpoint deleted."))
            return HttpResponseRedirect(reverse("alerts:mine"))
        return HttpResponseRedirect(reverse("alerts:webhook", kwargs={"pk": endpoint.pk}))
