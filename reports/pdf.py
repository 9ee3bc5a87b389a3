"""The report as a PDF (WeasyPrint). Its URL fetcher refuses every network address: a PDF
reads only the registry's own static files, so that generating one never reaches out (a
value of the record that names an address is text, never fetched)."""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

# WeasyPrint tells each step of each PDF at INFO (from its import on): not news.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import HTML  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

# The base every relative address of the printed page is resolved against.
BASE_URL = "file:///"


class StaticFilesOnly(URLFetcher):
    """Fetch ``file:///static/<path>`` from the app's static files; refuse anything else
    (``http``, ``https``, ``ftp``, ``data`` aside from WeasyPrint's own, other files)."""

    def fetch(self, url, headers=None):
        path = static_path(url)
        if path is None:
            raise ValueError(f"Refused: a report reads only the registry's static files ({url}).")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def static_path(url: str) -> Path | None:
    """The static file ``url`` names (``file:///static/...``), or None."""
    parts = urlsplit(url)
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if parts.scheme != "file" or parts.netloc or not parts.path.startswith(prefix):
        return None
    relative = unquote(parts.path[len(prefix) :])
    if ".." in Path(relative).parts:
        return None
    found = finders.find(relative)
    return Path(found) if found else None


def render_pdf(context: dict, *, fetcher: URLFetcher | None = None) -> bytes:
    html = render_to_string("reports/report_print.html", context)
    return HTML(
        string=html, base_url=BASE_URL, url_fetcher=fetcher or StaticFilesOnly()
    ).write_pdf()
