"""The oversight pages as a board member uses them: the dashboard (filters, sorting,
pages, CSV), recording reviews and findings, assigning an auditor, and flags."""

import csv
import datetime as dt
import io
import logging

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement, DataSharingTerm
from oversight.flagging import flagging_run
from oversight.models import Finding, Flag, Review
from oversight.rules import FLAG_RULES
from partnerships.models import Region, Visibility
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
DASHBOARD = reverse("oversight:dashboard")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def auditor():
    return factories.OrganizationFactory(
        kind="auditor", name="Outside Auditors", slug="outside-auditors", ngo_type=""
    )


@pytest.fixture
def registry(ngo, police, auditor):
    """Three agreements a board member tells apart on the dashboard."""
    trafficking = factories.FocusAreaFactory(slug="human-trafficking")
    europe = factories.partnership_with_parties(
        ngo=ngo, police=police, title="Harbour referral scheme", region=Region.EUROPE
    )
    europe.focus_areas.add(trafficking)
    africa = factories.partnership_with_parties(
        title="Nairobi desk", region=Region.AFRICA, visibility=Visibility.RESTRICTED
    )
    overdue = factories.AgreementFactory(
        partnership=europe,
        title="Referral MOU",
        next_review_due=TODAY - dt.timedelta(days=40),
        independent_auditor=auditor,
    )
    factories.DataSharingTermFactory(
        agreement=overdue,
        data_category=DataSharingTerm.DataCategory.VICTIM_RECORDS,
        direction=DataSharingTerm.Direction.NGO_TO_POLICE,
    )
    on_time = factories.AgreementFactory(
        partnership=europe, title="Training MOU", next_review_due=TODAY + dt.timedelta(days=90)
    )
    restricted = factories.AgreementFactory(
        partnership=africa,
        title="Data protocol",
        status=Agreement.Status.DRAFT,
        signed_on=None,
        next_review_due=TODAY - dt.timedelta(days=5),
        visibility=Visibility.RESTRICTED,
    )
    flagging_run(now=timezone.now())
    return {"overdue": overdue, "on_time": on_time, "restricted": restricted}


def table_titles(response) -> list[str]:
    return [agreement.title for agreement in response.context["page"]]


# The dashboard ------------------------------------------------------------------


def test_the_dashboard_shows_every_agreement_with_its_oversight_status(
    client, board_member, registry
):
    client.force_login(board_member)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    # Restricted ones too; the most overdue first.
    assert table_titles(response) == ["Referral MOU", "Training MOU", "Data protocol"]
    html = response.content.decode()
    row = html[html.index("Referral MOU") : html.index("Training MOU")]
    assert "Harbour referral scheme" in row
    assert "Safe Harbour Women&#x27;s Aid" in row and "Riverside Police" in row
    assert "High" in row
    assert "<td>40</td>" in row  # days overdue
    assert "<td>yes</td>" in row  # independent auditor
    assert "Review overdue" in row and "High risk without a DPIA" in row


def test_a_draft_past_its_review_date_is_not_counted_overdue(client, board_member, registry):
    client.force_login(board_member)

    page = client.get(DASHBOARD).context["page"]

    draft = next(a for a in page if a.title == "Data protocol")
    assert draft.days_overdue is None


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ({"region": "africa"}, ["Data protocol"]),
        ({"region": "europe"}, ["Referral MOU", "Training MOU"]),
        ({"focus_area": "human-trafficking"}, ["Referral MOU", "Training MOU"]),
        ({"flag": "review_overdue"}, ["Referral MOU"]),
        ({"flag": "expired_but_active"}, []),
        ({"risk": "high"}, ["Referral MOU"]),
        ({"risk": "low"}, ["Training MOU", "Data protocol"]),
        ({"status": "draft"}, ["Data protocol"]),
        ({"region": "europe", "risk": "low"}, ["Training MOU"]),
        ({"q": "protocol"}, ["Data protocol"]),
    ],
)
def test_each_filter_narrows_the_table(client, board_member, registry, query, titles):
    client.force_login(board_member)

    response = client.get(DASHBOARD, query)

    assert table_titles(response) == titles


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"region": "atlantis"}, "region"),
        ({"focus_area": "no-such-area"}, "focus_area"),
        ({"flag": "sunburn"}, "flag"),
        ({"sort": "colour"}, "sort"),
    ],
)
def test_a_bad_filter_value_is_named_and_the_page_still_answers(
    client, board_member, registry, query, field
):
    client.force_login(board_member)

    response = client.get(DASHBOARD, query)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert len(table_titles(response)) == 3  # the bad filter is ignored, not the page


