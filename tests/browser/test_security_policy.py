"""The pages under their Content-Security-Policy in a real browser: every kind of page loads
with nothing blocked (the ``page`` fixture fails a test on any report of the policy), the
API docs work, and code injected into a page does not run."""

import re

import pytest
from django.urls import reverse

from partnerships.models import Membership
from tests import factories
from tests.public_registry import build_registry

from .conftest import CSP_VIOLATION
from .test_staff_flows import PASSWORD, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_every_kind_of_page_loads_with_nothing_blocked(page, live_server):
    registry = build_registry()
    editor = factories.MembershipFactory(
        organization=registry.ngo, role=Membership.Role.EDITOR
    ).user
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    for address in (
        reverse("public:home"),
        reverse("public:registry"),
        registry.safe_homes.get_absolute_url(),
        registry.safe_homes_mou.get_absolute_url(),
        reverse("public:organization", kwargs={"slug": registry.ngo.slug}),
        reverse("public:methodology"),
        "/no-such-page/",
    ):
        page.goto(live_server.url + address)
        page.wait_for_load_state("networkidle")

    log_in(page, live_server.url, editor.username)
    for address in (
        reverse("accounts:dashboard"),
        reverse("partnerships:new"),
        reverse("agreements:new", kwargs={"slug": registry.safe_homes.slug}),
        reverse("agreements:approval_queue"),
        reverse("password_change"),
    ):
        page.goto(live_server.url + address)
        page.wait_for_load_state("networkidle")
    assert errors == []


def test_the_admin_works_under_the_policy(page, live_server):
    build_registry()
    factories.UserFactory(username="admin", is_staff=True, is_superuser=True)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(f"{live_server.url}/admin/partnerships/partnership/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#result_list tbody tr").count() >= 4
    page.goto(f"{live_server.url}/admin/partnerships/partnership/add/")
    page.wait_for_load_state("networkidle")


def test_the_api_docs_list_the_endpoints_and_try_one(page, live_server):
    build_registry()
    page.goto(f"{live_server.url}/api/docs/")
    operation = page.locator(".opblock-get", has_text="/api/v1/partnerships/").first
    operation.wait_for()
    assert page.locator(".opblock").count() > 5
    operation.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tr.response td.response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert "safe-homes" in operation.locator(".live-responses-table").inner_text()


def test_code_injected_into_a_page_is_blocked_and_reported(page, live_server, csp_violations):
    page.goto(f"{live_server.url}/methodology/")
    with page.expect_console_message(lambda message: CSP_VIOLATION.search(message.text)):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.injected = true";
                document.body.append(script);
            }"""
        )
    with page.expect_console_message(lambda message: CSP_VIOLATION.search(message.text)):
        page.evaluate(
            """() => document.body.insertAdjacentHTML(
                "beforeend", '<p style="color: red">injected style</p>')"""
        )
    assert page.evaluate("window.injected") is None
    assert len(csp_violations) == 2
    assert "script-src" in csp_violations[0]
    assert "style-src" in csp_violations[1]
    csp_violations.clear()  # reported as they should be: not a failure of this test
