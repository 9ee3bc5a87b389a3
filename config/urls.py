from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from config.health import healthz

admin.site.site_header = "Partnership Registry administration"
admin.site.site_title = "Partnership Registry"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Staff pages. Django's own login, logout and password views, then the registry's.
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/", include("partnerships.urls_accounts")),
    path("partnerships/", include("partnerships.urls")),
    path("", include("agreements.urls")),
    path("oversight/", include("oversight.urls")),
]
