"""Forms that say what is wrong: a form sent back with problems has a summary at its top
(one link per problem, to its field), each message beside its field (aria-invalid,
aria-describedby), what was typed kept as typed, one message per problem, and required
fields marked. The browser side (focus, links) is tests/browser/test_form_errors.py."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.forms import AgreementForm
from agreements.models import Agreement
from core.error_summary import problems
from core.forms import DATE_INVALID, StaffForm
from oversight.models import Finding, Review
from tests import factories
from tests.staff.test_agreement_pages import agreement_data, management, term

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class Element:
    def __init__(self, tag, attrs):
        self.tag, self.attrs, self.text = tag, dict(attrs), ""

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>{self.text[:60]}"


class Page(HTMLParser):
    """The elements of a page, each with its attributes and its text (its descendants')."""

    def __init__(self, html: str):
        super().__init__()
        self.elements, self.open = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs)
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data):
        for element in self.open:
            element.text += data

    def by_id(self, id_: str) -> Element:
        found = [element for element in self.elements if element.attrs.get("id") == id_]
        assert len(found) == 1, f"{len(found)} elements with id {id_!r}"
        return found[0]

    def summary(self) -> Element:
        found = [e for e in self.elements if "data-error-summary" in e.attrs]
        assert len(found) == 1, f"{len(found)} error summaries"
        return found[0]

    def summary_links(self) -> dict[str, str]:
        """The summary's links: {href: text}."""
        summary = self.summary()
        start = self.elements.index(summary)
        links = {}
        for element in self.elements[start + 1 :]:
            if element.tag == "script":
                break  # the summary's own script follows it
            if element.tag == "a" and element.attrs.get("href", "").startswith("#"):
                links[element.attrs["href"]] = " ".join(element.text.split())
        return links

    def label_for(self, id_: str) -> str:
        found = [e for e in self.elements if e.tag == "label" and e.attrs.get("for") == id_]
        assert len(found) == 1, f"{len(found)} labels for {id_!r}"
        return " ".join(found[0].text.split())


def assert_invalid_with_message(page: Page, id_: str, message: str) -> None:
    """The input is marked invalid and described by its message, which sits beside it."""
    field = page.by_id(id_)
    assert field.attrs.get("aria-invalid") == "true"
    assert f"{id_}_error" in field.attrs["aria-describedby"].split()
    # str(): a message may be a lazy translation (core.forms.DATE_INVALID).
    assert str(message) in page.by_id(f"{id_}_error").text


# The agreement form: an error near the top, one far down in a data-sharing term ------------


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership, title="Referral MOU")


@pytest.fixture
def new_agreement_url(partnership):
    return reverse("agreements:new", kwargs={"slug": partnership.slug})


def post_bad_agreement(client, url, **overrides):
    data = {
        **agreement_data(**{"status": "active", "signed_on": "31/02/2025", **overrides}),
        **management(1),
        **term(0, retention_days="six months"),
    }
    return client.post(url, data)


def test_a_bad_agreement_comes_back_with_a_summary_linking_to_each_problem(
    client, ngo_editor, new_agreement_url
):
    client.force_login(ngo_editor)

    response = post_bad_agreement(client, new_agreement_url)

    assert response.status_code == 200
    assert not Agreement.objects.exists()
    page = Page(response.content.decode())
    summary = page.summary()
    assert summary.attrs["tabindex"] == "-1"
    assert "autofocus" in summary.attrs
    title = page.by_id(summary.attrs["aria-labelledby"])
    assert title.text == "There are 2 problems with this form"
    assert page.summary_links() == {
        "#id_signed_on": f"Signed on: {DATE_INVALID}",
        "#id_terms-0-retention_days": (
            "Data-sharing term 1, Retention (days): Enter a whole number."
        ),
    }
    assert_invalid_with_message(page, "id_signed_on", DATE_INVALID)
    assert_invalid_with_message(page, "id_terms-0-retention_days", "Enter a whole number.")
    # The row is numbered on the page as in the summary.
    legends = [" ".join(e.text.split()) for e in page.elements if e.tag == "legend"]
    assert "Data-sharing term 1 (new)" in legends


def test_the_summary_takes_focus_with_a_script_the_policy_allows(
    client, ngo_editor, new_agreement_url
):
    client.force_login(ngo_editor)

    response = post_bad_agreement(client, new_agreement_url)

    page = Page(response.content.decode())
    scripts = [
        e for e in page.elements if e.tag == "script" and "error-summary" in e.attrs.get("src", "")
    ]
    assert len(scripts) == 1
    assert scripts[0].attrs["nonce"] == response.wsgi_request.csp_nonce


