"""Playwright (sync API) driving Debian's chromium, headless, against ``live_server``.

Never ``playwright install``: the browser is the ``chromium`` Debian package
(``.ci/run`` installs it). Without it the browser tests are skipped, unless
REQUIRE_BROWSER=1 (as in CI) makes that an error. A failing test leaves a
screenshot in test-results/.

The pages run under the site's Content-Security-Policy: whatever it blocks (a script, a
style, a request) is reported on the browser's console, and any such report fails the
test, since blocked code means a page that does not work as the test saw it.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses database
# access from a thread with a running loop unless told it is safe (it is: the loop
# only drives the browser).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
# How Chromium reports on the console what the Content-Security-Policy blocked.
CSP_VIOLATION = re.compile(r"Content Security Policy", re.IGNORECASE)


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but there is no chromium at {CHROMIUM}.")
    skip = pytest.mark.skip(reason=f"no chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """What the Content-Security-Policy blocked in the test's pages, as the console said it.
    ``page`` fails the test if any remain at its end."""
    return []


@pytest.fixture
def page(request, browser, csp_violations):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)

    def note_violation(message) -> None:
        if CSP_VIOLATION.search(message.text):
            csp_violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", note_violation)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if csp_violations or (report is not None and report.failed):
        RESULTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
    context.close()
    if csp_violations:
        pytest.fail(
            "The Content-Security-Policy blocked:\n" + "\n".join(csp_violations), pytrace=False
        )
