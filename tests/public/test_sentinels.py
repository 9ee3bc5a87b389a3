"""Nothing private reaches a public page or feed: a crawl of everything an anonymous
reader can reach from the home page, checked for every private sentinel value."""

import re
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import reverse

from .conftest import assert_no_private_value

pytestmark = pytest.mark.django_db

NOT_PUBLIC_PAGES = ("/admin/", "/accounts/", "/static/", "/healthz")
LINK = re.compile(r'(?:href|src)="([^"]+)"')


def crawl(client, start: list[str], limit: int = 400) -> dict[str, str]:
    """Every same-site page reachable from ``start``: {url: body}."""
    seen, queue, bodies = set(start), list(start), {}
    while queue and len(bodies) < limit:
        url = queue.pop(0)
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        if response.status_code != 200:
            continue
        body = response.content.decode() if not response.streaming else ""
        bodies[url] = body
        for link in LINK.findall(body):
            link = urldefrag(link.replace("&amp;", "&"))[0]
            parts = urlsplit(link)
            if parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if link.startswith(NOT_PUBLIC_PAGES) or link in seen:
                continue
            seen.add(link)
            queue.append(link)
    return bodies


def test_no_private_value_on_any_public_page_or_feed(client, public_registry):
    start = [reverse("public:home"), "/sitemap.xml", "/robots.txt"]
    pages = crawl(client, start)
    # The crawl reached the records around the sentinels.
    for expected in (
        public_registry.partnership.get_absolute_url(),
        public_registry.agreement.get_absolute_url(),
        "/organizations/safe-harbour/",
        "/organizations/civilian-board/",
        reverse("feeds:flags"),
        reverse("feeds:agreements"),
        reverse("public:methodology"),
    ):
        assert expected in pages, f"the crawl never reached {expected}"
    for url, body in pages.items():
        assert_no_private_value(body, url)


def test_restricted_records_are_not_found(client, public_registry):
    for url in (
        public_registry.restricted.get_absolute_url(),
        public_registry.restricted_agreement.get_absolute_url(),
        "/organizations/sentinel-proposed/",
    ):
        assert client.get(url).status_code == 404, url