def test_a_malformed_date_and_number_come_back_as_typed(client, ngo_editor, new_agreement_url):
    client.force_login(ngo_editor)

    response = post_bad_agreement(client, new_agreement_url, expires_on="next week")

    page = Page(response.content.decode())
    assert page.by_id("id_signed_on").attrs["value"] == "31/02/2025"
    assert page.by_id("id_expires_on").attrs["value"] == "next week"
    assert page.by_id("id_terms-0-retention_days").attrs["value"] == "six months"
    # Typed as text: a date or number input would empty what it cannot parse.
    assert page.by_id("id_signed_on").attrs["type"] == "text"
    assert page.by_id("id_terms-0-retention_days").attrs["type"] == "text"
    assert page.by_id("id_terms-0-retention_days").attrs["inputmode"] == "numeric"
    # What was typed right stays too.
    assert page.by_id("id_title").attrs["value"] == "Referral MOU"
    assert "Monthly counts" in page.by_id("id_terms-0-purpose").text


def test_a_malformed_signing_date_is_one_problem_not_also_a_missing_one(
    client, ngo_editor, new_agreement_url
):
    client.force_login(ngo_editor)

    response = post_bad_agreement(client, new_agreement_url)

    html = response.content.decode()
    assert "needs its signing date" not in html
    assert response.context["form"].errors["signed_on"] == [DATE_INVALID]


def test_a_missing_signing_date_is_still_named(client, ngo_editor, new_agreement_url):
    client.force_login(ngo_editor)

    response = post_bad_agreement(client, new_agreement_url, signed_on="")

    assert response.context["form"].errors["signed_on"] == [
        "An agreement that is active needs its signing date."
    ]
    assert "#id_signed_on" in Page(response.content.decode()).summary_links()


def test_the_agreement_form_rules_skip_a_field_that_failed(partnership):
    form = AgreementForm(
        agreement_data(status="signed", signed_on="yesterday-ish", expires_on="2020-01-01"),
        partnership=partnership,
    )

    assert form.is_valid() is False
    assert form.errors == {
        "signed_on": [DATE_INVALID],
        # Its own rule still holds for a field that did not fail.
        "expires_on": ["An agreement cannot expire before it takes effect."],
    }


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("2025-03-31", dt.date(2025, 3, 31)),
        (" 2025-03-31 ", dt.date(2025, 3, 31)),
        ("31 March 2025", dt.date(2025, 3, 31)),
        ("31 Mar 2025", dt.date(2025, 3, 31)),
        ("March 31, 2025", dt.date(2025, 3, 31)),
    ],
)
def test_a_date_is_read_as_year_month_day_or_with_the_month_in_words(partnership, typed, read):
    form = AgreementForm(agreement_data(signed_on=typed), partnership=partnership)

    assert form.is_valid() is True, form.errors
    assert form.cleaned_data["signed_on"] == read


@pytest.mark.parametrize("typed", ["03/04/2025", "04/03/2025", "2025-02-31", "next week"])
def test_a_date_in_digits_another_way_round_is_refused_not_guessed(partnership, typed):
    form = AgreementForm(agreement_data(signed_on=typed), partnership=partnership)

    assert form.errors["signed_on"] == [DATE_INVALID]


# Required fields ----------------------------------------------------------------------------


def test_required_fields_are_marked_in_their_label_and_attribute(
    client, ngo_editor, new_agreement_url
):
    client.force_login(ngo_editor)

    page = Page(client.get(new_agreement_url).content.decode())

    assert page.label_for("id_title") == "Title (required)"
    assert "required" in page.by_id("id_title").attrs
    assert page.label_for("id_reference") == "Reference"
    assert "required" not in page.by_id("id_reference").attrs
    # A term row's fields are required once the row is filled in (a new row may stay empty).
    assert page.label_for("id_terms-0-purpose") == "Purpose (required)"
    assert page.label_for("id_terms-0-retention_days") == "Retention (days)"


def test_an_unsubmitted_form_has_no_summary_and_no_invalid_field(
    client, ngo_editor, new_agreement_url
):
    client.force_login(ngo_editor)

    html = client.get(new_agreement_url).content.decode()

    assert "data-error-summary" not in html
    assert "aria-invalid" not in html


def test_adding_a_term_row_without_javascript_shows_no_summary(
    client, ngo_editor, new_agreement_url
):
    client.force_login(ngo_editor)
    data = {**agreement_data(title=""), **management(1), **term(0), "add_term": "1"}

    html = client.post(new_agreement_url, data).content.decode()

    assert "data-error-summary" not in html
    assert 'name="terms-1-purpose"' in html


