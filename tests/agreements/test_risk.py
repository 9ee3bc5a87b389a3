"""The risk rule (DESIGN §1), checked case by case against an independent reading of it.

"High when personal, special-category, victim, biometric or location data flows to the
police, or any surveillance practice is involved; medium for case records or onward
sharing; low otherwise." Data flows to the police when it goes from the NGO to the police
or both ways.

The expected levels below are written out from that sentence, not taken from the rule's
constants in ``agreements.models``, so that a slip in those constants shows up here.
"""

import itertools

import pytest

from agreements.derived import derived_facts_refresh
from agreements.models import Agreement, DataSharingTerm
from tests import factories

# Every choice, spelt out; test_the_case_table_covers_every_choice_of_the_model keeps
# these lists in step with the model.
DATA_CATEGORIES = [
    "aggregate_statistics",
    "case_records",
    "personal_identifiable",
    "special_category",
    "victim_records",
    "location_data",
    "cctv_footage",
    "body_worn_camera_footage",
    "social_media_data",
    "biometric_data",
]
DIRECTIONS = ["ngo_to_police", "police_to_ngo", "bidirectional"]
SURVEILLANCE_PRACTICES = [
    "none",
    "predictive_policing",
    "body_worn_cameras",
    "cctv_monitoring",
    "social_media_monitoring",
    "facial_recognition",
    "license_plate_readers",
    "other",
]
ONWARD_SHARING = [False, True]

# "personal, special-category, victim, biometric or location data"
SENSITIVE_WHEN_GIVEN_TO_POLICE = {
    "personal_identifiable",
    "special_category",
    "victim_records",
    "biometric_data",
    "location_data",
}
# "flows to the police"
TO_THE_POLICE = {"ngo_to_police", "bidirectional"}


def expected_risk(data_category, direction, surveillance_practice, onward_sharing_allowed):
    if surveillance_practice != "none":
        return "high"
    if data_category in SENSITIVE_WHEN_GIVEN_TO_POLICE and direction in TO_THE_POLICE:
        return "high"
    if data_category == "case_records" or onward_sharing_allowed:
        return "medium"
    return "low"


def case_id(data_category, direction, surveillance_practice, onward_sharing_allowed):
    onward = "onward-sharing" if onward_sharing_allowed else "no-onward-sharing"
    return f"{data_category}-{direction}-{surveillance_practice}-{onward}"


COMBINATIONS = list(
    itertools.product(DATA_CATEGORIES, DIRECTIONS, SURVEILLANCE_PRACTICES, ONWARD_SHARING)
)
EXPECTED = {case_id(*combination): expected_risk(*combination) for combination in COMBINATIONS}
CASES = [
    pytest.param(*combination, expected_risk(*combination), id=case_id(*combination))
    for combination in COMBINATIONS
]


def test_the_case_table_covers_every_choice_of_the_model():
    assert sorted(DATA_CATEGORIES) == sorted(DataSharingTerm.DataCategory.values)
    assert sorted(DIRECTIONS) == sorted(DataSharingTerm.Direction.values)
    assert sorted(SURVEILLANCE_PRACTICES) == sorted(DataSharingTerm.SurveillancePractice.values)
    assert len(CASES) == len(EXPECTED) == 10 * 3 * 8 * 2


@pytest.mark.parametrize(
    ("data_category", "direction", "surveillance_practice", "onward_sharing_allowed", "expected"),
    CASES,
)
def test_a_data_sharing_term_has_the_risk_level_of_the_rule(
    data_category, direction, surveillance_practice, onward_sharing_allowed, expected
):
    term = DataSharingTerm(
        data_category=data_category,
        direction=direction,
        surveillance_practice=surveillance_practice,
        onward_sharing_allowed=onward_sharing_allowed,
    )

    assert term.risk_level() == expected


