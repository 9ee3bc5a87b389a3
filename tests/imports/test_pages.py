"""The import pages: who reaches them, a refused file (413, 415, 400: never a 500), the dry
run's page with its progress, applying it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.models import Agreement
from imports import services
from imports.models import ImportJob
from tests import factories

from .conftest import edited, export, upload

pytestmark = pytest.mark.django_db

START = reverse("imports:start")


@pytest.fixture
def mou(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral MOU")


def post_file(client, content: bytes, name="registry.csv"):
    return client.post(START, {"file": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize(
    ("persona", "status"),
    [("ngo_editor", 200), ("ngo_viewer", 403), ("board_member", 403), ("other_ngo_editor", 200)],
)
def test_the_editors_of_parties_reach_the_import_page(request, client, persona, status):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(START).status_code == status


def test_the_staff_find_it_in_the_navigation_and_on_their_organizations_page(
    client, ngo_editor, board_member
):
    client.force_login(ngo_editor)
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert page.count(f'href="{START}"') == 2
    assert "Import from a CSV file" in page
    # Oversight members edit none of the parties' records.
    client.force_login(board_member)
    assert f'href="{START}"' not in client.get(reverse("oversight:dashboard")).content.decode()


def test_upload_dry_run_and_apply(client, ngo_editor, mou):
    client.force_login(ngo_editor)
    text = edited(
        export(client, "agreements"), lambda rows: rows + [dict(rows[0], title="New MOU")]
    )

    response = post_file(client, text.encode())

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Dry run: what the file would do" in page
    assert "Rows to create (1)" in page
    assert "Rows unchanged (1)" in page
    assert "Apply the import" in page

    response = client.post(reverse("imports:job_apply", args=[job.pk]))

    assert response.status_code == 302
    assert Agreement.objects.filter(title="New MOU").count() == 1
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Imported: 1 created, 0 changed" in page


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"%PDF-1.7\n\x00\x01binary", 415, "not a CSV file in UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00", 415, "not a CSV file in UTF-8"),  # a workbook
        ("title,status\nCaf\xe9,active\n".encode("latin-1"), 415, "not a CSV file in UTF-8"),
        (b"", 400, "The file is empty."),
        (b"name,colour\nx,y\n", 400, "not those of an export"),
        (b"id,title\n1,x\n", 400, "lacks the column"),
        (b'partnership_slug,reference,title\n"unclosed,x,y\n', 400, "not a well-formed CSV"),
        (b"slug,title\n", 400, "has a header but no rows"),
    ],
)
def test_a_file_that_is_not_an_exports_csv_is_refused_with_the_reason(
    client, ngo_editor, content, status, message
):
    client.force_login(ngo_editor)

    response = post_file(client, content)

    assert response.status_code == status
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_a_413(client, ngo_editor, settings):
    settings.IMPORT_MAX_BYTES = 1000
    client.force_login(ngo_editor)

    response = post_file(client, b"slug,title\n" + b"x,y\n" * 400)

    assert response.status_code == 413
    assert "The file is too large" in response.content.decode()

    # Declared far over the limit: refused before the body is read.
    response = client.post(
        START, data=b"x", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=10**9
    )
    assert response.status_code == 413


def test_an_import_is_its_uploaders_alone(client, ngo_editor, police_editor, mou):
    job = upload(ngo_editor, export(client, "agreements"))
    client.force_login(police_editor)

    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.post(reverse("imports:job_apply", args=[job.pk])).status_code == 404
    assert client.get(reverse("imports:job_progress", args=[job.pk])).status_code == 404


def test_a_large_file_goes_to_the_worker_and_its_page_polls_the_progress(
    client, ngo_editor, mou, settings, monkeypatch
):
    settings.IMPORT_INLINE_ROWS = 1
    sent = []
    monkeypatch.setattr(
        services.current_app, "send_task", lambda name, **kw: sent.append((name, kw["kwargs"]))
    )
    client.force_login(ngo_editor)
    text = edited(export(client, "agreements"), lambda rows: rows + [dict(rows[0], title="B")])

    post_file(client, text.encode())

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.CHECKING
    assert sent == [("imports.tasks.run_import_job", {"job_id": job.pk})]
    page = client.get(job.get_absolute_url()).content.decode()
    progress = reverse("imports:job_progress", args=[job.pk])
    assert f'hx-get="{progress}"' in page
    assert "0 of 2 rows checked" in page

    services.import_job_run(job.pk)  # as the worker does

    response = client.get(progress, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"
    assert "Rows to create (1)" in client.get(job.get_absolute_url()).content.decode()


def test_a_broker_outage_fails_a_large_import_with_the_reason(
    client, ngo_editor, mou, settings, monkeypatch
):
    settings.IMPORT_INLINE_ROWS = 0

    def unreachable(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(services.current_app, "send_task", unreachable)
    client.force_login(ngo_editor)

    response = post_file(client, export(client, "agreements").encode())

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.status == ImportJob.Status.FAILED
    assert "The background worker could not be reached" in job.message
