"""A journalist's flow through the public pages in a real browser, with an accessibility
check (axe-core, vendored, run in the page) on home, registry and partnership pages."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.templatetags.static import static

from tests.public_registry import build_registry

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def serious_violations(page) -> list[str]:
    # From the site's static files: the page's Content-Security-Policy runs no inline script.
    page.add_script_tag(url=static("vendor/axe-core/axe.min.js"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_journalist_finds_understands_and_follows_a_partnership(page, live_server):
    registry = build_registry()
    registry.trafficking_watch.region = "europe"
    registry.trafficking_watch.save()
    errors, hosts = [], set()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))

    # The home page draws its charts.
    page.goto(live_server.url + "/")
    region_chart = page.locator('canvas[data-chart="region"]')
    region_chart.wait_for()
    page.wait_for_function("document.querySelector('canvas[data-chart=region]').dataset.drawn")
    assert int(region_chart.get_attribute("data-drawn")) == 7
    assert page.locator("canvas[data-drawn]").count() == 5
    assert serious_violations(page) == []

    # The registry, filtered to Europe and human trafficking.
    page.get_by_role("link", name="Registry", exact=True).first.click()
    page.get_by_label("Europe").check()
    page.get_by_label("Focus area").select_option("human-trafficking")
    page.get_by_role("button", name="Show partnerships").click()
    page.wait_for_url(re.compile(r"region=europe"))
    assert "focus_area=human-trafficking" in page.url
    rows = page.locator("table.registry tbody tr")
    assert rows.count() == 1
    assert serious_violations(page) == []

    # The partnership page, its CSV and its feed.
    rows.get_by_role("link", name="Trafficking Watch Coalition").click()
    page.wait_for_url(re.compile(r"/partnerships/trafficking-watch/$"))
    assert page.get_by_role("heading", name="Trafficking Watch Coalition", level=1).is_visible()
    assert serious_violations(page) == []
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download its public agreements as CSV").click()
    csv_text = Path(download_info.value.path()).read_text()
    assert "Coalition memorandum" in csv_text

    feed_link = page.locator('link[rel="alternate"][title="Newly raised flags"]')
    feed = page.request.get(live_server.url + feed_link.get_attribute("href"))
    assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
    assert "<feed" in feed.text()

    assert errors == []
    assert hosts == {urlsplit(live_server.url).netloc}
