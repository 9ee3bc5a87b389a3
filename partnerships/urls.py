from django.urls import path

from . import views

app_name = "partnerships"

urlpatterns = [
    path("new/", views.PartnershipCreateView.as_view(), name="new"),
    path(
        "organizations/search/", views.OrganizationSearchView.as_view(), name="organization_search"
    ),
    path(
        "organizations/propose/",
        views.OrganizationProposeView.as_view(),
        name="organization_propose",
    ),
    path("<slug:slug>/edit/", views.PartnershipUpdateView.as_view(), name="edit"),
    path("<slug:slug>/parties/add/", views.PartyAddView.as_view(), name="party_add"),
    path(
        "<slug:slug>/parties/<int:pk>/remove/", views.PartyRemoveView.as_view(), name="party_remove"
    ),
]
