"""An editor whose account must use a second factor sets up an authenticator app in a real
browser, then logs in with its code."""

import re
import time

import pytest
from django.urls import reverse

from tests.accounts.factors import totp_code
from tests.browser.menu import log_out

from .test_staff_flows import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_editor_sets_up_an_authenticator_app_and_logs_in_with_its_code(
    page, live_server, ngo_editor, settings
):
    settings.STAFF_MFA_REQUIRED = True
    # Codes of the steps next to the current one are accepted too: the test's code is never
    # refused for the clock ticking between reading and sending it.
    settings.MFA_TOTP_TOLERANCE = 1
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(ngo_editor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Sent to set up a second factor, and nowhere else until it is done.
    page.wait_for_url(re.compile(r"/accounts/2fa/$"))
    assert page.get_by_text("Your account must use two-factor authentication").is_visible()
    page.goto(f"{live_server.url}{reverse('accounts:dashboard')}")
    page.wait_for_url(re.compile(r"/accounts/2fa/$"))

    page.get_by_role("link", name="Activate").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    assert page.get_by_role("img").first.is_visible()  # the QR code
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    codes = page.get_by_label("Unused codes").input_value().split()
    assert len(codes) == 10
    page.get_by_role("link", name="My organization").click()
    page.wait_for_url(re.compile(r"/accounts/my-organization/$"))

    log_out(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(ngo_editor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
    # A code works once: the app's next one.
    page.get_by_label("Code").fill(totp_code(secret, at=time.time() + 30))
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(r"/accounts/my-organization/$"))


def test_an_oversight_member_adds_a_security_key_and_logs_in_with_it(
    page, live_server, board_member, settings
):
    settings.STAFF_MFA_REQUIRED = True
    # Plain http://localhost: the live server has no TLS.
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    # Chromium's virtual authenticator stands for the key: present, and touched when asked.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(board_member.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/$"))

    page.get_by_role("link", name="Add").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/$"))
    page.get_by_label("Name").fill("Office key")
    page.get_by_role("button", name="Add").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    page.get_by_role("link", name="Oversight").click()
    page.wait_for_url(re.compile(r"/oversight/$"))

    log_out(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(board_member.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(re.compile(r"/oversight/$"))  # where an oversight member lands
