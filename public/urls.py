"""The read side's pages: home, methodology, the registry, and the partnership, agreement
and organization pages (the staff's edit pages sit in each app's own URLconf)."""

from django.urls import path

from . import incidents, maps, views

app_name = "public"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("methodology/", views.MethodologyView.as_view(), name="methodology"),
    path("map/", maps.MapView.as_view(), name="map"),
    path("partnerships/", views.RegistryView.as_view(), name="registry"),
    # After the staff's partnerships/new/ (config.urls includes the staff's pages first).
    path("partnerships/<slug:slug>/", views.PartnershipDetailView.as_view(), name="partnership"),
    path("agreements/<int:pk>/", views.AgreementDetailView.as_view(), name="agreement"),
    path("organizations/<slug:slug>/", views.OrganizationDetailView.as_view(), name="organization"),
    path("incidents/", incidents.IncidentListView.as_view(), name="incidents"),
    path("incidents/<int:pk>/", incidents.IncidentDetailView.as_view(), name="incident"),
]
