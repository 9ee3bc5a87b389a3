"""Transparency reports: one frozen snapshot per partnership and year (byte-identical when
generated twice from the same data, its SHA-256 in the page, the PDF and the audit log),
never a withheld value nor a draft in them, never rewritten once published (a correction
is a new version), and the yearly job on its date."""

import datetime as dt
import io
import json
import socket
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from publication.choices import PublicationStatus
from reports import pdf, services
from reports.models import Report, ReportEvent
from reports.presentation import report_context
from reports.snapshot import build_snapshot, canonical, sha256_of
from tests import factories
from tests.activities.factories import ActivityFactory, ActivityResultFactory
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db

SENTINEL_VALUE = Decimal("987654.32")
SENTINEL_SUMMARY = "The safe house is at 14 Quay Street"
SENTINEL_DRAFT = "Unpublished operation codename KESTREL"
NOON = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def record(partnership):
    """A partnership's 2025 on the record: an agreement with a term, a review with a
    finding, a flag, an activity with results, one value of each kind withheld, and a
    draft activity."""
    agreement = factories.AgreementFactory(partnership=partnership, title="Referral MOU")
    term = factories.DataSharingTermFactory(agreement=agreement)
    review = factories.ReviewFactory(agreement=agreement, public_summary=SENTINEL_SUMMARY)
    withhold(review, "public_summary")
    factories.FindingFactory(review=review)
    factories.FlagFactory(agreement=agreement, raised_at=dt.datetime(2025, 5, 1, tzinfo=dt.UTC))
    activity = ActivityFactory(partnership=partnership, title="Custody officers' training")
    ActivityResultFactory(activity=activity, value=Decimal("24"))
    hidden = ActivityResultFactory(
        activity=activity, indicator="referrals_made", value=SENTINEL_VALUE, unit="cases"
    )
    withhold(hidden, "value")
    ActivityFactory(
        partnership=partnership, title=SENTINEL_DRAFT, publication_status=PublicationStatus.DRAFT
    )
    return {"agreement": agreement, "term": term, "review": review, "activity": activity}


def year_end_report(partnership) -> Report:
    with time_machine.travel(dt.datetime(2026, 1, 2, 5, 0, tzinfo=dt.UTC), tick=False):
        services.generate_yearly_reports()
    return Report.objects.get(partnership=partnership, year=2025)


def test_the_snapshot_is_byte_identical_when_generated_twice_and_changes_with_the_data(
    partnership, record
):
    first = canonical(build_snapshot(partnership, 2025, as_of=dt.date(2025, 12, 31)))
    second = canonical(build_snapshot(partnership, 2025, as_of=dt.date(2025, 12, 31)))
    assert first == second
    ActivityResultFactory(activity=record["activity"], value=Decimal("3"))
    third = build_snapshot(partnership, 2025, as_of=dt.date(2025, 12, 31))
    assert canonical(third) != first
    assert sha256_of(third) != sha256_of(json.loads(first))


def test_the_report_holds_every_section_and_its_completeness(partnership, record):
    snapshot = build_snapshot(partnership, 2025, as_of=dt.date(2025, 12, 31))
    assert [a["title"] for a in snapshot["agreements"]] == ["Referral MOU"]
    assert len(snapshot["data_sharing_terms"]) == 1
    assert snapshot["reviews"][0]["findings"][0]["corrective_action"]
    assert len(snapshot["flags"]) == 1
    assert snapshot["incidents"] == []
    assert [a["title"] for a in snapshot["activities"]] == ["Custody officers' training"]
    assert {(t["indicator"], t["total"]) for t in snapshot["activity_totals"]} == {
        ("people_trained", Decimal("24"))
    }
    sections = {s["key"]: s["has_data"] for s in snapshot["completeness"]["sections"]}
    assert sections["incidents"] is False and sections["activities"] is True
    assert snapshot["completeness"]["score"] == round(100 * sum(sections.values()) / 8)


def test_an_empty_report_says_so(client, partnership):
    report = year_end_report(partnership)
    snapshot = json.loads(report.snapshot)
    assert snapshot["completeness"]["score"] == 0
    page = client.get(report.html_url).content.decode()
    assert "Completeness: 0%" in page
    assert "This report is empty" in page


def test_sentinel_no_withheld_value_nor_draft_in_the_page_the_pdf_or_the_csv(
    client, partnership, record
):
    report = year_end_report(partnership)
    html = client.get(report.html_url).content.decode()
    csv_text = client.get(report.csv_url).content.decode()
    pdf_text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(client.get(report.pdf_url).content)).pages
    )
    for surface in (html, csv_text, pdf_text, report.snapshot):
        for secret in ("987654", "987,654", SENTINEL_SUMMARY, SENTINEL_DRAFT):
            assert secret not in surface
    # The withheld values are listed with their reasons.
    assert "Survivor safety" in html and "Survivor safety" in csv_text
    assert "withheld" in csv_text


def test_the_pdf_opens_and_carries_the_hash(client, partnership, record):
    report = year_end_report(partnership)
    response = client.get(report.pdf_url)
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    assert report.sha256 in text
    assert report.sha256 in client.get(report.html_url).content.decode()


def test_the_hash_is_recorded_in_the_audit_log(partnership, record):
    report = year_end_report(partnership)
    events = ReportEvent.objects.filter(pgh_obj_id=report.pk)
    assert report.sha256 in {event.sha256 for event in events}


