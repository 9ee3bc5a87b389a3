"""What a reader, a proxy or a script may reuse: Cache-Control, ETags and 304s on public
pages, API lists and feeds; nothing personal is ever public."""

import pytest
from django.utils.http import http_date

from tests import factories

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/partnerships/", "/methodology/", "/api/v1/partnerships/", "/api/v1/flags/"]


@pytest.fixture
def registry(partnership):
    factories.AgreementFactory(partnership=partnership)
    return partnership


@pytest.mark.parametrize("url", PUBLIC)
def test_a_public_answer_is_cacheable_and_revalidates_to_a_304(client, registry, url):
    first = client.get(url)
    assert first.status_code == 200
    assert "public" in first["Cache-Control"] and "max-age=60" in first["Cache-Control"]
    etag = first["ETag"]
    assert etag.startswith('W/"')

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    # A cache keeps the policy that matches its copy's nonce: a 304 brings none.
    assert not again.has_header("Content-Security-Policy")


def test_the_etag_of_a_page_ignores_its_nonce_but_not_its_content(client, registry):
    first = client.get(registry.get_absolute_url())
    assert client.get(registry.get_absolute_url())["ETag"] == first["ETag"]
    registry.title = "Renamed for the cache"
    registry.save()
    changed = client.get(registry.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert "Renamed for the cache" in changed.content.decode()


def test_what_a_signed_in_user_reads_is_private(client, registry, ngo_editor):
    client.force_login(ngo_editor)
    response = client.get(registry.get_absolute_url())
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_a_page_that_sets_a_cookie_is_not_public(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "public" not in response.get("Cache-Control", "")


def test_a_feed_answers_if_modified_since_with_a_304_and_states_its_licence(client, registry):
    factories.FlagFactory(agreement=registry.agreements.get())
    first = client.get("/feeds/flags/")
    assert "<rights>CC BY 4.0" in first.content.decode()
    last_modified = first["Last-Modified"]

    again = client.get("/feeds/flags/", HTTP_IF_MODIFIED_SINCE=last_modified)

    assert again.status_code == 304
    older = http_date(0)
    assert client.get("/feeds/flags/", HTTP_IF_MODIFIED_SINCE=older).status_code == 200


def test_a_bad_feed_filter_is_answered_in_xml(client):
    response = client.get("/feeds/flags/?region=atlantis")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/xml")
    assert response.content.startswith(b'<?xml version="1.0"')
    assert b"region: &#x27;atlantis&#x27; is not a region" in response.content


def test_pages_and_lists_are_compressed_for_clients_that_accept_it(client, registry):
    for url in ("/", "/api/v1/partnerships/"):
        plain = client.get(url)
        packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert packed["Content-Encoding"] == "gzip", url
        assert len(packed.content) < len(plain.content), url
        # Still revalidates: the validator of the page is the same, compressed or not.
        again = client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
        assert again.status_code == 304, url