@pytest.mark.parametrize(
    ("sort", "titles"),
    [
        ("risk", ["Training MOU", "Data protocol", "Referral MOU"]),
        ("-risk", ["Referral MOU", "Training MOU", "Data protocol"]),
        ("agreement", ["Data protocol", "Referral MOU", "Training MOU"]),
        ("-next_review", ["Training MOU", "Data protocol", "Referral MOU"]),
        ("-flags", ["Referral MOU", "Training MOU", "Data protocol"]),
        ("auditor", ["Training MOU", "Data protocol", "Referral MOU"]),
    ],
)
def test_columns_sort_both_ways(client, board_member, registry, sort, titles):
    client.force_login(board_member)

    assert table_titles(client.get(DASHBOARD, {"sort": sort})) == titles


def test_the_column_headers_link_to_the_other_direction(client, board_member, registry):
    client.force_login(board_member)

    html = client.get(DASHBOARD, {"sort": "risk", "region": "europe"}).content.decode()

    assert 'href="?sort=-risk&amp;region=europe"' in html
    assert 'aria-sort="ascending"' in html


def test_the_table_comes_in_pages_of_fifty(client, board_member, partnership):
    factories.AgreementFactory.create_batch(51, partnership=partnership)
    client.force_login(board_member)

    first = client.get(DASHBOARD)
    second = client.get(DASHBOARD, {"page": 2})

    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 1
    assert "Page 1 of 2" in first.content.decode()
    assert client.get(DASHBOARD, {"page": "last"}).status_code == 200


def test_the_csv_is_the_table_under_the_same_filters_and_order(client, board_member, registry):
    client.force_login(board_member)
    Agreement.objects.filter(pk=registry["on_time"].pk).update(title="=HYPERLINK(1)")

    response = client.get(DASHBOARD, {"region": "europe", "sort": "-risk", "format": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="oversight-dashboard-2026-11-21.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "id",
        "Agreement",
        "Partnership",
        "Parties",
        "Status",
        "Risk level",
        "Next review due",
        "Days overdue",
        "Independent auditor",
        "Open flags",
    ]
    assert [row[1] for row in rows[1:]] == ["Referral MOU", "'=HYPERLINK(1)"]
    assert rows[1][5:] == [
        "High",
        "2026-10-12",
        "40",
        "yes",
        "High risk without a DPIA; Review overdue",
    ]


def test_the_csv_holds_every_page(client, board_member, partnership):
    factories.AgreementFactory.create_batch(60, partnership=partnership)
    client.force_login(board_member)

    response = client.get(DASHBOARD, {"format": "csv"})

    assert len(b"".join(response.streaming_content).decode().splitlines()) == 61


@pytest.mark.parametrize("agreements", [1, 30])
def test_the_dashboard_costs_the_same_queries_for_1_or_30_rows(
    client, board_member, partnership, django_assert_max_num_queries, agreements
):
    for agreement in factories.AgreementFactory.create_batch(agreements, partnership=partnership):
        factories.FlagFactory(agreement=agreement)
    client.force_login(board_member)

    # 11 (the count: the planner's estimate, then an exact count below the threshold), and
    # the header's count of approvals waiting (the user's organizations, then the count).
    with django_assert_max_num_queries(13):
        response = client.get(DASHBOARD)

    assert len(response.context["page"]) == agreements


def test_the_navigation_leads_board_members_to_the_dashboard(client, board_member, ngo_editor):
    client.force_login(board_member)
    assert DASHBOARD in client.get(reverse("accounts:dashboard")).content.decode()
    client.force_login(ngo_editor)
    assert DASHBOARD not in client.get(reverse("accounts:dashboard")).content.decode()


# Reviews and findings ----------------------------------------------------------


def review_form(oversight_body, **overrides):
    data = {
        "reviewer": oversight_body.pk,
        "conflict_of_interest": Review.ConflictOfInterest.NONE,
        "kind": Review.Kind.SCHEDULED_REVIEW,
        "status": Review.Status.COMPLETED,
        "started_on": "2026-11-01",
        "completed_on": "2026-11-20",
        "outcome": Review.Outcome.CONCERNS,
        "public_summary": "Referral data kept longer than agreed.",
        "notes": "Caseworker interviews, names withheld.",
        "findings-TOTAL_FORMS": "2",
        "findings-INITIAL_FORMS": "0",
        "findings-0-severity": Finding.Severity.MAJOR,
        "findings-0-summary": "Retention exceeds the agreed 90 days.",
        "findings-0-corrective_action": "Delete records older than 90 days.",
        "findings-0-due_on": "2027-01-31",
    }
    return data | overrides


def test_recording_a_completed_review_moves_the_next_review_from_its_completion(
    client, board_member, oversight_body, registry
):
    agreement = registry["overdue"]
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:review_new", args=[agreement.pk]), review_form(oversight_body)
    )

    review = Review.objects.get(agreement=agreement)
    assert response.status_code == 302
    assert response["Location"] == reverse("oversight:review_detail", args=[review.pk])
    assert (review.status, review.outcome, review.reviewer) == (
        "completed",
        "concerns",
        oversight_body,
    )
    finding = review.findings.get()
    assert (finding.severity, finding.due_on) == ("major", dt.date(2027, 1, 31))
    agreement.refresh_from_db()
    assert agreement.next_review_due == dt.date(2027, 11, 20)


