"""Agreement pages and the publication workflow's staff pages. Mounted at the site root:
the paths are those of DESIGN §3."""

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
        "agreements/<int:pk>/sources/add/",
        views.AgreementSourceAddView.as_view(),
        name="source_add",
    ),
    path(
        "agreements/<int:pk>/sources/<int:source_pk>/edit/",
        views.AgreementSourceEditView.as_view(),
        name="source_edit",
    ),
    path(
        "agreements/<int:pk>/sources/<int:source_pk>/remove/",
        views.AgreementSourceRemoveView.as_view(),
        name="source_remove",
    ),
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
    path(
        "agreements/<int:pk>/documents/<int:version>/text/",
        views.DocumentTextView.as_view(),
        name="document_text",
    ),
    path(
        "agreements/<int:pk>/documents/compare/",
        views.DocumentCompareView.as_view(),
        name="document_compare",
    ),
    # The publication workflow: each record's publication page (its steps are POSTs to
    # it), and the approval queue.
    path(
        "publication/partnerships/<int:pk>/",
        views.PartnershipPublicationView.as_view(),
        name="partnership_publication",
    ),
    path(
        "publication/agreements/<int:pk>/",
        views.AgreementPublicationView.as_view(),
        name="agreement_publication",
    ),
    path("publication/queue/", views.ApprovalQueueView.as_view(), name="approval_queue"),
    path(
        "publication/withholdings/<int:pk>/",
        views.WithholdingDecisionView.as_view(),
        name="withholding_decide",
    ),
]
