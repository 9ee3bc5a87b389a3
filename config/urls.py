from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from accounts.views import admin_login
from agreements.feeds import AgreementFeed
from core.health import healthz
from feedback.feeds import PartnershipFeedbackFeed
from oversight.feeds import FlagFeed
from public.feeds import FeedView
from public.robots import robots_txt
from public.sitemaps import SITEMAPS

admin.site.site_header = "Partnership Registry administration"
admin.site.site_title = "Partnership Registry"
# One login for the site and its administration, with its second factor and lockout.
admin.site.login = admin_login

# An uncaught exception is a 500, except the database being unreachable: a 503.
handler500 = "core.unavailable.server_error"

feeds = (
    [
        # Atom for feed readers; for a browser, a page of the same entries (public.feeds).
        path("flags/", FeedView.as_view(feed=FlagFeed()), name="flags"),
        path("agreements/", FeedView.as_view(feed=AgreementFeed()), name="agreements"),
        # Atom only: a partnership's feedback (its page shows the same items).
        path("feedback/<slug:slug>/", PartnershipFeedbackFeed(), name="feedback"),
    ],
    "feeds",
)

urlpatterns = [
    path("feeds/", include(feeds)),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Staff pages. Logging in (django-allauth), password and second-factor pages, then the
    # registry's; before the public pages, whose partnerships/<slug>/ would take
    # partnerships/new/.
    path("accounts/", include("accounts.login_urls")),
    path("accounts/", include("accounts.urls")),
    path("partnerships/", include("partnerships.urls")),
    path("", include("agreements.urls")),
    path("oversight/", include("oversight.urls")),
    path("feedback/", include("feedback.urls")),
    path("imports/", include("imports.urls")),
    # Followers: sign-up, their alerts, and the no-login unsubscribe link of the e-mails.
    path("alerts/", include("alerts.urls")),
    # The public pages, and the public REST API with its schema and docs.
    path("", include("public.urls")),
    path("", include("public.api.urls")),
]
