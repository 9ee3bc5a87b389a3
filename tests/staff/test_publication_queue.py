"""The approval queue and the header's count of decisions waiting: who sees what to
decide, an organization's records by state and what is kept from the public, and what
they cost in queries."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import publishing
from agreements.context_processors import publication
from agreements.models import Agreement
from partnerships.models import Partnership
from publication.models import Withholding
from publication.services import revision_store
from tests import factories

pytestmark = pytest.mark.django_db

QUEUE = reverse("agreements:approval_queue")


def submit(record, user):
    type(record).objects.filter(pk=record.pk).update(
        publication_status="submitted", submitted_by=user, submitted_at=timezone.now()
    )
    record.refresh_from_db()
    return record


def withhold(record, field, user, **kwargs):
    return Withholding.objects.create(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        field=field,
        reason_code="survivor_safety",
        rationale="It leads to the shelter.",
        created_by=user,
        **kwargs,
    )


def add_waiting(ngo, police, ngo_editor, n: int) -> None:
    """``n`` of each kind of decision waiting for the police editor: a submitted
    partnership, a submitted agreement, a withheld value to confirm, one to release, the
    changes of a published partnership and of an embargoed agreement."""
    for _ in range(n):
        partnership = submit(
            factories.partnership_with_parties(ngo=ngo, police=police, publication_status="draft"),
            ngo_editor,
        )
        published = factories.partnership_with_parties(ngo=ngo, police=police)
        agreement = submit(
            factories.AgreementFactory(partnership=published, publication_status="draft"),
            ngo_editor,
        )
        term = factories.DataSharingTermFactory(agreement=agreement)
        withhold(term, "purpose", ngo_editor)  # confirmed with the agreement's approval
        withhold(published, "objectives", ngo_editor)
        withhold(
            published,
            "public_summary",
            ngo_editor,
            confirmed_at=timezone.now(),
            release_requested_by=ngo_editor,
            release_requested_at=timezone.now(),
        )
        embargoed = factories.AgreementFactory(
            partnership=published,
            publication_status="embargoed",
            embargoed_until=timezone.localdate() + dt.timedelta(days=5),
        )
        withhold(embargoed, "reference", ngo_editor)
        revision_store(record=published, actor=ngo_editor, form_data={"title": "Renamed"})
        revision_store(record=embargoed, actor=ngo_editor, form_data={"title": "Renamed"})
        review = factories.ReviewFactory(agreement=embargoed)
        withhold(review, "public_summary", ngo_editor)
        partnership.draft = factories.AgreementFactory(
            partnership=partnership, publication_status="draft"
        )


def test_an_approver_sees_what_waits_for_them_and_nothing_of_their_own(
    client, ngo, police, ngo_editor, police_editor
):
    add_waiting(ngo, police, ngo_editor, 1)
    client.force_login(police_editor)
    response = client.get(QUEUE)
    context = response.context
    assert [p.publication_status for p in context["partnerships"]] == ["submitted"]
    assert [a.publication_status for a in context["agreements"]] == ["submitted"]
    decisions = sorted(
        (w.record_kind, w.field, w.may_confirm, w.may_release) for w in context["withholdings"]
    )
    assert decisions == [
        ("agreement", "public_summary", True, False),  # the review of an embargoed agreement
        ("agreement", "reference", True, False),
        ("partnership", "objectives", True, False),
        ("partnership", "public_summary", False, True),
    ]
    assert sorted(r.record_kind for r in context["revisions"]) == ["agreement", "partnership"]
    html = response.content.decode()
    assert "Approvals (8)" in html
    assert "Review “Scheduled review” of 1 Feb 2025: Public summary" in html
    assert "Changes to approved records waiting for you (2)" in html

    client.force_login(ngo_editor)
    response = client.get(QUEUE)
    assert response.context["partnerships"] == []
    assert response.context["agreements"] == []
    assert response.context["withholdings"] == []
    assert response.context["revisions"] == []
    assert "Approvals (" not in response.content.decode()


def test_an_editor_sees_their_organizations_records_by_state_and_what_is_kept_from_public(
    client, ngo, police, ngo_editor, police_editor
):
    add_waiting(ngo, police, ngo_editor, 1)
    client.force_login(ngo_editor)
    context = client.get(QUEUE).context
    by_state = {state: len(records) for _, state, records in context["records_by_state"]}
    assert by_state == {"draft": 1, "submitted": 2, "embargoed": 1, "retracted": 0}
    assert context["published"] == {"partnership": 1, "agreement": 0}
    kept = sorted((line.record_kind, line.what, line.state) for line in context["kept"])
    assert kept == [
        (
            "agreement",
            "Data-sharing term “Aggregate statistics (Police to NGO)”: Purpose",
            "Awaiting confirmation",
        ),
        ("agreement", "Reference", "Awaiting confirmation"),
        (
            "agreement",
            "Review “Scheduled review” of 1 Feb 2025: Public summary",
            "Awaiting confirmation",
        ),
        ("agreement", "The whole record (embargo)", "Approved, under embargo"),
        ("partnership", "Objectives", "Awaiting confirmation"),
        ("partnership", "Public summary", "Release requested"),
    ]


def test_an_outsider_sees_nothing_of_other_organizations(
    client, ngo, police, ngo_editor, other_ngo_editor
):
    add_waiting(ngo, police, ngo_editor, 1)
    client.force_login(other_ngo_editor)
    context = client.get(QUEUE).context
    assert context["partnerships"] == [] and context["withholdings"] == []
    assert context["kept"] == []
    assert context["is_member"] is False


def test_an_oversight_editor_decides_where_the_other_party_has_no_editor(
    client, ngo, police, ngo_editor, board_member
):
    partnership = submit(
        factories.partnership_with_parties(ngo=ngo, police=police, publication_status="draft"),
        ngo_editor,
    )
    client.force_login(board_member)
    assert [p.pk for p in client.get(QUEUE).context["partnerships"]] == [partnership.pk]
    assert publishing.approval_count(board_member) == 1

    police_editor = factories.MembershipFactory(organization=police).user
    assert client.get(QUEUE).context["partnerships"] == []
    assert publishing.approval_count(police_editor) == 1


def test_a_site_administrator_decides_on_anyone_elses_submission(
    client, ngo, police, ngo_editor, superuser
):
    theirs = submit(factories.partnership_with_parties(ngo=ngo, police=police), ngo_editor)
    submit(factories.partnership_with_parties(ngo=ngo, police=police), superuser)
    client.force_login(superuser)
    assert [p.pk for p in client.get(QUEUE).context["partnerships"]] == [theirs.pk]


def test_the_header_shows_the_count_to_those_with_something_to_decide(
    client, ngo, police, ngo_editor, police_editor
):
    add_waiting(ngo, police, ngo_editor, 2)
    client.force_login(police_editor)
    html = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Approvals (16)" in html
    client.force_login(ngo_editor)
    html = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Approvals (" not in html
    assert QUEUE in html
    client.logout()
    assert QUEUE not in client.get(reverse("public:home")).content.decode()


def test_the_count_is_two_queries_and_only_when_shown(
    ngo, police, ngo_editor, police_editor, django_assert_num_queries
):
    add_waiting(ngo, police, ngo_editor, 3)
    ContentType.objects.get_for_models(Partnership, Agreement)  # the cache, warm as in a server
    publishing.approval_count(police_editor)
    request = RequestFactory().get("/")
    request.user = police_editor
    with django_assert_num_queries(0):
        context = publication(request)
    # The user's organizations, then the count.
    with django_assert_num_queries(2):
        assert int(str(context["approvals_count"])) == 24
    # One for a user who approves nothing.
    request.user = factories.MembershipFactory(organization=ngo, role="viewer").user
    with django_assert_num_queries(1):
        assert int(str(publication(request)["approvals_count"])) == 0


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("persona", ["police_editor", "ngo_editor"])
def test_the_queue_costs_the_same_queries_for_1_or_10_of_each(
    request, client, ngo, police, ngo_editor, persona
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    add_waiting(ngo, police, ngo_editor, 1)
    one = queries_for(client, QUEUE)
    add_waiting(ngo, police, ngo_editor, 9)
    ten = queries_for(client, QUEUE)
    print(f"queries: {one} for 1 of each, {ten} for 10")
    assert one == ten, (one, ten)
    # Session and user (2); the header: the user's organizations and the count, the
    # oversight link (3); the user's organizations as an approver, the submissions (1 +
    # 4: partnerships, agreements, and the registered kinds, incidents and activities);
    # the withheld values to decide and their records (1 + 3); the organizations' records
    # (2); their withheld values and the records of those (1 + 4); the changes of
    # approved records to decide and their records (1 + 2); and one the audit middleware
    # makes on every request.
    assert ten <= 25