def test_a_review_in_progress_leaves_the_due_date(client, board_member, oversight_body, registry):
    agreement = registry["overdue"]
    client.force_login(board_member)

    client.post(
        reverse("oversight:review_new", args=[agreement.pk]),
        review_form(oversight_body, status="in_progress", completed_on="", outcome=""),
    )

    assert Review.objects.get(agreement=agreement).status == "in_progress"
    agreement.refresh_from_db()
    assert agreement.next_review_due == dt.date(2026, 10, 12)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"outcome": ""}, "outcome", "A completed review needs its outcome."),
        ({"completed_on": ""}, "completed_on", "A completed review needs its completion date."),
        (
            {"completed_on": "2026-10-01"},
            "__all__",
            "A review cannot be completed before it started.",
        ),
        ({"findings-0-summary": ""}, None, "This field is required."),
        ({"findings-0-corrective_action": ""}, None, "Say what must be done by the due date."),
    ],
)
def test_a_bad_review_is_refused_next_to_its_field_and_keeps_what_was_typed(
    client, board_member, oversight_body, registry, overrides, field, message
):
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:review_new", args=[registry["overdue"].pk]),
        review_form(oversight_body, **overrides),
    )

    assert response.status_code == 200
    assert not Review.objects.exists()
    html = response.content.decode()
    assert message in html
    assert "Referral data kept longer than agreed." in html
    assert "Caseworker interviews, names withheld." in html
    if field:
        assert message in response.context["form"].errors[field]


def test_a_board_member_records_reviews_for_their_own_organization_only(
    client, board_member, registry
):
    other_board = factories.OversightBodyFactory(name="Another Board")
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:review_new", args=[registry["overdue"].pk]),
        review_form(other_board),
    )

    assert response.status_code == 200
    assert "reviewer" in response.context["form"].errors
    assert not Review.objects.exists()


def test_findings_are_added_and_resolved_and_the_overdue_action_flag_closes(
    client, board_member, oversight_body, registry, django_capture_on_commit_callbacks
):
    agreement = registry["on_time"]
    review = factories.ReviewFactory(agreement=agreement, reviewer=oversight_body)
    client.force_login(board_member)
    client.post(
        reverse("oversight:finding_new", args=[review.pk]),
        {
            "new-finding-severity": "minor",
            "new-finding-summary": "No access log.",
            "new-finding-corrective_action": "Keep an access log.",
            "new-finding-due_on": "2026-11-01",
        },
    )
    finding = review.findings.get()
    flagging_run(now=timezone.now())
    assert agreement.flags.open().filter(kind=Flag.Kind.CORRECTIVE_ACTION_OVERDUE).exists()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("oversight:finding_resolve", args=[finding.pk]), {"resolved_on": "2026-11-20"}
        )

    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.status, finding.resolved_on) == ("resolved", dt.date(2026, 11, 20))
    assert len(callbacks) == 1  # the flagging run, enqueued once the change committed
    flagging_run(now=timezone.now())
    assert not agreement.flags.open().filter(kind=Flag.Kind.CORRECTIVE_ACTION_OVERDUE).exists()
    page = client.get(reverse("oversight:review_detail", args=[review.pk])).content.decode()
    assert "Resolved 20 Nov 2026" in page


def test_a_finding_without_a_summary_is_refused_on_the_review_page(
    client, board_member, oversight_body, registry
):
    review = factories.ReviewFactory(agreement=registry["on_time"], reviewer=oversight_body)
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:finding_new", args=[review.pk]),
        {"new-finding-severity": "minor", "new-finding-corrective_action": "Keep a log."},
    )

    assert response.status_code == 200
    assert "summary" in response.context["finding_form"].errors
    assert "Keep a log." in response.content.decode()
    assert not review.findings.exists()