# The other staff forms go through the same includes ------------------------------------------


def test_a_new_partnership_without_its_other_party_links_to_the_party_search(
    client, ngo_editor, ngo
):
    client.force_login(ngo_editor)

    response = client.post(
        reverse("partnerships:new"),
        {
            "organization": ngo.pk,
            "title": "",
            "region": "europe",
            "country": "GB",
            "party_role": "police_agency",
        },
    )

    assert response.status_code == 200
    page = Page(response.content.decode())
    links = page.summary_links()
    assert list(links)[:2] == ["#id_party", "#id_title"]  # in the order of the page
    search = page.by_id("id_party")
    assert search.attrs["type"] == "search"
    assert_invalid_with_message(page, "id_party", "Choose the other party")
    assert page.label_for("id_party") == "Search organizations by name (required)"


def test_a_review_with_a_malformed_completion_date_gets_one_message(
    client, board_member, oversight_body, agreement
):
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:review_new", args=[agreement.pk]),
        {
            "reviewer": oversight_body.pk,
            "conflict_of_interest": Review.ConflictOfInterest.NONE,
            "kind": Review.Kind.SCHEDULED_REVIEW,
            "status": Review.Status.COMPLETED,
            "completed_on": "last Friday",
            "outcome": Review.Outcome.COMPLIANT,
            "findings-TOTAL_FORMS": "1",
            "findings-INITIAL_FORMS": "0",
            "findings-0-severity": Finding.Severity.MINOR,
            "findings-0-due_on": "soon",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"completed_on": [DATE_INVALID]}
    page = Page(response.content.decode())
    assert page.summary_links() == {
        "#id_completed_on": f"Completed on: {DATE_INVALID}",
        "#id_findings-0-summary": "Finding 1, Summary: This field is required.",
        "#id_findings-0-due_on": f"Finding 1, Corrective action due: {DATE_INVALID}",
    }
    assert page.by_id("id_completed_on").attrs["value"] == "last Friday"
    assert page.by_id("id_findings-0-due_on").attrs["value"] == "soon"


def test_resolving_one_of_several_findings_links_to_that_findings_date(
    client, board_member, oversight_body, agreement
):
    review = factories.ReviewFactory(agreement=agreement, reviewer=oversight_body)
    first, second = factories.FindingFactory.create_batch(2, review=review)
    client.force_login(board_member)

    response = client.post(
        reverse("oversight:finding_resolve", args=[second.pk]), {"resolved_on": "31/12/2026"}
    )

    assert response.status_code == 200
    page = Page(response.content.decode())
    field_id = f"id_finding-{second.pk}-resolved_on"
    assert page.summary_links() == {f"#{field_id}": f"Resolved on: {DATE_INVALID}"}
    assert page.by_id(field_id).attrs["value"] == "31/12/2026"
    assert_invalid_with_message(page, field_id, DATE_INVALID)
    # The other finding's form has ids of its own, and no error.
    other = page.by_id(f"id_finding-{first.pk}-resolved_on")
    assert "aria-invalid" not in other.attrs
    second.refresh_from_db()
    assert second.status == Finding.Status.OPEN


def test_a_refused_upload_far_over_the_limit_is_the_file_fields_problem(
    client, ngo_editor, agreement, settings
):
    settings.AGREEMENT_DOCUMENT_MAX_BYTES = 10
    client.force_login(ngo_editor)
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"%" * (1024 * 1024 + 100))
    response = client.post(reverse("agreements:document_new", args=[agreement.pk]), {"file": big})

    assert response.status_code == 413
    page = Page(response.content.decode())
    [(href, text)] = page.summary_links().items()
    assert href == "#id_file"
    assert "too large" in text
    assert_invalid_with_message(page, "id_file", "too large")


def test_a_problem_of_the_whole_form_is_in_the_summary_without_a_link(client, ngo_editor):
    response = client.post(reverse("login"), {"login": ngo_editor.username, "password": "wrong"})

    page = Page(response.content.decode())
    summary = page.summary()
    assert page.summary_links() == {}
    assert "There is a problem with this form" in summary.text
    assert "not correct" in summary.text


def test_a_forms_problems_follow_the_page_order_and_a_hidden_fields_has_no_link():
    class Example(StaffForm):
        when = forms.DateField(label="When")
        token = forms.CharField(widget=forms.HiddenInput)

        def clean(self):
            super().clean()
            raise forms.ValidationError("Something about the whole form.")

    found = problems(Example({"when": "soon"}), None, "")

    assert [(p.where, p.anchor) for p in found] == [
        ("", ""),
        ("When", "id_when"),
        ("Token", ""),
    ]