def test_the_pdf_never_reaches_the_network(partnership, record, monkeypatch):
    report = year_end_report(partnership)
    asked = []

    class Spy(pdf.StaticFilesOnly):
        def fetch(self, url, headers=None):
            asked.append(url)
            return super().fetch(url, headers)

    def no_socket(*args, **kwargs):
        raise AssertionError("a report's PDF opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_socket)
    context = report_context(report)
    context["snapshot"]["partnership"]["title"] = (
        'x<img src="http://example.org/tracker.png"><link rel="stylesheet" '
        'href="https://example.org/evil.css">'
    )
    monkeypatch.setattr(
        pdf,
        "render_to_string",
        lambda name, ctx: (
            '<img src="http://example.org/t.png">'
            '<link rel="stylesheet" href="https://example.org/e.css">'
            '<link rel="stylesheet" href="/static/css/report-print.css"><p>x</p>'
        ),
    )
    assert pdf.render_pdf(context, fetcher=Spy()).startswith(b"%PDF")
    assert "http://example.org/t.png" in asked
    assert pdf.static_path("http://example.org/t.png") is None
    assert pdf.static_path("https://example.org/e.css") is None
    assert pdf.static_path("file:///etc/passwd") is None
    assert pdf.static_path("file:///static/../settings.py") is None
    assert pdf.static_path("file:///static/css/report-print.css") is not None


def test_a_draft_of_the_year_so_far_is_for_the_staff_only(
    client, partnership, record, ngo_editor, police_editor, other_ngo_editor
):
    with time_machine.travel(NOON, tick=False):
        draft = services.report_request(partnership=partnership, actor=ngo_editor)
    assert draft.status == Report.Status.DRAFT
    assert json.loads(draft.snapshot)["period"] == {"from": "2026-01-01", "to": "2026-06-15"}
    assert client.get(draft.html_url).status_code == 404
    assert client.get(draft.pdf_url).status_code == 404
    assert client.get(reverse("reports:list")).content.decode().count(partnership.title) == 0
    assert (
        "Transparency report 2026"
        not in client.get(partnership.get_absolute_url()).content.decode()
    )
    client.force_login(other_ngo_editor)
    assert client.get(draft.html_url).status_code == 404
    with pytest.raises(PermissionDenied):
        services.report_request(partnership=partnership, actor=other_ngo_editor)
    client.force_login(police_editor)
    assert client.get(draft.html_url).status_code == 200


def test_a_published_report_is_never_rewritten_a_correction_is_a_new_version(
    client, partnership, record, ngo_editor
):
    report = year_end_report(partnership)
    original = (report.snapshot, report.sha256)
    with pytest.raises(ValidationError):
        services.report_publish(report=report, actor=ngo_editor)
    ActivityResultFactory(activity=record["activity"], value=Decimal("5"))
    with time_machine.travel(NOON, tick=False):
        correction = services.report_correct(report=report, actor=ngo_editor, note="Late result.")
        services.report_publish(report=correction, actor=ngo_editor)
    report.refresh_from_db()
    correction.refresh_from_db()
    assert (report.snapshot, report.sha256) == original
    assert (correction.version, correction.replaces_id) == (2, report.pk)
    assert correction.sha256 != report.sha256
    # The year's page shows the correction; the older version stays reachable.
    page = client.get(reverse("reports:report", kwargs={"slug": partnership.slug, "year": 2025}))
    assert correction.sha256 in page.content.decode()
    assert "corrects" in page.content.decode()
    old = client.get(report.html_url).content.decode()
    assert report.sha256 in old and "A later version corrects this one" in old


@pytest.mark.parametrize(
    ("instant", "published"),
    [
        (dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC), 0),  # 1 January, the day before
        (dt.datetime(2026, 1, 2, 0, 5, tzinfo=dt.UTC), 1),  # the date itself
    ],
)
def test_the_yearly_job_runs_from_its_date_on(partnership, settings, instant, published):
    settings.TRANSPARENCY_REPORT_DATE = "02-01"
    settings.TIME_ZONE = "UTC"
    with time_machine.travel(instant, tick=False):
        counts = services.generate_yearly_reports()
        again = services.generate_yearly_reports()
    assert counts["published"] == published
    assert again["published"] == 0
    assert Report.objects.filter(year=2025, status="published").count() == published


def test_a_restricted_or_unpublished_partnership_gets_no_report(ngo, police):
    factories.partnership_with_parties(ngo=ngo, police=police, visibility="restricted")
    factories.partnership_with_parties(publication_status=PublicationStatus.DRAFT)
    year_end = dt.datetime(2026, 1, 3, tzinfo=dt.UTC)
    with time_machine.travel(year_end, tick=False):
        assert services.generate_yearly_reports()["published"] == 0


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_pages_cost_the_same_queries_however_full_the_report(client, partnership, record):
    empty = factories.partnership_with_parties()
    year_end_report(partnership)
    bare = Report.objects.get(partnership=empty)
    full = Report.objects.get(partnership=partnership)
    queries(client, bare.html_url)
    assert queries(client, bare.html_url) == queries(client, full.html_url)
    assert queries(client, bare.csv_url) == queries(client, full.csv_url)
    listing = queries(client, reverse("reports:list"))
    for _ in range(5):
        factories.partnership_with_parties()
    Report.objects.all().delete()
    year_end_report(partnership)
    assert queries(client, reverse("reports:list")) == listing
