"""The registry by country in a real browser, on a phone (390 px) and a desktop (1280 px):
the map is drawn from this site's files alone (every request watched), fits the screen,
answers the mouse and the keyboard with a country's counts, opens the registry filtered by
the country, recolours by measure, and passes axe-core."""

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.test_journalist_flow import serious_violations
from tests.public_registry import build_registry

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# build_registry's public countries, by name: the Tab key's order on the map.
COUNTRIES = ["France", "India", "Kenya", "United Kingdom"]


def open_map(page, url: str) -> None:
    page.goto(url)
    page.locator("[data-map][data-drawn]").wait_for(state="attached")
    assert page.locator("[data-map]").get_attribute("data-drawn") == str(len(COUNTRIES))


@pytest.mark.parametrize("width", [390, 1280])
def test_a_reader_explores_the_map_by_mouse_and_keyboard_without_leaving_the_site(
    page, live_server, width
):
    build_registry()
    page.set_viewport_size({"width": width, "height": 900})
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    open_map(page, live_server.url + "/map/")

    # The map scales to the screen; the page does not scroll sideways.
    box = page.locator(".map-svg").bounding_box()
    assert 0 < box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.locator(".map-data tbody tr").count() == len(COUNTRIES)

    # The countries with records are links, in the table's order.
    links = page.locator(".map-svg a")
    labels = [links.nth(i).get_attribute("aria-label") for i in range(links.count())]
    assert [label.split(":")[0] for label in labels] == COUNTRIES
    assert labels[-1] == (
        "United Kingdom: Public partnerships 1, Public agreements 1, "
        "High-risk agreements 1, Open flags 1, Public incidents 0"
    )

    # Hovering a country reads out its counts.
    readout = page.locator("[data-map-readout]")
    page.locator('.map-svg a[href="/partnerships/?country=KE"] path').hover(force=True)
    assert readout.inner_text().startswith("Kenya — Public partnerships: 1")

    # Colouring by open flags: only the United Kingdom has one.
    page.get_by_role("radio", name="Open flags").check()
    assert page.locator("[data-map]").get_attribute("data-measure") == "open_flags"
    gb = page.locator('.map-svg a[href="/partnerships/?country=GB"] path')
    assert gb.get_attribute("class") == "map-step-5"
    fr = page.locator('.map-svg a[href="/partnerships/?country=FR"] path')
    assert fr.get_attribute("class") == "map-step-0"
    assert page.locator("[data-map-legend] li").all_inner_texts() == ["0 (none)", "1"]

    # The Tab key reaches the first country after the measures and reads out its counts;
    # Enter opens the registry filtered by it.
    page.get_by_role("radio", name="Open flags").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("France: Public partnerships 1, Public agreements 0")
    assert readout.inner_text().startswith("France — Public partnerships: 1")
    page.keyboard.press("Tab")
    assert readout.inner_text().startswith("India — ")

    assert serious_violations(page) == []

    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/partnerships/\?country=IN$"))
    assert page.locator("table.registry tbody tr").count() == 1
    assert page.get_by_role("link", name="Youth Diversion Scheme").count() == 1

    assert errors == []
    live = urlsplit(live_server.url).netloc
    assert requests and {urlsplit(url).netloc for url in requests} == {live}


def test_the_home_page_draws_the_same_map(page, live_server):
    build_registry()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    open_map(page, live_server.url + "/")
    page.locator('.map-svg a[href="/partnerships/?country=GB"]').click()
    page.wait_for_url(re.compile(r"/partnerships/\?country=GB$"))
    assert hosts == {urlsplit(live_server.url).netloc}
