"""A board member's main flow in a real browser: the dashboard's filters, recording a
completed review with a finding, and the nightly run closing the flag it cleared."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from oversight.models import Flag, Review
from tests import factories

from .test_staff_flows import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_board_member_reviews_an_overdue_agreement_and_the_flag_closes(
    page, live_server, board_member, oversight_body, partnership
):
    today = timezone.localdate()
    auditor = factories.OrganizationFactory(kind="auditor", name="Outside Auditors", ngo_type="")
    overdue = factories.AgreementFactory(
        partnership=partnership,
        title="Referral MOU",
        next_review_due=today - dt.timedelta(days=10),
        independent_auditor=auditor,
    )
    factories.AgreementFactory(
        partnership=partnership,
        title="Training MOU",
        next_review_due=today + dt.timedelta(days=100),
        independent_auditor=auditor,
    )
    call_command("run_flagging", stdout=io.StringIO())
    flag = overdue.flags.open().get(kind=Flag.Kind.REVIEW_OVERDUE)

    log_in(page, live_server.url, board_member.username)
    page.get_by_role("link", name="Oversight").click()
    page.wait_for_url(re.compile(r"/oversight/$"))
    assert page.get_by_role("link", name="Training MOU", exact=True).is_visible()

    # Only the agreements whose review is overdue.
    page.get_by_label("Open flag").select_option("review_overdue")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"flag=review_overdue"))
    assert page.get_by_role("link", name="Training MOU", exact=True).count() == 0
    row = page.get_by_role("row").filter(has_text="Referral MOU")
    assert row.get_by_role("cell", name="10", exact=True).is_visible()  # days overdue

    # A completed review, with a finding.
    row.get_by_role("link", name="Record a review of Referral MOU").click()
    page.wait_for_url(re.compile(rf"/oversight/agreements/{overdue.pk}/reviews/new/$"))
    page.get_by_label("Reviewing organization").select_option(str(oversight_body.pk))
    page.get_by_label("No ties").check()
    page.get_by_label("Kind").select_option("scheduled_review")
    page.get_by_label("Status").select_option("completed")
    page.get_by_label("Started on").fill((today - dt.timedelta(days=3)).isoformat())
    page.get_by_label("Completed on").fill(today.isoformat())
    page.get_by_label("Outcome").select_option("concerns")
    page.get_by_label("Public summary").fill("Referral data kept longer than agreed.")
    finding = page.get_by_role("group", name="Finding 1")
    finding.get_by_label("Severity").select_option("major")
    finding.get_by_label("Summary").fill("Retention exceeds the agreed 90 days.")
    finding.get_by_label("Corrective action", exact=True).fill("Delete older records.")
    finding.get_by_label("Corrective action due").fill((today + dt.timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Save the review").click()
    page.wait_for_url(re.compile(r"/oversight/reviews/\d+/$"))
    assert page.get_by_text("Scheduled review recorded.").is_visible()
    assert page.get_by_role(
        "cell", name="Retention exceeds the agreed 90 days.", exact=True
    ).is_visible()
    review = Review.objects.get(agreement=overdue)
    assert review.findings.count() == 1

    # The nightly run closes the flag; the dashboard no longer lists the agreement.
    call_command("run_flagging", stdout=io.StringIO())
    page.goto(f"{live_server.url}/oversight/?flag=review_overdue")
    assert page.get_by_text("No agreement matches these filters.").is_visible()
    flag.refresh_from_db()
    assert not flag.is_open
    overdue.refresh_from_db()
    assert overdue.next_review_due > today
