"""The publication workflow in a real browser: an NGO editor withholds a shelter's address
for survivor safety and submits; the police editor of the other party approves; the public
sees "Withheld — Survivor safety" on the page and the ``withheld`` entry in the API."""

import json
import re

import pytest

from partnerships.models import Partnership
from publication.choices import PublicationStatus
from tests import factories
from tests.browser.menu import log_out, menu_link

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"
ADDRESS = "the shelter at 12 Larkspur Lane"


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Oversight members land on their dashboard, the parties' staff on their organizations.
    page.wait_for_url(re.compile(r"/(accounts/my-organization|oversight)/$"))


@pytest.mark.parametrize("width", [390, 1280])
def test_a_withheld_address_is_approved_by_the_other_party_and_never_public(
    browser, live_server, ngo, police, ngo_editor, police_editor, width
):
    partnership = factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="Larkspur safe referrals",
        slug="larkspur-safe-referrals",
        roles_and_responsibilities=f"Officers take referred women to {ADDRESS}.",
        publication_status=PublicationStatus.DRAFT,
    )
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # The NGO editor withholds the address and submits the partnership.
        log_in(page, live_server.url, ngo_editor.username)
        page.goto(f"{live_server.url}/publication/partnerships/{partnership.pk}/")
        page.get_by_label("Value to withhold").select_option(
            f"partnership-{partnership.pk}-roles_and_responsibilities"
        )
        page.get_by_role("radio", name=re.compile("Survivor safety")).check()
        page.get_by_label("Rationale (public)").fill("It would tell where survivors stay.")
        page.get_by_role("button", name="Withhold this value").click()
        page.get_by_role("button", name="Submit for publication").click()
        page.get_by_text("Submitted for publication").first.wait_for()
        # Not the submitter's to approve.
        assert page.get_by_role("button", name="Approve and publish").count() == 0
        log_out(page)

        # The police editor approves.
        log_in(page, live_server.url, police_editor.username)
        menu_link(page, re.compile(r"Approvals \(1\)")).click()
        page.get_by_role("link", name="Check and decide on Larkspur safe referrals").click()
        # What the public will see: the address withheld, with its reason.
        page.get_by_role("button", name="What the public sees").click()
        assert page.get_by_text("Withheld — Survivor safety").first.is_visible()
        assert ADDRESS not in page.content()
        page.go_back()
        page.get_by_role("button", name="Approve and publish").click()
        page.get_by_text("Published").first.wait_for()
        partnership.refresh_from_db()
        assert partnership.publication_status == PublicationStatus.PUBLISHED
        log_out(page)

        # The public sees the partnership, and that the address is withheld and why.
        page.goto(f"{live_server.url}/partnerships/larkspur-safe-referrals/")
        assert page.get_by_text("Withheld — Survivor safety").first.is_visible()
        assert ADDRESS not in page.content()
        document_width = page.evaluate("document.documentElement.scrollWidth")
        assert document_width <= width, document_width
        page.goto(f"{live_server.url}/api/v1/partnerships/{partnership.pk}/")
        record = json.loads(page.locator("body").inner_text())
        assert record["roles_and_responsibilities"] is None
        assert record["withheld"] == [
            {
                "field": "roles_and_responsibilities",
                "reason_code": "survivor_safety",
                "reason_label": "Survivor safety",
                "rationale": "It would tell where survivors stay.",
                "available_on": None,
            }
        ]
        assert Partnership.objects.public().filter(pk=partnership.pk).exists()
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_a_change_of_a_published_partnership_waits_for_the_other_partys_approval(
    browser, live_server, ngo, police, ngo_editor, police_editor, width
):
    partnership = factories.partnership_with_parties(
        ngo=ngo, police=police, title="Harbour referrals", slug="harbour-referrals"
    )
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # The NGO editor renames the published partnership: the change waits.
        log_in(page, live_server.url, ngo_editor.username)
        page.goto(f"{live_server.url}/partnerships/harbour-referrals/edit/")
        page.get_by_label("Title").fill("Harbour and estuary referrals")
        page.get_by_role("button", name=re.compile("^Save")).click()
        assert page.get_by_text("Your changes wait for approval").is_visible()
        log_out(page)
        public = page.goto(f"{live_server.url}/partnerships/harbour-referrals/")
        assert "Harbour and estuary referrals" not in public.text()

        # The police editor sees what changes, previews it, and approves.
        log_in(page, live_server.url, police_editor.username)
        page.goto(f"{live_server.url}/publication/partnerships/{partnership.pk}/")
        changes = page.locator("#revision")
        assert changes.get_by_role("cell", name="Harbour and estuary referrals").is_visible()
        # The changes fit the screen (a wide table scrolls inside its own frame).
        assert changes.evaluate("e => e.scrollWidth <= e.clientWidth") is True
        changes.get_by_role("button", name="What the public will see").click()
        assert page.get_by_role("heading", name="Harbour and estuary referrals").is_visible()
        page.go_back()
        page.get_by_role("button", name="Approve the changes").click()
        page.get_by_text("Changes approved").wait_for()
        log_out(page)

        page.goto(f"{live_server.url}/partnerships/harbour-referrals/")
        assert page.get_by_role("heading", name="Harbour and estuary referrals").is_visible()
    finally:
        context.close()
