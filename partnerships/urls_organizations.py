"""The public organization pages, at /organizations/<slug>/."""

from django.urls import path

from . import views_public

app_name = "organizations"

urlpatterns = [
    path("<slug:slug>/", views_public.OrganizationDetailView.as_view(), name="detail"),
]