@pytest.mark.django_db
def test_the_sql_risk_level_agrees_with_the_rule_for_every_kind_of_term():
    """One agreement per combination, each with its one term; the title names the case."""
    partnership = factories.partnership_with_parties()
    agreements = Agreement.objects.bulk_create(
        Agreement(partnership=partnership, title=case_id(*combination), status="draft")
        for combination in COMBINATIONS
    )
    DataSharingTerm.objects.bulk_create(
        DataSharingTerm(
            agreement=agreement,
            data_category=data_category,
            direction=direction,
            surveillance_practice=surveillance_practice,
            onward_sharing_allowed=onward_sharing_allowed,
            purpose="Risk rule case.",
        )
        for agreement, (
            data_category,
            direction,
            surveillance_practice,
            onward_sharing_allowed,
        ) in zip(agreements, COMBINATIONS, strict=True)
    )
    assert DataSharingTerm.objects.count() == len(EXPECTED)
    # What a bulk write does after its inserts: the stored risk levels, in one statement.
    assert derived_facts_refresh() == len(EXPECTED) - sum(
        level == "low" for level in EXPECTED.values()
    )

    annotated = dict(Agreement.objects.with_risk_level().values_list("title", "derived_risk_level"))
    by_rule = dict(
        Agreement.objects.with_risk_level_by_rule().values_list("title", "derived_risk_level")
    )
    in_python = {
        agreement.title: agreement.risk_level()
        for agreement in Agreement.objects.prefetch_related("data_sharing_terms")
    }
    high_risk = set(Agreement.objects.high_risk().values_list("title", flat=True))

    def disagreements(levels):
        return {
            case: (levels.get(case), level)
            for case, level in EXPECTED.items()
            if levels.get(case) != level
        }

    assert disagreements(annotated) == {}
    assert disagreements(by_rule) == {}
    assert len(annotated) == len(EXPECTED)
    assert disagreements(in_python) == {}
    assert high_risk == {case for case, level in EXPECTED.items() if level == "high"}
    assert Agreement.objects.high_risk().count() == len(high_risk)


# An agreement takes the highest risk among its terms ---------------------------------------

LOW = {"data_category": "aggregate_statistics", "direction": "police_to_ngo"}
MEDIUM_CASE_RECORDS = {"data_category": "case_records", "direction": "ngo_to_police"}
MEDIUM_ONWARD = {**LOW, "onward_sharing_allowed": True}
HIGH_VICTIM_DATA = {"data_category": "victim_records", "direction": "ngo_to_police"}
HIGH_SURVEILLANCE = {**LOW, "surveillance_practice": "facial_recognition"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        pytest.param([], "low", id="no-terms-is-low"),
        pytest.param([LOW], "low", id="low"),
        pytest.param([LOW, LOW], "low", id="low+low"),
        pytest.param([LOW, MEDIUM_CASE_RECORDS], "medium", id="low+medium-is-medium"),
        pytest.param([MEDIUM_ONWARD, LOW], "medium", id="medium+low-is-medium"),
        pytest.param([MEDIUM_CASE_RECORDS, MEDIUM_ONWARD], "medium", id="medium+medium"),
        pytest.param([MEDIUM_CASE_RECORDS, HIGH_VICTIM_DATA], "high", id="medium+high-is-high"),
        pytest.param([HIGH_SURVEILLANCE, LOW], "high", id="high+low-is-high"),
        pytest.param([LOW, MEDIUM_ONWARD, HIGH_SURVEILLANCE], "high", id="low+medium+high"),
        pytest.param([HIGH_VICTIM_DATA, HIGH_SURVEILLANCE], "high", id="high+high"),
    ],
)
def test_an_agreement_takes_the_highest_risk_of_its_terms(terms, expected):
    agreement = factories.AgreementFactory()
    for term in terms:
        factories.DataSharingTermFactory(agreement=agreement, **term)

    agreement = Agreement.objects.get(pk=agreement.pk)
    annotated = Agreement.objects.with_risk_level().filter(pk=agreement.pk)

    assert agreement.risk_level() == expected
    assert list(annotated.values_list("derived_risk_level", flat=True)) == [expected]
    assert agreement.stored_risk_level == expected
    assert Agreement.objects.with_risk_level_by_rule().get(pk=agreement.pk).derived_risk_level == (
        expected
    )
    assert Agreement.objects.high_risk().filter(pk=agreement.pk).exists() is (expected == "high")


@pytest.mark.django_db
def test_high_risk_selects_exactly_the_high_risk_agreements_once_each():
    def agreement_with(title, *terms):
        agreement = factories.AgreementFactory(title=title)
        for term in terms:
            factories.DataSharingTermFactory(agreement=agreement, **term)

    agreement_with("no terms")
    agreement_with("low", LOW)
    agreement_with("medium", MEDIUM_CASE_RECORDS, MEDIUM_ONWARD)
    agreement_with("victim data to the police", LOW, HIGH_VICTIM_DATA)
    agreement_with("facial recognition", HIGH_SURVEILLANCE)
    agreement_with("two high terms", HIGH_VICTIM_DATA, HIGH_SURVEILLANCE)

    titles = sorted(Agreement.objects.high_risk().values_list("title", flat=True))

    assert titles == ["facial recognition", "two high terms", "victim data to the police"]
    assert Agreement.objects.with_risk_level().count() == Agreement.objects.count() == 6
