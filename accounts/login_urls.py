"""Logging in and out, passwords and second factors, under /accounts/ (not namespaced: the
names are those Django and django-allauth reverse, such as ``login`` and ``mfa_index``).

Logging in is django-allauth's view, which asks for the second factor and counts failed
attempts (``accounts.adapter``); its ``account_*`` names point at the same pages. Password
change and reset are Django's views with the registry's templates. django-allauth's other
pages (sign-up, e-mail addresses, its own password pages) are left out on purpose.
"""

from allauth.account import views as allauth_views
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("login/", allauth_views.login, name="login"),
    path("login/", allauth_views.login, name="account_login"),
    path("logout/", allauth_views.logout, name="logout"),
    path("logout/", allauth_views.logout, name="account_logout"),
    # Confirming the password before changing a second factor.
    path("reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
    path("inactive/", allauth_views.account_inactive, name="account_inactive"),
    path("2fa/", include("allauth.mfa.urls")),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
