"""The methodology page is generated from the rules the code runs: it cannot drift."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from agreements.models import DataSharingTerm
from oversight.models import Flag
from oversight.rules import FLAG_RULES
from publication.choices import PublicationStatus, WithholdingReason

pytestmark = pytest.mark.django_db
Term = DataSharingTerm


@pytest.fixture
def html(client):
    response = client.get(reverse("public:methodology"))
    assert response.status_code == 200
    return response.content.decode()


def test_every_flag_kind_has_its_rule_explained(html):
    rules = {rule.kind: rule for rule in FLAG_RULES}
    for kind in Flag.Kind:
        rule = rules.get(kind)
        assert rule is not None, f"flag kind {kind} has no rule"
        assert rule.explanation.strip(), f"flag kind {kind} has no explanation"
        assert f'id="flag-{kind}"' in html
        assert escape(str(kind.label)) in html
        assert escape(str(rule.explanation)) in html
        assert escape(str(rule.resolution)) in html
    assert "No rule is recorded" not in html


def test_a_flag_kind_without_a_rule_shows_as_such(client, monkeypatch):
    import oversight.rules

    monkeypatch.setattr(oversight.rules, "FLAG_RULES", FLAG_RULES[1:])
    monkeypatch.setattr("public.views.FLAG_RULES", FLAG_RULES[1:])
    html = client.get(reverse("public:methodology")).content.decode()
    assert "No rule is recorded for this kind of flag." in html


def test_the_risk_table_is_what_the_rule_computes(html):
    """Every data category in every direction: the level on the page is the level the
    code gives a term with that category and direction."""
    for category in Term.DataCategory:
        row = re.search(rf'<tr data-category="{category}">(.*?)</tr>', html, re.S)
        assert row, f"{category} is missing from the risk table"
        cells = dict(re.findall(r'<td data-direction="(\w+)">(\w+)</td>', row.group(1)))
        for direction in Term.Direction:
            expected = Term(data_category=category, direction=direction).risk_level()
            assert cells[direction] == expected.capitalize(), (category, direction)
        onward = Term(
            data_category=category, direction="police_to_ngo", onward_sharing_allowed=True
        ).risk_level()
        assert cells["onward"].lower() in {onward, "high"}


def test_every_surveillance_practice_is_listed_as_high(html):
    for practice in Term.SurveillancePractice:
        if practice == Term.SurveillancePractice.NONE:
            continue
        assert f"<li>{escape(str(practice.label))}: high</li>" in html


def test_the_rule_in_words_names_every_high_risk_category(html):
    from agreements.risk import HIGH_RISK_CATEGORIES_TO_POLICE

    high = re.search(r"<strong>High\.</strong>(.*?)</li>", html, re.S).group(1)
    for category in HIGH_RISK_CATEGORIES_TO_POLICE:
        label = Term.DataCategory(category).label
        assert escape(label[0].lower() + label[1:]) in high


def test_it_states_the_licence_and_how_to_cite(html, settings):
    assert 'id="licence"' in html
    assert f'href="{settings.DATA_LICENCE_URL}" rel="license"' in html
    assert "Cite a partnership by its page" in html


def test_it_explains_the_publication_workflow_and_every_reason_code(client):
    page = client.get("/methodology/").content.decode()

    assert "How a record is published" in page
    for state in PublicationStatus:
        assert str(state.label) in page
    for reason in WithholdingReason:
        assert str(reason.label) in page
        assert f"<code>{reason.value}</code>" in page
