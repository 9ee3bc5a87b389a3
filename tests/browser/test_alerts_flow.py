"""Alerts in a real browser: a reader signs up, confirms by the link, follows a
partnership; its NGO editor changes it and the police editor approves; the alerts job
sends the reader one e-mail (locmem outbox) with the change and its link, whose
unsubscribe link works without logging in, and posts the signed webhook to the reader's
receiver (a fake endpoint on 127.0.0.1)."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from standardwebhooks import Webhook

from alerts.webhooks import webhooks_deliver
from tests import factories
from tests.alerts.receiver import fake_endpoint
from tests.browser.menu import log_out
from tests.browser.test_publication_flow import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

READER = "reader@example.org"


@pytest.mark.parametrize("width", [390, 1280])
def test_a_reader_follows_a_partnership_and_receives_its_published_change(
    browser, live_server, ngo, police, ngo_editor, police_editor, width
):
    partnership = factories.partnership_with_parties(
        ngo=ngo, police=police, title="Harbour referrals", slug="harbour-referrals"
    )
    call_command("send_alerts")  # the job has read the audit log so far
    mail.outbox.clear()
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    receiver_context = fake_endpoint(200)
    receiver = receiver_context.__enter__()
    try:
        # The reader signs up and confirms the address by the link.
        page.goto(f"{live_server.url}/alerts/sign-up/")
        page.get_by_label("E-mail address").fill(READER)
        page.get_by_label("Password").fill("a long passphrase 42")
        page.get_by_role("button", name="Sign up").click()
        page.get_by_role("heading", name="Check your inbox").wait_for()
        [confirmation] = mail.outbox
        link = re.search(r"http://\S+/alerts/confirm/\S+/", confirmation.body).group(0)
        page.goto(live_server.url + link.removeprefix("http://127.0.0.1:8000"))
        page.get_by_label("The password you chose when signing up").fill("a long passphrase 42")
        page.get_by_role("button", name="Confirm").click()
        page.get_by_role("heading", name="My alerts").wait_for()

        # Follow the partnership: the alert page tells what matched, then it is saved.
        page.get_by_label(re.compile("^Partnership")).fill("harbour-referrals")
        page.get_by_role("button", name="Follow").click()
        assert page.get_by_text(re.compile(r"In the last 30 days, 1 record matched")).is_visible()
        page.get_by_label("How often").select_option("immediately")
        page.get_by_role("button", name="Save the alert").click()
        page.get_by_text("Alert saved.").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # And a webhook to the reader's own receiver: its secret is shown once.
        page.get_by_role("link", name="Add a webhook").click()
        page.get_by_label("Endpoint address").fill(receiver.url)
        page.get_by_role("button", name="Add the webhook").click()
        secret = page.get_by_label("Secret").input_value()
        assert secret.startswith("whsec_")
        log_out(page)

        # Staff change it; the other party approves: the change is published.
        log_in(page, live_server.url, ngo_editor.username)
        page.goto(f"{live_server.url}/partnerships/harbour-referrals/edit/")
        page.get_by_label("Title").fill("Harbour and estuary referrals")
        page.get_by_role("button", name=re.compile("^Save")).click()
        page.get_by_text("Your changes wait for approval").wait_for()
        log_out(page)
        log_in(page, live_server.url, police_editor.username)
        page.goto(f"{live_server.url}/publication/partnerships/{partnership.pk}/")
        page.get_by_role("button", name="Approve the changes").click()
        page.get_by_text("Changes approved").wait_for()
        log_out(page)

        mail.outbox.clear()
        call_command("send_alerts")
        assert webhooks_deliver()["delivered"] == 1
        [request] = receiver.requests
        event = Webhook(secret).verify(request.body, request.headers)
        assert event["data"]["title"] == "Harbour and estuary referrals"

        [message] = mail.outbox
        assert message.to == [READER]
        assert "Harbour and estuary referrals" in message.body
        assert "/partnerships/harbour-referrals/" in message.body
        unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")

        # Unsubscribing needs no login.
        page.goto(live_server.url + unsubscribe.removeprefix("http://127.0.0.1:8000"))
        page.get_by_role("button", name="Unsubscribe").click()
        page.get_by_role("heading", name="Unsubscribed").wait_for()
    finally:
        receiver_context.__exit__(None, None, None)
        context.close()
