"""A form sent back with problems, in a real browser at a phone's and a desktop's width: the
error summary at the top takes focus, its links move focus to their fields, what was typed
is all there, and once fixed the form is saved."""

import re

import pytest
from django.templatetags.static import static
from playwright.sync_api import expect

from agreements.models import Agreement
from tests.browser.test_staff_flows import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RETENTION = "#id_terms-0-retention_days"
EXPIRES = "#id_expires_on"


def fill_an_agreement_with_two_mistakes(page) -> None:
    page.get_by_label("Title").fill("Referral MOU")
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Signed on").fill("2025-01-10")
    page.get_by_label("Effective from").fill("2025-02-01")
    page.get_by_label("Expires on").fill("31/02/2027")  # not a date
    page.get_by_label("Public summary").fill("How referrals work.")
    page.locator('[name="terms-0-data_category"]').select_option("aggregate_statistics")
    page.locator('[name="terms-0-direction"]').select_option("police_to_ngo")
    page.locator('[name="terms-0-purpose"]').fill("Monthly counts of referrals")
    page.locator(RETENTION).fill("six months")  # far down the page, and not a number


def serious_violations_in_the_form(page) -> list[str]:
    """What axe-core (vendored) finds of impact serious or critical in the form sent back
    with its errors (the rest of the page is other tests' business)."""
    page.add_script_tag(url=static("vendor/axe-core/axe.min.js"))
    result = page.evaluate(
        "async () => await axe.run({include: [['main form[novalidate]']]},"
        " {resultTypes: ['violations']})"
    )
    assert result["passes"], "axe checked nothing"
    return [
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes'][:3]]})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def in_view(page, selector: str) -> bool:
    """The element's top is inside the window (not above it, not below it)."""
    return page.locator(selector).evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }"
    )


@pytest.mark.parametrize("width", [390, 1280])
def test_the_error_summary_leads_to_each_problem_and_nothing_typed_is_lost(
    page, live_server, ngo_editor, partnership, width
):
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, live_server.url, ngo_editor.username)
    page.goto(f"{live_server.url}/partnerships/{partnership.slug}/agreements/new/")
    fill_an_agreement_with_two_mistakes(page)

    page.get_by_role("button", name="Add agreement").click()

    # The summary is what has focus, in view at the top, and the title says there is an error.
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    assert in_view(page, "[data-error-summary] h2")
    expect(summary.get_by_role("heading")).to_have_text("There are 2 problems with this form")
    # (set by the deferred error-summary script: waited for)
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert not Agreement.objects.exists()

    # Everything typed is there, the mistakes as they were typed.
    expect(page.get_by_label("Title")).to_have_value("Referral MOU")
    expect(page.get_by_label("Signed on")).to_have_value("2025-01-10")
    expect(page.locator(EXPIRES)).to_have_value("31/02/2027")
    expect(page.locator('[name="terms-0-purpose"]')).to_have_value("Monthly counts of referrals")
    expect(page.locator(RETENTION)).to_have_value("six months")
    # One message per problem, beside its field.
    expect(page.locator("#id_expires_on_error")).to_have_text(re.compile("Enter a real date"))
    expect(page.locator("#id_signed_on_error")).to_have_count(0)
    assert serious_violations_in_the_form(page) == []

    # A link of the summary moves focus to its field, with the field's label in view.
    summary.get_by_role("link", name=re.compile(r"Retention \(days\)")).click()
    expect(page.locator(RETENTION)).to_be_focused()
    assert in_view(page, f"label[for='{RETENTION[1:]}']")
    page.keyboard.press("Control+A")
    page.keyboard.type("90")

    page.locator("[data-error-summary]").get_by_role("link", name=re.compile("Expires on")).click()
    expect(page.locator(EXPIRES)).to_be_focused()
    assert in_view(page, f"label[for='{EXPIRES[1:]}']")
    page.locator(EXPIRES).fill("2027-01-31")

    page.get_by_role("button", name="Add agreement").click()
    page.wait_for_url(re.compile(r"/agreements/\d+/$"))

    agreement = Agreement.objects.get()
    assert (agreement.title, agreement.status, agreement.public_summary) == (
        "Referral MOU",
        "active",
        "How referrals work.",
    )
    assert (str(agreement.signed_on), str(agreement.expires_on)) == ("2025-01-10", "2027-01-31")
    term = agreement.data_sharing_terms.get()
    assert (term.purpose, term.retention_days) == ("Monthly counts of referrals", 90)


def test_without_javascript_the_summary_still_takes_focus_and_its_links_lead_to_the_field(
    browser, live_server, ngo_editor, partnership
):
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, live_server.url, ngo_editor.username)
        page.goto(f"{live_server.url}/partnerships/{partnership.slug}/agreements/new/")
        fill_an_agreement_with_two_mistakes(page)
        page.get_by_role("button", name="Add agreement").click()

        summary = page.locator("[data-error-summary]")
        expect(summary).to_be_focused()  # its autofocus attribute
        summary.get_by_role("link", name=re.compile(r"Retention \(days\)")).click()
        expect(page.locator(RETENTION)).to_be_focused()  # the link's fragment
        assert in_view(page, RETENTION)
    finally:
        context.close()
