"""sitemap.xml: the public pages that have a stable address."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from partnerships.models import Organization, Partnership


class PartnershipSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Partnership.objects.public().order_by("pk")

    def lastmod(self, partnership):
        return partnership.updated_at


class OrganizationSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Organization.objects.public().order_by("pk")

    def location(self, organization):
        return reverse("public:organization", kwargs={"slug": organization.slug})

    def lastmod(self, organization):
        return organization.updated_at


class PageSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return ["public:home", "public:registry", "public:methodology"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {
    "pages": PageSitemap,
    "partnerships": PartnershipSitemap,
    "organizations": OrganizationSitemap,
}
