"""A reviewer's conflict-of-interest declaration: stored consistently, recorded with every
new review, and part of the one independence rule that the pages, the API, the admin and
the figures read."""

import datetime as dt
import importlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import escape

from oversight import services
from oversight.models import DECLARATION_EXPLANATIONS, REVIEW_INDEPENDENCE, Review
from public.stats import registry_figures
from tests import factories

pytestmark = pytest.mark.django_db

COI = Review.ConflictOfInterest
TIES = "The board's chair sits on the charity's board of trustees."


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral protocol")


def declared(**kwargs) -> Review:
    return factories.ReviewFactory(conflict_of_interest=COI.DECLARED, declared_ties=TIES, **kwargs)


# The declaration is stored consistently --------------------------------------------------


@pytest.mark.parametrize(
    ("declaration", "ties"),
    [
        pytest.param(COI.DECLARED, "", id="declared-without-ties"),
        pytest.param(COI.NONE, TIES, id="none-with-ties"),
        pytest.param(COI.NOT_DECLARED, TIES, id="not-declared-with-ties"),
    ],
)
def test_the_database_refuses_ties_that_do_not_match_the_declaration(
    agreement, oversight_body, declaration, ties
):
    review = Review(
        agreement=agreement,
        reviewer=oversight_body,
        kind=Review.Kind.AUDIT,
        conflict_of_interest=declaration,
        declared_ties=ties,
    )
    with pytest.raises(ValidationError):
        review.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        review.save()
    assert not Review.objects.exists()


def test_a_review_recorded_without_being_asked_is_not_declared(agreement, oversight_body):
    review = Review.objects.create(
        agreement=agreement, reviewer=oversight_body, kind=Review.Kind.AUDIT
    )
    review.refresh_from_db()
    assert review.conflict_of_interest == COI.NOT_DECLARED
    assert review.declared_ties == ""


def test_the_migration_makes_existing_reviews_not_declared():
    """Existing reviews were recorded before the question was asked: they are "not
    declared", and so keep the independence they had."""
    migration = importlib.import_module("oversight.migrations.0008_review_conflict_of_interest")
    [added] = [
        operation
        for operation in migration.Migration.operations
        if getattr(operation, "model_name", None) == "review"
        and getattr(operation, "name", None) == "conflict_of_interest"
    ]
    assert added.field.default == COI.NOT_DECLARED


# The independence rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reviewer", "declaration", "independent"),
    [
        pytest.param("oversight_body", COI.NONE, True, id="not-a-party-no-ties"),
        pytest.param("oversight_body", COI.NOT_DECLARED, True, id="not-a-party-not-asked"),
        pytest.param("oversight_body", COI.DECLARED, False, id="not-a-party-declared-ties"),
        pytest.param("other_ngo", COI.NONE, True, id="an-ngo-that-is-not-a-party"),
        pytest.param("ngo", COI.NONE, False, id="a-party-declaring-no-ties"),
        pytest.param("police", COI.NOT_DECLARED, False, id="a-party-not-asked"),
        pytest.param("police", COI.DECLARED, False, id="a-party-declaring-ties"),
    ],
)
def test_a_review_is_independent_only_without_party_or_declared_ties(
    request, agreement, reviewer, declaration, independent
):
    review = factories.ReviewFactory(
        agreement=agreement,
        reviewer=request.getfixturevalue(reviewer),
        conflict_of_interest=declaration,
        declared_ties=TIES if declaration == COI.DECLARED else "",
    )

    plain = Review.objects.get(pk=review.pk)
    annotated = Review.objects.with_reviewer_independence().get(pk=review.pk)
    assert plain.is_independent() is independent
    assert annotated.reviewer_is_independent is independent
    assert annotated.is_independent() is independent
    assert Review.objects.independent().filter(pk=review.pk).exists() is independent
    assert Review.objects.not_independent().filter(pk=review.pk).exists() is (not independent)


def test_the_annotation_says_whether_the_reviewer_is_a_party(agreement, ngo, oversight_body):
    by_party = factories.ReviewFactory(agreement=agreement, reviewer=ngo)
    with_ties = declared(agreement=agreement, reviewer=oversight_body)

    rows = {
        row.pk: (row.reviewer_is_party, row.reviewer_is_independent)
        for row in Review.objects.with_reviewer_independence()
    }
    assert rows == {by_party.pk: (True, False), with_ties.pk: (False, False)}


def test_an_annotated_review_answers_without_a_query(
    agreement, oversight_body, django_assert_num_queries
):
    declared(agreement=agreement, reviewer=oversight_body)
    review = Review.objects.with_reviewer_independence().get()
    with django_assert_num_queries(0):
        assert review.is_independent() is False


# Recording a review asks the question ------------------------------------------------------


def review_data(oversight_body, **overrides) -> dict:
    data = {
        "reviewer": oversight_body,
        "kind": Review.Kind.AUDIT,
        "status": Review.Status.IN_PROGRESS,
        "started_on": dt.date(2026, 11, 1),
        "conflict_of_interest": COI.NONE,
        "declared_ties": "",
    }
    return data | overrides


def test_recording_a_review_stores_the_declared_ties(agreement, oversight_body, board_member):
    review = services.review_record(
        agreement=agreement,
        actor=board_member,
        data=review_data(oversight_body, conflict_of_interest=COI.DECLARED, declared_ties=TIES),
    )

    review.refresh_from_db()
    assert (review.conflict_of_interest, review.declared_ties) == (COI.DECLARED, TIES)
    assert review.is_independent() is False


