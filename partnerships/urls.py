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
    path(
        "organizations/<slug:slug>/identifiers/",
        views.OrganizationIdentifiersView.as_view(),
        name="organization_identifiers",
    ),
    path("<slug:slug>/edit/", views.PartnershipUpdateView.as_view(), name="edit"),
    path("<slug:slug>/parties/add/", views.PartyAddView.as_view(), name="party_add"),
    path(
        "<slug:slug>/parties/<int:pk>/remove/", views.PartyRemoveView.as_view(), name="party_remove"
    ),
    path("<slug:slug>/sources/add/", views.PartnershipSourceAddView.as_view(), name="source_add"),
    path(
        "<slug:slug>/sources/<int:source_pk>/edit/",
        views.PartnershipSourceEditView.as_view(),
        name="source_edit",
    ),
    path(
        "<slug:slug>/sources/<int:source_pk>/remove/",
        views.PartnershipSourceRemoveView.as_view(),
        name="source_remove",
    ),
]
