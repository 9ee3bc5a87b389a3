"""The import pages (staff): upload, the dry run and its progress, applying it."""

from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportStartView.as_view(), name="start"),
    path("<int:pk>/", views.ImportJobView.as_view(), name="job"),
    path("<int:pk>/progress/", views.ImportJobProgressView.as_view(), name="job_progress"),
    path("<int:pk>/apply/", views.ImportJobApplyView.as_view(), name="job_apply"),
]
