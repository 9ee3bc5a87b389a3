"""Recording a review asks the reviewing organization to declare its ties to the parties:
the form's answer, its field-level errors, and what the staff pages then show."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from oversight.forms import ReviewForm
from oversight.models import Review
from partnerships.models import Organization
from tests import factories

pytestmark = pytest.mark.django_db

COI = Review.ConflictOfInterest
TIES = "Our director is seconded from the police agency's training unit."


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral MOU")


def review_form(oversight_body, **overrides) -> dict:
    data = {
        "reviewer": oversight_body.pk,
        "conflict_of_interest": COI.DECLARED,
        "declared_ties": TIES,
        "kind": Review.Kind.AUDIT,
        "status": Review.Status.IN_PROGRESS,
        "started_on": "2026-11-01",
        "completed_on": "",
        "outcome": "",
        "public_summary": "Consent records sampled at two sites.",
        "notes": "",
        "findings-TOTAL_FORMS": "0",
        "findings-INITIAL_FORMS": "0",
    }
    return data | overrides


def field_html(html: str, name: str) -> str:
    """The markup of one field of the form, its errors included."""
    start = html.index(f'id="field-{name}"')
    return html[start : html.index('<div class="field"', start + 1)]


# The form ---------------------------------------------------------------------------------


def test_the_form_asks_no_ties_or_declared_ties_never_not_declared(oversight_body):
    form = ReviewForm(reviewers=Organization.objects.filter(pk=oversight_body.pk))
    choices = [value for value, _ in form.fields["conflict_of_interest"].choices]
    assert choices == [COI.NONE, COI.DECLARED]
    assert form.fields["conflict_of_interest"].required is True


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param(
            {"declared_ties": ""},
            "declared_ties",
            "Describe the ties to the parties.",
            id="declared-without-ties",
        ),
        pytest.param(
            {"declared_ties": "   "},
            "declared_ties",
            "Describe the ties to the parties.",
            id="declared-with-blank-ties",
        ),
        pytest.param(
            {"conflict_of_interest": COI.NONE},
            "declared_ties",
            "Only declared ties are described: answer yes, or clear this.",
            id="no-ties-but-ties-described",
        ),
        pytest.param(
            {"conflict_of_interest": ""},
            "conflict_of_interest",
            "Say whether the reviewing organization has ties to a party.",
            id="no-answer",
        ),
        pytest.param(
            {"conflict_of_interest": COI.NOT_DECLARED},
            "conflict_of_interest",
            "Select a valid choice.",
            id="not-declared-is-not-an-answer",
        ),
    ],
)
def test_a_bad_declaration_is_refused_next_to_its_field_and_keeps_what_was_typed(
    client, board_member, oversight_body, agreement, overrides, field, message
):
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:review_new", args=[agreement.pk]),
        review_form(oversight_body, **overrides),
    )

    assert response.status_code == 200
    assert not Review.objects.exists()
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert any(error.startswith(message) for error in errors[field])
    html = response.content.decode()
    assert escape(message) in field_html(html, field)
    assert "Consent records sampled at two sites." in html


def test_the_form_shows_the_question_as_labelled_radio_buttons(client, board_member, agreement):
    client.force_login(board_member)

    html = client.get(reverse("oversight:review_new", args=[agreement.pk])).content.decode()

    question = field_html(html, "conflict_of_interest")
    assert "<legend>Does the reviewing organization have funding, staff or contractual" in question
    assert re.search(r'<input type="radio" name="conflict_of_interest" value="none"', question)
    assert re.search(r'<input type="radio" name="conflict_of_interest" value="declared"', question)
    assert "not_declared" not in question
    assert '<label for="id_declared_ties">The ties</label>' in html


@pytest.mark.parametrize(
    ("overrides", "declaration", "ties", "independent"),
    [
        pytest.param({}, COI.DECLARED, TIES, False, id="declared-ties"),
        pytest.param(
            {"conflict_of_interest": COI.NONE, "declared_ties": ""},
            COI.NONE,
            "",
            True,
            id="no-ties",
        ),
    ],
)
def test_a_recorded_review_keeps_its_declaration(
    client, board_member, oversight_body, agreement, overrides, declaration, ties, independent
):
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:review_new", args=[agreement.pk]),
        review_form(oversight_body, **overrides),
    )

    review = Review.objects.get()
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.conflict_of_interest, review.declared_ties) == (declaration, ties)
    assert review.is_independent() is independent
    page = client.get(response["Location"]).content.decode()
    if independent:
        assert "independent of the parties" in page
        assert "Ties to the parties: none declared" in page
    else:
        assert "ties to a party declared: not independent" in page
        assert f"Ties to the parties: declared — {escape(TIES)}" in page


# Query counts --------------------------------------------------------------------------


def add_reviews(agreement, n: int):
    for i in range(n):
        declaration = [COI.NOT_DECLARED, COI.NONE, COI.DECLARED][i % 3]
        review = factories.ReviewFactory(
            agreement=agreement,
            conflict_of_interest=declaration,
            declared_ties=TIES if declaration == COI.DECLARED else "",
        )
        factories.FindingFactory(review=review)


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("page", ["partnership", "agreement"])
def test_the_pages_listing_reviews_cost_the_same_for_1_and_30_reviews(
    client, board_member, agreement, page
):
    client.force_login(board_member)
    url = (
        agreement.partnership.get_absolute_url()
        if page == "partnership"
        else agreement.get_absolute_url()
    )
    add_reviews(agreement, 1)
    one = queries_for(client, url)
    add_reviews(agreement, 29)
    thirty = queries_for(client, url)
    assert one == thirty, (one, thirty)


def test_the_organization_page_costs_the_same_for_1_and_30_reviews(client, agreement):
    reviewer = factories.OversightBodyFactory(name="Busy Board", slug="busy-board")
    url = reverse("public:organization", args=[reviewer.slug])
    factories.ReviewFactory(agreement=agreement, reviewer=reviewer)
    one = queries_for(client, url)
    for _ in range(29):
        factories.ReviewFactory(
            agreement=agreement,
            reviewer=reviewer,
            conflict_of_interest=COI.DECLARED,
            declared_ties=TIES,
        )
    thirty = queries_for(client, url)
    assert one == thirty, (one, thirty)
