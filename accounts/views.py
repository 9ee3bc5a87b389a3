"""Staff accounts: the "My organization" dashboard, inviting and removing members,
and answering an invitation (a new account sets its first password through a one-time
link; an existing account accepts, signed in, to join another organization).

Logging in and out are django-allauth's views, password changes and resets Django's, with the
registry's templates (``accounts.login_urls``); the administration's login page sends to the
site's (``admin_login``).
"""

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.utils import perform_login
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from agreements.models import Agreement
from core.views import add_service_errors
from oversight.models import Flag
from partnerships import permissions, services
from partnerships.forms import MemberInviteForm
from partnerships.models import Membership, Organization, Partnership, PartnershipParty

from .permissions import has_mfa


def dashboard_partnerships(user):
    """The partnerships of the user's organizations, with their next review due and the
    number of open flags, in one query (plus one for the parties), whatever their number."""
    in_force = Agreement.objects.filter(
        partnership=OuterRef("pk"), status__in=Agreement.IN_FORCE, next_review_due__isnull=False
    )
    open_flags = (
        Flag.objects.open()
        .filter(agreement__partnership=OuterRef("pk"))
        .order_by()
        .values("agreement__partnership")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Partnership.objects.with_member(user)
        .annotate(
            next_review_due=Subquery(
                in_force.order_by("next_review_due").values("next_review_due")[:1]
            ),
            open_flag_count=Coalesce(Subquery(open_flags, output_field=IntegerField()), Value(0)),
        )
        .prefetch_related(
            Prefetch(
                "parties",
                queryset=PartnershipParty.objects.select_related("organization").order_by(
                    "role", "organization__name"
                ),
            )
        )
        .order_by("title")
    )


class DashboardView(LoginRequiredMixin, TemplateView):
    """My organization: its partnerships (status, next review due, open flags) and members."""

    template_name = "partnerships/organization_dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        organizations = list(
            permissions.member_organizations(user)
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=Membership.objects.select_related("user").order_by(
                        "role", "user__username"
                    ),
                )
            )
            .order_by("name")
        )
        editor_of = {
            m.organization_id
            for o in organizations
            for m in o.memberships.all()
            if m.user_id == user.pk and m.role == Membership.Role.EDITOR
        }
        my_org_ids = {o.pk for o in organizations}
        partnerships = list(dashboard_partnerships(user))
        for partnership in partnerships:
            partnership.my_parties = [
                p for p in partnership.parties.all() if p.organization_id in my_org_ids
            ]
            partnership.can_edit = user.is_superuser or any(
                p.organization_id in editor_of for p in partnership.my_parties
            )
        return super().get_context_data(
            organizations=organizations,
            editor_of=editor_of,
            partnerships=partnerships,
            can_create=any(o.pk in editor_of and not o.is_oversight for o in organizations),
            is_oversight=any(o.is_oversight for o in organizations),
            **kwargs,
        )


class OrganizationMembersMixin(LoginRequiredMixin):
    def get_organization(self) -> Organization:
        if not hasattr(self, "_organization"):
            organization = get_object_or_404(Organization, slug=self.kwargs["slug"])
            if not permissions.can_manage_members(self.request.user, organization):
                raise PermissionDenied(_("Only the organization's editors manage its members."))
            self._organization = organization
        return self._organization


class MemberInviteView(OrganizationMembersMixin, FormView):
    form_class = MemberInviteForm
    template_name = "partnerships/membership_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.get_organization()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(organization=self.get_organization(), **kwargs)

    def form_valid(self, form):
        try:
            services.member_invite(
                organization=self.get_organization(),
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=self.request.user,
                site_url=self.request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        # The same words whether or not the address has an account: the inviting editor
        # learns nothing about accounts outside their organization.
        role = Membership.Role(form.cleaned_data["role"]).label.lower()
        messages.success(
            self.request,
            _("Invitation sent to %(email)s, to join as %(role)s.")
            % {"email": form.cleaned_data["email"], "role": role},
        )
        return redirect("accounts:dashboard")


class MemberRemoveView(OrganizationMembersMixin, View):
    http_method_names = ["post"]

    def post(self, request, slug, pk):
        organization = self.get_organization()
        membership = get_object_or_404(
            Membership.objects.select_related("user"), pk=pk, organization=organization
        )
        try:
            services.member_remove(membership=membership, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(username)s is no longer a member of %(organization)s.")
                % {"username": membership.user.get_username(), "organization": organization},
            )
        return redirect("accounts:dashboard")


def admin_login(request, extra_context=None):
    """The administration's login page (``admin.site.login``): one way in, the site's login
    with its second factor and lockout, which comes back to ``next`` (the administration's
    index by default). The administration's own login form never checks a password."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url, login_url=reverse("login"))
    if request.user.is_active and request.user.is_staff:
        return redirect(next_url)
    raise PermissionDenied(_("This account does not have access to the administration."))


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, and a new password set through the e-mailed link also lifts the login
    lockout of the account from this client: its owner is back."""

    def form_valid(self, form):
        response = super().form_valid(form)
        get_account_adapter(self.request).login_lockout_clear(
            self.request, username=form.user.get_username()
        )
        return response


class InvitationAcceptView(PasswordResetConfirmView):
    """The one-time link of an invitation: the new member sets a password and is logged in.
    Django's token changes once the password is set, so the link works once.

    The link is a password-reset link, so an account that already has a second factor is
    asked for it before it is logged in: a mailbox alone never opens the account."""

    success_url = reverse_lazy("accounts:dashboard")
    extra_context = {"invitation": True}

    def form_valid(self, form):
        super().form_valid(form)
        if has_mfa(form.user):
            messages.success(
                self.request, _("Your password is set: now enter your two-factor code.")
            )
        else:
            messages.success(
                self.request, _("Welcome: your password is set and you are logged in.")
            )
        # django-allauth's login, with its second step where the account has a factor.
        return perform_login(self.request, form.user, redirect_url=self.get_success_url())


class InvitationJoinView(LoginRequiredMixin, TemplateView):
    """An existing account's invitation to join an organization: the page asks, a POST
    accepts. Only the invited account, signed in, may accept; a link that does not work
    says why."""

    template_name = "accounts/invitation_join.html"

    def get(self, request, token):
        try:
            invitation = services.invitation_read(token)
        except ValidationError as error:
            return self.link_not_working(error)
        if not invitation.is_for(request.user):
            return self.wrong_account()
        membership = Membership.objects.filter(
            user=request.user, organization=invitation.organization
        ).first()
        return self.render_to_response(
            self.get_context_data(invitation=invitation, membership=membership)
        )

    def post(self, request, token):
        try:
            membership = services.invitation_accept(token=token, actor=request.user)
        except ValidationError as error:
            return self.link_not_working(error)
        except PermissionDenied:
            return self.wrong_account()
        messages.success(
            request,
            _("You are a member of %(organization)s as %(role)s.")
            % {
                "organization": membership.organization,
                "role": membership.get_role_display().lower(),
            },
        )
        return redirect("accounts:dashboard")

    def link_not_working(self, error: ValidationError):
        # A 200 page, like the set-password link's when it no longer works.
        return self.render_to_response(self.get_context_data(error=" ".join(error.messages)))

    def wrong_account(self):
        return self.render_to_response(self.get_context_data(wrong_account=True), status=403)
