from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path(
        "partnerships/<slug:slug>/activities/new/",
        views.ActivityFormView.as_view(),
        name="new",
    ),
    path("activities/<int:pk>/edit/", views.ActivityFormView.as_view(), name="edit"),
    path(
        "activities/<int:pk>/publication/",
        views.ActivityPublicationView.as_view(),
        name="publication",
    ),
]
