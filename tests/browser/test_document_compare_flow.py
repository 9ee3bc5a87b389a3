"""An editor uploads version 2 of an MOU and reads what changed, on a phone and a desktop."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agreements import services
from tests import factories
from tests.browser.test_staff_flows import log_in
from tests.staff.conftest import make_text_pdf
from tests.staff.test_document_texts import V1, V2

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("width", [390, 1280])
def test_an_editor_uploads_version_2_and_reads_the_comparison(
    page, live_server, ngo_editor, partnership, width
):
    page.set_viewport_size({"width": width, "height": 900})
    agreement = factories.AgreementFactory(partnership=partnership, title="Referral MOU")
    services.document_upload(
        agreement=agreement,
        file=SimpleUploadedFile("v1.pdf", make_text_pdf(V1), content_type="application/pdf"),
        actor=ngo_editor,
        is_public=True,
    )
    log_in(page, live_server.url, ngo_editor.username)
    page.goto(f"{live_server.url}{agreement.get_absolute_url()}")
    page.get_by_role("button", name="Upload a document version").click()
    page.get_by_label("Signed document (PDF)").set_input_files(
        {"name": "v2.pdf", "mimeType": "application/pdf", "buffer": make_text_pdf(V2)}
    )
    page.get_by_label("Publish this version").check()
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(rf"/agreements/{agreement.pk}/$"))

    page.get_by_role("link", name="Compare with the previous version").click()
    page.wait_for_url(re.compile(r"/documents/compare/\?from=1&to=2$"))
    assert page.get_by_role("heading", name="What changed from version 1 to version 2").is_visible()
    assert page.get_by_text("1 changed, 1 added, 0 removed, 0 moved").is_visible()
    retention = page.locator(".clause-changed", has_text="3. Retention")
    assert retention.locator("del").inner_text() == "12"
    assert retention.locator("ins").inner_text() == "24"
    added = page.locator(".clause-added")
    assert added.locator("mark.topic", has_text="consent").is_visible()
    # The comparison fits the screen (the clauses wrap, however long their words).
    box = page.locator("article.comparison").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.locator("article.comparison").evaluate("e => e.scrollWidth <= e.clientWidth")

    page.get_by_role("link", name="text of version 2").click()
    assert page.get_by_text("Records are kept for 24 months").is_visible()
