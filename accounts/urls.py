"""Staff account pages, under /accounts/ beside Django's login and password views."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("my-organization/", views.DashboardView.as_view(), name="dashboard"),
    path(
        "organizations/<slug:slug>/members/invite/",
        views.MemberInviteView.as_view(),
        name="member_invite",
    ),
    path(
        "organizations/<slug:slug>/members/<int:pk>/remove/",
        views.MemberRemoveView.as_view(),
        name="member_remove",
    ),
    path(
        "invitations/<uidb64>/<token>/",
        views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path("join/<str:token>/", views.InvitationJoinView.as_view(), name="invitation_join"),
]
