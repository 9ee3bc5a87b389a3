"""A feed's address opened in a browser: a page with the feed's entries and how to follow
it; a feed reader at the same address still gets Atom (tests/public/test_feeds.py)."""

import pytest
from django.urls import reverse

from .conftest import assert_no_private_value
from .test_feeds import ATOM, parse_atom

pytestmark = pytest.mark.django_db

# What a browser asks for when it opens an address, and what feed readers ask for.
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
READERS = [
    None,  # no Accept header: the Django test client's, curl's
    "*/*",
    "application/atom+xml, application/rss+xml;q=0.9, application/xml;q=0.8, */*;q=0.5",
    "application/atom+xml,text/html;q=0.5",  # a reader that would take HTML too
]


@pytest.mark.parametrize("name", ["feeds:flags", "feeds:agreements"])
def test_a_browser_gets_a_page_of_the_feeds_entries_and_how_to_follow_it(
    client, public_registry, name
):
    atom = parse_atom(client.get(reverse(name)))

    response = client.get(reverse(name), HTTP_ACCEPT=BROWSER)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Accept" in response["Vary"]
    html = response.content.decode()
    assert "How to follow" in html
    assert f'id="feed-address" type="url" readonly value="http://testserver{reverse(name)}"' in html
    entries = atom.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        assert entry.find(f"{ATOM}link").get("href") in html
    assert_no_private_value(html, f"the page of {name}")


@pytest.mark.parametrize("accept", READERS)
def test_a_feed_reader_still_gets_atom(client, public_registry, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(reverse("feeds:flags"), **headers)
    parse_atom(response)
    assert "Accept" in response["Vary"]


def test_the_page_narrows_as_the_feed_does_and_gives_the_narrowed_address(client, public_registry):
    url = reverse("feeds:flags")
    response = client.get(url, {"region": "europe", "focus_area": ""}, HTTP_ACCEPT=BROWSER)

    html = response.content.decode()
    assert "(region Europe)" in html
    # The address to copy is the feed's own, without the empty filter.
    assert f'value="http://testserver{url}?region=europe"' in html
    feed = parse_atom(client.get(url, {"region": "europe", "focus_area": ""}))
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == (
        f"http://testserver{url}?region=europe"
    )


def test_a_bad_filter_is_a_400_page_saying_why(client, public_registry):
    response = client.get(reverse("feeds:flags"), {"region": "atlantis"}, HTTP_ACCEPT=BROWSER)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "region: &#x27;atlantis&#x27; is not a region" in response.content.decode()


def test_the_page_and_the_feed_are_cached_apart(client, public_registry):
    url = reverse("feeds:flags")
    page = client.get(url, HTTP_ACCEPT=BROWSER)
    feed = client.get(url)
    assert page["ETag"] != feed["ETag"]
    assert client.get(url, HTTP_ACCEPT=BROWSER, HTTP_IF_NONE_MATCH=page["ETag"]).status_code == 304