def test_completing_a_review_from_its_page(client, board_member, oversight_body, registry):
    agreement = registry["overdue"]
    review = factories.ReviewFactory(
        agreement=agreement, reviewer=oversight_body, status="in_progress", completed_on=None
    )
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:review_complete", args=[review.pk]),
        {"completed_on": "2026-11-21", "outcome": "compliant"},
    )

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.next_review_due == dt.date(2027, 11, 21)


def test_completing_a_review_before_it_started_is_refused_on_its_page(
    client, board_member, oversight_body, registry
):
    review = factories.ReviewFactory(
        agreement=registry["overdue"],
        reviewer=oversight_body,
        status="in_progress",
        started_on=dt.date(2026, 11, 1),
        completed_on=None,
    )
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:review_complete", args=[review.pk]),
        {"completed_on": "2026-10-01", "outcome": "compliant"},
    )

    assert response.status_code == 200
    assert "A review cannot be completed before it started." in response.content.decode()
    review.refresh_from_db()
    assert review.status == "in_progress"


def test_review_notes_are_shown_to_oversight_members_only(
    client, board_member, ngo_editor, oversight_body, registry
):
    review = factories.ReviewFactory(
        agreement=registry["overdue"], reviewer=oversight_body, notes="PRIVATE-NOTE-7"
    )
    url = reverse("oversight:review_detail", args=[review.pk])
    client.force_login(board_member)
    assert "PRIVATE-NOTE-7" in client.get(url).content.decode()
    client.force_login(ngo_editor)
    assert "PRIVATE-NOTE-7" not in client.get(url).content.decode()


TOO_MANY_FINDINGS = "A review is recorded with at most 50 findings."


def findings(count: int) -> dict:
    data = {"findings-TOTAL_FORMS": str(count), "findings-INITIAL_FORMS": "0"}
    for index in range(count):
        data |= {
            f"findings-{index}-severity": Finding.Severity.MINOR,
            f"findings-{index}-summary": f"Finding {index}",
        }
    return data


def test_a_forged_finding_count_is_refused_quickly_and_keeps_what_was_typed(
    client, board_member, oversight_body, registry
):
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:review_new", args=[registry["overdue"].pk]),
        review_form(oversight_body, **{"findings-TOTAL_FORMS": "2000"}),
    )

    assert response.status_code == 200
    assert len(response.context["formset"].forms) <= 50
    assert len(response.content) < 200_000
    html = response.content.decode()
    assert html.count('class="term-row"') <= 50
    assert response.context["formset"].non_form_errors() == [TOO_MANY_FINDINGS]
    assert TOO_MANY_FINDINGS in html
    assert "Retention exceeds the agreed 90 days." in html
    assert "Caseworker interviews, names withheld." in html
    assert not Review.objects.exists()
    assert not Finding.objects.exists()


def test_a_review_with_fifty_findings_is_saved_and_fifty_one_refused(
    client, board_member, oversight_body, registry
):
    client.force_login(board_member)
    url = reverse("oversight:review_new", args=[registry["overdue"].pk])

    refused = client.post(url, review_form(oversight_body) | findings(51))
    saved = client.post(url, review_form(oversight_body) | findings(50))

    assert refused.status_code == 200
    assert TOO_MANY_FINDINGS in refused.content.decode()
    assert saved.status_code == 302
    assert Review.objects.get().findings.count() == 50


# The independent auditor -------------------------------------------------------


def test_an_auditor_that_is_a_party_is_refused_with_the_reason(
    client, board_member, oversight_body, registry
):
    agreement = registry["overdue"]
    factories.PartnershipPartyFactory(
        partnership=agreement.partnership, organization=oversight_body, role="oversight"
    )
    client.force_login(board_member)

    response = client.post(
        reverse("agreements:auditor", args=[agreement.pk]),
        {"independent_auditor": oversight_body.pk},
    )

    assert response.status_code == 200
    assert (
        "Civilian Oversight Board is a party to this partnership, so it cannot audit it "
        "independently." in response.content.decode()
    )
    agreement.refresh_from_db()
    assert agreement.independent_auditor.name == "Outside Auditors"


