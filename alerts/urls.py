"""A follower's pages, under /alerts/: signing up, their alerts, leaving; and the
unsubscribe link of the e-mails, which needs no login."""

from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.AlertListView.as_view(), name="mine"),
    path("sign-up/", views.SignUpView.as_view(), name="signup"),
    path("sign-up/sent/", views.SignUpSentView.as_view(), name="signup_sent"),
    path("confirm/<str:token>/", views.ConfirmView.as_view(), name="confirm"),
    path("new/", views.AlertCreateView.as_view(), name="new"),
    path("<int:pk>/delete/", views.AlertDeleteView.as_view(), name="delete"),
    path("account/delete/", views.AccountDeleteView.as_view(), name="account_delete"),
    path("unsubscribe/<str:token>/", views.UnsubscribeView.as_view(), name="unsubscribe"),
]

urlpatterns += [
    path("<int:pk>/webhooks/", views.WebhookCreateView.as_view(), name="webhook_new"),
    path("webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="webhook"),
]
