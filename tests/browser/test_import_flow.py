"""Importing a CSV file in a real browser, at a phone's width and a desktop's: an NGO
editor downloads nothing by hand, uploads the agreements export with a new agreement and a
changed summary, reads the dry run (what is created, what changes, before → after), and
applies it: the new agreement is a draft, the change of the published one waits for the
other party's approval."""

import csv
import io
import re

import pytest

from agreements.models import Agreement
from publication.choices import PublicationStatus
from publication.models import Revision
from tests import factories
from tests.browser.conftest import CSP_VIOLATION

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


def the_file(client) -> bytes:
    """The agreements export, with a row added and a cell changed, as a spreadsheet saves it."""
    response = client.get("/api/v1/agreements/?format=csv")
    reader = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    rows = list(reader)
    rows[0]["public_summary"] = "Referrals of survivors, day and night."
    rows.append(dict(rows[0], id="", reference="NS-1", title="Night shelter MOU"))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.parametrize("width", [390, 1280])
def test_an_editor_uploads_reads_the_dry_run_and_applies_it(
    browser, live_server, client, ngo, police, ngo_editor, width
):
    partnership = factories.partnership_with_parties(
        ngo=ngo, police=police, title="Harbour referrals", slug="harbour-referrals"
    )
    mou = factories.AgreementFactory(
        partnership=partnership, title="Referral MOU", public_summary="Referrals."
    )
    factories.DataSharingTermFactory(agreement=mou)
    content = the_file(client)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    # What the Content-Security-Policy blocked, as the console says it: nothing may be.
    blocked = []
    context.on("console", lambda m: CSP_VIOLATION.search(m.text) and blocked.append(m.text))
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(ngo_editor.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/accounts/my-organization/$"))

        # The staff navigation leads to the import page (behind "Menu" on a phone).
        menu = page.locator("summary", has_text="Menu")
        if menu.is_visible():
            menu.click()
        page.get_by_role("link", name="Import", exact=True).click()
        page.get_by_role("heading", name="Import from a CSV file").wait_for()

        page.get_by_label("CSV file").set_input_files(
            {"name": "registry-agreements.csv", "mimeType": "text/csv", "buffer": content}
        )
        page.get_by_role("button", name="Upload and check (dry run)").click()

        page.get_by_role("heading", name="Dry run: what the file would do").wait_for()
        assert page.get_by_role("heading", name="Rows to create (1)").is_visible()
        changed = page.get_by_role("region", name="Rows to change")
        assert changed.get_by_text(
            "Referrals. → Referrals of survivors, day and night."
        ).is_visible()
        assert changed.get_by_text("Waits for approval").is_visible()
        # Nothing is written by the dry run.
        assert not Agreement.objects.filter(title="Night shelter MOU").exists()
        # The page fits the screen; a wide table scrolls inside its own frame.
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.get_by_role("button", name="Apply the import").click()
        page.get_by_text(
            "Imported: 1 created, 0 changed, 1 change waiting for approval."
        ).wait_for()
        assert page.get_by_text("What the file did").is_visible()
    finally:
        context.close()

    assert blocked == []
    new = Agreement.objects.get(title="Night shelter MOU")
    assert new.publication_status == PublicationStatus.DRAFT
    assert new.data_sharing_terms.count() == 1
    mou.refresh_from_db()
    assert mou.public_summary == "Referrals."  # the public keeps it until approved
    assert Revision.objects.filter(object_id=mou.pk, state="pending").exists()
