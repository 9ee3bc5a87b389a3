from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from accounts.views import admin_login
from agreements.feeds import AgreementFeed
from core.health import healthz
from core.languages import language_switch
from feedback.feeds import PartnershipFeedbackFeed
from incidents.feeds import IncidentFeed
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
        path("incidents/", FeedView.as_view(feed=IncidentFeed()), name="incidents"),
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
    # The language switcher of every page's header (POST language, next): it sets the
    # language cookie and goes back to the same page. Exempt from CSRF, as all it changes is
    # the reader's language: a CSRF token would set a cookie on every public page, which
    # could then no longer be cached. A signed-in account's e-mails follow the choice.
    path("language/", language_switch, name="set_language"),
    path("admin/", admin.site.urls),
    # Staff pages. Logging in (django-allauth), password and second-factor pages, then the
    # registry's; before the public pages, whose partnerships/<slug>/ would take
    # partnerships/new/.
    path("accounts/", include("accounts.login_urls")),
    path("accounts/", include("accounts.urls")),
    path("partnerships/", include("partnerships.urls")),
    path("", include("agreements.urls")),
    path("oversight/", include("oversight.urls")),
    path("incidents/", include("incidents.urls")),
    path("", include("activities.urls")),
    path("", include("reports.urls")),
    path("feedback/", include("feedback.urls")),
    path("imports/", include("imports.urls")),
    # Followers: sign-up, their alerts, and the no-login unsubscribe link of the e-mails.
    path("alerts/", include("alerts.urls")),
    # The public pages, and the public REST API with its schema and docs.
    path("", include("public.urls")),
    path("", include("public.api.urls")),
]
