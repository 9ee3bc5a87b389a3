from django.urls import path

from audit.views import RecordHistoryView

from . import permissions, views

app_name = "oversight"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("agreements/<int:pk>/reviews/new/", views.ReviewCreateView.as_view(), name="review_new"),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review_detail"),
    path("reviews/<int:pk>/complete/", views.ReviewCompleteView.as_view(), name="review_complete"),
    path("reviews/<int:pk>/findings/new/", views.FindingAddView.as_view(), name="finding_new"),
    path("findings/<int:pk>/resolve/", views.FindingResolveView.as_view(), name="finding_resolve"),
    path("flags/<int:pk>/", views.FlagDetailView.as_view(), name="flag_detail"),
    path("flags/<int:pk>/resolve/", views.FlagResolveView.as_view(), name="flag_resolve"),
    path(
        "history/<slug:model>/<int:pk>/",
        RecordHistoryView.as_view(allowed=permissions.can_see_full_history),
        name="record_history",
    ),
]
