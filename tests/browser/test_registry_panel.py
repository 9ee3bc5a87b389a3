"""The registry's filter panel in a real browser, on a phone (390 px) and a laptop screen
(1280×800): filter, read the counts, sort by a header; the page never runs wider than the
screen, and on the laptop the first result shows without scrolling."""

import re

import pytest

from tests.public_registry import build_registry

from .test_journalist_flow import serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE, LAPTOP = (390, 844), (1280, 800)


def page_overflow(page) -> int:
    """How much wider than the screen the page is, in CSS pixels."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def count_beside(page, name: str, label: str) -> int:
    """The count beside the option ``label`` of the filter ``name``."""
    exact = page.locator(".facet-label", has_text=re.compile(f"^{label}$"))
    option = page.locator(f"#field-{name} label.facet-option").filter(has=exact)
    return int(re.search(r"\d+", option.locator(".facet-count").inner_text()).group())


@pytest.mark.parametrize("screen", [PHONE, LAPTOP], ids=["390px", "1280px"])
def test_a_reader_filters_reads_the_counts_and_sorts(page, live_server, screen):
    width, height = screen
    build_registry()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/partnerships/")
    panel = page.locator("details.registry-panel")

    if screen == PHONE:
        # The results come first; the filters wait behind their summary.
        assert panel.evaluate("panel => panel.open") is False
        page.locator("details.registry-panel > summary").click()
    else:
        assert panel.evaluate("panel => panel.open") is True
        first = page.locator("table.registry tbody tr").first.bounding_box()
        assert first["y"] + 40 <= height, first  # the first result, without scrolling
    assert page_overflow(page) <= 0

    # The counts of the whole registry: two public partnerships in Europe, one in Africa.
    assert count_beside(page, "region", "Europe") == 2
    assert count_beside(page, "region", "Africa") == 1
    assert page.locator('input[name="region"][type="checkbox"]').count() == 7
    assert page.locator('.registry-panel input[type="radio"]').count() == 0

    page.get_by_label("Europe").check()
    page.get_by_role("button", name="Show partnerships").click()
    # The form's empty fields are gone from the address.
    page.wait_for_url(f"{live_server.url}/partnerships/?region=europe")
    rows = page.locator("table.registry tbody tr")
    assert rows.count() == 2
    if screen == PHONE:
        page.locator("details.registry-panel > summary").click()
    # Counts with the region in force: both European partnerships are active, one is high
    # risk; the region's own counts still tell the other regions.
    assert count_beside(page, "status", "Active") == 2
    assert count_beside(page, "status", "Ended") == 0
    assert count_beside(page, "risk_level", "High") == 1
    assert count_beside(page, "region", "Africa") == 1
    assert page.get_by_label("Organization").locator(
        "option", has_text="Safe Harbour"
    ).inner_text() == ("Safe Harbour Women's Aid (1)")
    assert page_overflow(page) <= 0

    # Sort by a header: oldest first, then newest first; the region stays.
    since = page.locator("table.registry thead th", has_text="Since")
    assert since.get_attribute("aria-sort") == "none"
    assert (
        page.locator("table.registry thead th", has_text="Partnership").get_attribute("aria-sort")
        == "ascending"
    )
    since.get_by_role("link").click()
    page.wait_for_url(re.compile(r"\?region=europe&ordering=established_on$"))
    assert since.get_attribute("aria-sort") == "ascending"
    titles = page.locator("table.registry tbody th[scope=row] a").all_inner_texts()
    assert titles == ["Safe Homes Referral Partnership", "Quiet Streets"]  # no date: last
    since.get_by_role("link").click()
    page.wait_for_url(re.compile(r"\?region=europe&ordering=-established_on$"))
    assert since.get_attribute("aria-sort") == "descending"
    assert page_overflow(page) <= 0
    if screen == LAPTOP:
        first = page.locator("table.registry tbody tr").first.bounding_box()
        assert first["y"] + 40 <= height, first
    assert serious_violations(page) == []


def test_an_unknown_parameter_shows_a_notice_not_an_error(page, live_server):
    build_registry()
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    response = page.goto(f"{live_server.url}/partnerships/?region=europe&colour=blue")
    assert response.status == 200
    notice = page.locator(".registry-notice")
    assert notice.is_visible()
    assert "colour" in notice.inner_text()
    assert page.locator("table.registry tbody tr").count() == 2
    assert page_overflow(page) <= 0