def test_assigning_an_independent_auditor_closes_the_flag(
    client, ngo_editor, oversight_body, registry
):
    agreement = registry["on_time"]
    assert agreement.flags.open().get().kind == Flag.Kind.NO_INDEPENDENT_AUDITOR
    client.force_login(ngo_editor)

    response = client.post(
        reverse("agreements:auditor", args=[agreement.pk]),
        {"independent_auditor": oversight_body.pk},
    )

    assert response.status_code == 302
    flagging_run(now=timezone.now())
    flag = agreement.flags.get()
    assert not flag.is_open
    rule = next(rule for rule in FLAG_RULES if rule.kind == Flag.Kind.NO_INDEPENDENT_AUDITOR)
    assert flag.resolution == rule.resolution


def test_the_agreement_form_refuses_a_party_as_auditor_too(
    client, ngo_editor, oversight_body, registry
):
    agreement = registry["on_time"]
    factories.PartnershipPartyFactory(
        partnership=agreement.partnership, organization=oversight_body, role="oversight"
    )
    client.force_login(ngo_editor)
    form = client.get(reverse("agreements:edit", args=[agreement.pk])).context["form"]
    data = {
        name: value
        for name, value in {**form.initial, "independent_auditor": oversight_body.pk}.items()
        if value is not None
    }
    data.update({"terms-TOTAL_FORMS": "0", "terms-INITIAL_FORMS": "0"})
    data["signed_on"] = "2024-01-01"
    data["effective_from"] = "2024-01-01"

    response = client.post(reverse("agreements:edit", args=[agreement.pk]), data)

    assert response.status_code == 200
    assert "is a party to this partnership" in response.content.decode()


# Flags -------------------------------------------------------------------------


def test_a_flag_page_gives_its_reason_rule_and_history(client, registry):
    agreement = registry["overdue"]
    earlier = Flag.objects.create(
        agreement=agreement,
        kind=Flag.Kind.REVIEW_OVERDUE,
        raised_at=NOW - dt.timedelta(days=400),
        resolved_at=NOW - dt.timedelta(days=380),
        resolution="The review is no longer overdue.",
        detail="The review was due on 1 October 2025.",
    )
    flag = agreement.flags.open().get(kind=Flag.Kind.REVIEW_OVERDUE)

    html = client.get(reverse("oversight:flag_detail", args=[flag.pk])).content.decode()

    assert "The review was due on 12 October 2026." in html
    assert "next review was due before today" in html
    assert "The review was due on 1 October 2025." in html
    assert reverse("oversight:flag_detail", args=[earlier.pk]) in html
    assert "Resolve by hand" not in html  # anonymous


def test_a_board_member_resolves_a_flag_by_hand_with_a_reason(client, board_member, registry):
    flag = registry["overdue"].flags.open().get(kind=Flag.Kind.REVIEW_OVERDUE)
    url = reverse("oversight:flag_resolve", args=[flag.pk])
    client.force_login(board_member)

    refused = client.post(url, {"reason": "  "})
    resolved = client.post(url, {"reason": "Review held on 19 November; minutes to follow."})
    again = client.post(url, {"reason": "Twice"}, follow=True)

    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    assert resolved.status_code == 302
    flag.refresh_from_db()
    assert flag.resolved_at == NOW
    assert flag.resolution == (
        "Resolved by hand by Civilian Oversight Board: "
        "Review held on 19 November; minutes to follow."
    )
    assert "That flag was already closed." in again.content.decode()
    # The condition still holds, on the facts it was resolved on: the next run raises no
    # new one, and this one stays closed.
    flagging_run(now=timezone.now())
    flag.refresh_from_db()
    assert flag.resolution.startswith("Resolved by hand")
    assert flag.agreement.flags.filter(kind=Flag.Kind.REVIEW_OVERDUE).count() == 1


# Redis down never loses a save -------------------------------------------------


def test_saving_an_agreement_with_the_broker_unreachable_succeeds(
    client, ngo_editor, partnership, broker_down, caplog, django_capture_on_commit_callbacks
):
    client.force_login(ngo_editor)

    with (
        caplog.at_level(logging.WARNING, logger="core.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("agreements:new", args=[partnership.slug]),
            {
                "kind": "mou",
                "title": "Saved while the broker is down",
                "status": "active",
                "signed_on": "2026-01-10",
                "effective_from": "2026-01-10",
                "review_interval_months": "12",
                "visibility": "public",
                "terms-TOTAL_FORMS": "0",
                "terms-INITIAL_FORMS": "0",
            },
        )

    assert response.status_code == 302
    assert Agreement.objects.filter(title="Saved while the broker is down").exists()
    assert "could not enqueue oversight.tasks.run_flagging" in caplog.text
