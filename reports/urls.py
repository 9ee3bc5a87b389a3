from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.ReportListView.as_view(), name="list"),
    path("reports/<int:pk>/publish/", views.ReportPublishView.as_view(), name="publish"),
    path("reports/<int:pk>/correct/", views.ReportCorrectView.as_view(), name="correct"),
    path(
        "partnerships/<slug:slug>/reports/request/",
        views.ReportRequestView.as_view(),
        name="request",
    ),
    path("partnerships/<slug:slug>/reports/<int:year>/", views.ReportView.as_view(), name="report"),
    path(
        "partnerships/<slug:slug>/reports/<int:year>.pdf",
        views.ReportPdfView.as_view(),
        name="report_pdf",
    ),
    path(
        "partnerships/<slug:slug>/reports/<int:year>.csv",
        views.ReportCsvView.as_view(),
        name="report_csv",
    ),
]