@pytest.mark.parametrize("declaration", [None, "", COI.NOT_DECLARED])
def test_recording_a_review_without_an_answer_is_refused(
    agreement, oversight_body, board_member, declaration
):
    with pytest.raises(ValidationError) as error:
        services.review_record(
            agreement=agreement,
            actor=board_member,
            data=review_data(oversight_body, conflict_of_interest=declaration),
        )
    assert "conflict_of_interest" in error.value.message_dict
    assert not Review.objects.exists()


# Figures that depend on independence ---------------------------------------------------------


def test_a_declared_tie_changes_the_share_of_independent_reviews(agreement, oversight_body):
    review = factories.ReviewFactory(
        agreement=agreement, reviewer=oversight_body, conflict_of_interest=COI.NONE
    )
    factories.ReviewFactory(agreement=agreement, reviewer=oversight_body)  # not declared

    before = registry_figures()["reviews"]
    Review.objects.filter(pk=review.pk).update(
        conflict_of_interest=COI.DECLARED, declared_ties=TIES
    )
    after = registry_figures()["reviews"]

    assert (before["completed"], before["completed_independent"]) == (2, 2)
    assert before["share_completed_independent"] == 1.0
    assert (after["completed"], after["completed_independent"]) == (2, 1)
    assert after["share_completed_independent"] == 0.5
    assert {row["key"]: row["count"] for row in after["by_conflict_of_interest"]} == {
        "not_declared": 1,
        "none": 0,
        "declared": 1,
    }


def test_reviews_of_restricted_agreements_are_not_counted(agreement, oversight_body):
    restricted = factories.AgreementFactory(
        partnership=agreement.partnership, visibility="restricted"
    )
    declared(agreement=restricted, reviewer=oversight_body)

    figures = registry_figures()["reviews"]
    assert figures["total"] == 0
    assert figures["share_completed_independent"] is None


# The pages ----------------------------------------------------------------------------


def test_the_partnership_page_shows_the_declaration_and_why_it_is_not_independent(
    client, agreement, oversight_body, police
):
    declared(agreement=agreement, reviewer=oversight_body)
    factories.ReviewFactory(agreement=agreement, reviewer=police, kind=Review.Kind.SCHEDULED_REVIEW)
    factories.ReviewFactory(
        agreement=agreement,
        reviewer=factories.OversightBodyFactory(name="Second Board"),
        kind=Review.Kind.DPIA,
        conflict_of_interest=COI.NONE,
    )

    html = client.get(agreement.partnership.get_absolute_url()).content.decode()

    assert 'Civilian Oversight Board</a> <small class="not-independent">(declared ties to ' in html
    assert 'Riverside Police</a> <small class="not-independent">(a party, not independent)' in html
    assert "Second Board</a>:" in html  # independent: no mark
    assert f"Ties to the parties: declared — {escape(TIES)}" in html
    assert "Ties to the parties: none declared" in html
    assert "Ties to the parties: not declared (recorded before reviewers were asked)" in html


def test_the_agreement_page_shows_the_declaration(client, agreement, oversight_body):
    declared(agreement=agreement, reviewer=oversight_body)

    html = client.get(agreement.get_absolute_url()).content.decode()

    assert 'by Civilian Oversight Board <small class="not-independent">(declared ties' in html
    assert f"Ties to the parties: declared — {escape(TIES)}" in html


def test_the_organization_page_marks_its_reviews_with_declared_ties(
    client, agreement, oversight_body
):
    declared(agreement=agreement, reviewer=oversight_body)

    html = client.get(reverse("public:organization", args=[oversight_body.slug])).content.decode()

    assert "(declared ties to a party, not independent)" in html
    assert TIES not in html  # the page does not show the ties themselves


def test_the_review_page_says_a_declared_tie_makes_it_not_independent(
    client, agreement, oversight_body, board_member
):
    review = declared(agreement=agreement, reviewer=oversight_body)
    client.force_login(board_member)

    html = client.get(reverse("oversight:review_detail", args=[review.pk])).content.decode()

    assert "ties to a party declared: not independent" in html
    assert escape(TIES) in html


def test_the_methodology_page_states_the_rule_and_the_declarations(client):
    html = client.get(reverse("public:methodology")).content.decode()

    assert escape(str(REVIEW_INDEPENDENCE)) in html
    for value, explanation in DECLARATION_EXPLANATIONS.items():
        assert f"<dt>{escape(COI(value).label)}</dt>" in html
        assert escape(str(explanation)) in html
    assert list(DECLARATION_EXPLANATIONS) == list(COI)


def test_the_admin_filters_reviews_with_declared_ties_as_not_independent(
    admin_client, agreement, oversight_body
):
    with_ties = declared(agreement=agreement, reviewer=oversight_body)
    without = factories.ReviewFactory(agreement=agreement, reviewer=oversight_body)
    url = reverse("admin:oversight_review_changelist")

    not_independent = admin_client.get(url, {"independent": "no"}).context["cl"].result_list
    independent = admin_client.get(url, {"independent": "yes"}).context["cl"].result_list

    assert [review.pk for review in not_independent] == [with_ties.pk]
    assert [review.pk for review in independent] == [without.pk]
