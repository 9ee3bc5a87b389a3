"""Incidents in a real browser, at a phone's width and a desktop's: a board member records
a data breach an independent audit found (discovered more than 72 hours before, reported
late, no reason for the delay); the NGO's editor approves it; the nightly flagging run
raises "Data breach notified late"; a journalist finds it on /incidents/ by its kind and
sees the flag; once the partnership's report of the year is published, the journalist
finds the incident in its PDF."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from incidents.models import Incident
from oversight.models import Flag
from publication.choices import PublicationStatus
from tests import factories
from tests.browser.menu import log_out

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Oversight members land on their dashboard, the parties' staff on their organizations.
    page.wait_for_url(re.compile(r"/(accounts/my-organization|oversight)/$"))


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("width", [390, 1280])
def test_a_late_breach_recorded_by_the_board_is_flagged_and_found_by_a_journalist(
    browser, live_server, partnership, board_member, ngo_editor, width
):
    agreement = factories.AgreementFactory(partnership=partnership, title="Referral MOU")
    discovered = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=10)
    reported = discovered + dt.timedelta(hours=100)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        # The board member records the breach from the agreement's page.
        log_in(page, live_server.url, board_member.username)
        page.goto(f"{live_server.url}/agreements/{agreement.pk}/")
        page.get_by_role("button", name="Record an incident").click()
        page.wait_for_url(re.compile(r"/incidents/new/"))
        page.get_by_label("Kind (required)").select_option("data_breach")
        page.get_by_label("Title (required)").fill("Referral records emailed to the wrong agency")
        page.get_by_label("Discovered at (required)").fill(local(discovered))
        page.get_by_label("Reported to the authority at", exact=True).fill(local(reported))
        page.get_by_label("Authority", exact=True).fill("Information Commissioner's Office")
        page.get_by_label("Nature (required)").fill(
            "Two hundred referral records went to another agency."
        )
        page.get_by_label("Victim records", exact=True).check()
        page.get_by_label("Victims", exact=True).check()
        page.get_by_label("How it was found (required)").select_option("independent_audit")
        page.get_by_label("Private notes", exact=True).fill("Auditor's contact: private.")
        page.get_by_role("button", name="Save the incident").click()
        page.wait_for_url(re.compile(r"/incidents/\d+/manage/$"))
        assert page.get_by_text("100.0 hours after discovery").is_visible()
        page.get_by_role("button", name="Submit for publication").click()
        page.get_by_text("Submitted for publication").first.wait_for()
        # Not the submitter's to approve.
        assert page.get_by_role("button", name="Approve and publish").count() == 0
        incident = Incident.objects.get()
        log_out(page)

        # The NGO's editor approves it.
        log_in(page, live_server.url, ngo_editor.username)
        page.goto(f"{live_server.url}/incidents/{incident.pk}/manage/")
        page.get_by_role("button", name="Approve and publish").click()
        page.get_by_text("Approved and published.").wait_for()
        incident.refresh_from_db()
        assert incident.publication_status == PublicationStatus.PUBLISHED
        log_out(page)

        # The nightly run flags the late notification.
        call_command("run_flagging", stdout=io.StringIO())
        assert agreement.flags.open().filter(kind=Flag.Kind.BREACH_NOTIFIED_LATE).exists()

        # A journalist, anonymous, finds it by its kind and sees the flag.
        page.goto(f"{live_server.url}/incidents/")
        page.get_by_label("Kind").select_option("data_breach")
        page.get_by_role("button", name="Show incidents").click()
        page.wait_for_url(re.compile(r"kind=data_breach"))
        item = page.locator(".incident-item").filter(
            has_text="Referral records emailed to the wrong agency"
        )
        assert item.get_by_text("Data breach notified late").is_visible()
        assert item.get_by_text("reported to the authority after 100.0 hours").is_visible()
        document_width = page.evaluate("document.documentElement.scrollWidth")
        assert document_width <= width, document_width
        item.get_by_role("link", name="Referral records emailed to the wrong agency").click()
        page.wait_for_url(re.compile(rf"/incidents/{incident.pk}/$"))
        assert page.get_by_text("Data breach notified late").first.is_visible()
        assert page.get_by_text("Independent audit").is_visible()
        assert "Auditor's contact" not in page.content()

        # The NGO's editor publishes the partnership's report of the year so far (it
        # holds the incidents open during the year: this one, still open).
        year = timezone.localdate().year
        log_in(page, live_server.url, ngo_editor.username)
        page.goto(f"{live_server.url}{partnership.get_absolute_url()}")
        page.get_by_role("button", name="Request this year's draft report").click()
        page.get_by_role("button", name="Publish this report").click()
        page.get_by_role("button", name="Draft a correction").wait_for()
        log_out(page)

        # The journalist downloads it: the breach is in the PDF.
        page.goto(f"{live_server.url}{partnership.get_absolute_url()}")
        page.get_by_role("link", name=f"Transparency report {year}").click()
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download the PDF").click()
        pdf = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
        text = " ".join(p.extract_text() for p in pdf.pages).replace("\n", " ")
        assert "Referral records emailed to the wrong agency" in " ".join(text.split())
    finally:
        context.close()
