"""Followers have no staff page: every page that requires logging in
(``LoginRequiredMixin``) answers 403 to a follower. The follower's own pages do not use that
mixin (``alerts.views.FollowerRequiredMixin``).

Whether the signed-in account is a follower is asked once, at login, and kept in its session
(an account never changes kind; logging in as someone else starts a new session), so that
pages cost no query for it."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from .permissions import is_follower

SESSION_KEY = "alerts_is_follower"  # templates read it: request.session.alerts_is_follower


class FollowerStaffPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        follower = self.is_follower(request)  # asked of every signed-in page: the menu
        view_class = getattr(view_func, "view_class", None)
        if view_class is None or not issubclass(view_class, LoginRequiredMixin):
            return None
        if follower:
            # Where a login without ``next`` lands (the staff dashboard): their alerts.
            if request.path == resolve_url(settings.LOGIN_REDIRECT_URL):
                return HttpResponseRedirect(reverse("alerts:mine"))
            raise PermissionDenied(_("Follower accounts have no staff pages."))
        return None

    @staticmethod
    def is_follower(request) -> bool:
        if not request.user.is_authenticated:
            return False
        if SESSION_KEY not in request.session:  # a session from before this was kept
            request.session[SESSION_KEY] = is_follower(request.user)
        return request.session[SESSION_KEY]


def remember_account_kind(sender, request, user, **kwargs) -> None:
    """On login (``user_logged_in``): whether the account is a follower, kept in its session."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = is_follower(user)
