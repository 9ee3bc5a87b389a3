"""Agreement pages. Mounted at the site root: the paths are those of DESIGN §3."""

from django.urls import path

from . import views

app_name = "agreements"

urlpatterns = [
    path(
        "partnerships/<slug:slug>/agreements/new/",
        views.AgreementCreateView.as_view(),
        name="new",
    ),
    path(
        "partnerships/<slug:slug>/agreements/term-row/",
        views.TermRowView.as_view(),
        name="term_row",
    ),
    path("agreements/<int:pk>/edit/", views.AgreementUpdateView.as_view(), name="edit"),
    path("agreements/<int:pk>/auditor/", views.AuditorAssignView.as_view(), name="auditor"),
    path(
        "agreements/<int:pk>/documents/new/",
        views.document_new,
        name="document_new",
    ),
    path(
        "agreements/<int:pk>/documents/<int:version>/",
        views.DocumentDownloadView.as_view(),
        name="document_download",
    ),
]
