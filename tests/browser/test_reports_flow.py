"""Transparency reports in a real browser: an editor requests this year's draft report from
the partnership page (the public never sees it); an anonymous visitor finds last year's
published report on the partnership page and downloads its PDF."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from reports.models import Report
from reports.services import report_publish_year
from tests.activities.factories import ActivityFactory, ActivityResultFactory

from .menu import log_out
from .test_staff_flows import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("width", [390, 1280])
def test_an_editor_requests_a_draft_and_the_public_downloads_last_years_report(
    page, live_server, partnership, ngo_editor, width
):
    today = timezone.localdate()
    activity = ActivityFactory(
        partnership=partnership,
        title="Custody officers' training",
        started_on=dt.date(today.year - 1, 3, 1),
        ended_on=dt.date(today.year - 1, 3, 2),
    )
    ActivityResultFactory(
        activity=activity,
        period_start=dt.date(today.year - 1, 3, 1),
        period_end=dt.date(today.year - 1, 3, 2),
    )
    published = report_publish_year(
        partnership=partnership,
        year=today.year - 1,
        now=dt.datetime(today.year, 1, 2, 4, 20, tzinfo=dt.UTC),
    )
    page.set_viewport_size({"width": width, "height": 900})

    # The editor requests this year's draft from the partnership page.
    log_in(page, live_server.url, ngo_editor.username)
    page.goto(f"{live_server.url}{partnership.get_absolute_url()}")
    page.get_by_role("button", name="Request this year's draft report").click()
    page.wait_for_url(re.compile(rf"/reports/{today.year}/"))
    assert page.get_by_role("heading", name=f"Transparency report {today.year}").is_visible()
    assert page.get_by_text("draft, not public").is_visible()
    draft = Report.objects.get(year=today.year)
    assert draft.status == Report.Status.DRAFT
    log_out(page)

    # An anonymous visitor finds last year's report, not the draft, and downloads the PDF.
    page.goto(f"{live_server.url}{partnership.get_absolute_url()}")
    reports = page.locator("#reports")
    assert reports.get_by_role("link", name=f"Transparency report {today.year - 1}").is_visible()
    assert reports.get_by_text(f"Transparency report {today.year}", exact=True).count() == 0
    reports.get_by_role("link", name=f"Transparency report {today.year - 1}").click()
    assert page.get_by_text(published.sha256).is_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    pdf = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    text = "".join(p.extract_text() for p in pdf.pages).replace("\n", "")
    assert published.sha256 in text
    assert page.goto(f"{live_server.url}{draft.html_url}").status == 404
