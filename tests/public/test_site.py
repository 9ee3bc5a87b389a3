"""Sharing and finding: sitemap.xml, robots.txt, meta on every public page."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_the_sitemap_lists_public_pages_only(client, public_registry):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    sitemap = ET.fromstring(response.content)  # noqa: S314 - our own response
    locations = {loc.text for loc in sitemap.iter(f"{SITEMAP}loc")}
    assert "http://testserver/partnerships/harbour-anti-trafficking/" in locations
    assert "http://testserver/organizations/civilian-board/" in locations
    assert {
        "http://testserver/",
        "http://testserver/partnerships/",
        "http://testserver/methodology/",
    } <= locations
    assert not any("sentinel" in location for location in locations)


def test_robots_txt_points_at_the_sitemap_and_keeps_staff_pages_out(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines and "Disallow: /accounts/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /" not in lines  # the public pages may be indexed


@pytest.mark.parametrize(
    "url",
    [
        reverse("public:home"),
        reverse("public:registry"),
        reverse("public:methodology"),
        "/partnerships/harbour-anti-trafficking/",
        "/organizations/safe-harbour/",
        reverse("login"),
    ],
)
def test_every_page_has_description_and_open_graph_meta(client, public_registry, url):
    html = client.get(url).content.decode()
    for meta in (
        'name="description"',
        'property="og:title"',
        'property="og:description"',
        'property="og:url"',
        'property="og:type"',
        'property="og:site_name"',
    ):
        assert f"<meta {meta} content=" in html, (url, meta)
