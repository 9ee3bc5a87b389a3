"""The staff pages of incidents (the public ones are ``public:incidents`` and
``public:incident``)."""

from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("manage/", views.IncidentManageListView.as_view(), name="manage"),
    path("new/", views.IncidentCreateView.as_view(), name="new"),
    path("<int:pk>/manage/", views.IncidentStaffDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.IncidentEditView.as_view(), name="edit"),
    path("<int:pk>/submit/", views.IncidentSubmitView.as_view(), name="submit"),
    path("<int:pk>/approve/", views.IncidentApproveView.as_view(), name="approve"),
    path("<int:pk>/send-back/", views.IncidentSendBackView.as_view(), name="send_back"),
    path("<int:pk>/retract/", views.IncidentRetractView.as_view(), name="retract"),
    path("<int:pk>/withhold/", views.IncidentWithholdView.as_view(), name="withhold"),
    path(
        "<int:pk>/revision/approve/",
        views.IncidentRevisionApproveView.as_view(),
        name="revision_approve",
    ),
]
