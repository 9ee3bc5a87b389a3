"""The risk rule (DESIGN §1): its constants, the rule for one data-sharing term, and the
rule described for readers.

``DataSharingTerm.risk_level()``, the SQL of ``DataSharingTermQuerySet``, the exports and
the methodology page all read the constants here, so they cannot disagree. The
methodology page's tables are computed by asking the rule about every choice, not
written by hand, so the page cannot say something the code does not do.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .choices import DataCategory, Direction, RiskLevel, SurveillancePractice

RISK_ORDER = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]
HIGH_RISK_CATEGORIES_TO_POLICE = frozenset(
    {
        DataCategory.PERSONAL_IDENTIFIABLE,
        DataCategory.SPECIAL_CATEGORY,
        DataCategory.VICTIM_RECORDS,
        DataCategory.BIOMETRIC_DATA,
        DataCategory.LOCATION_DATA,
    }
)
TOWARDS_POLICE = frozenset({Direction.NGO_TO_POLICE, Direction.BIDIRECTIONAL})
MEDIUM_RISK_CATEGORIES = frozenset({DataCategory.CASE_RECORDS})


def term_risk_level(
    *, data_category: str, direction: str, surveillance_practice: str, onward_sharing_allowed
) -> str:
    """The risk rule for one data-sharing term; ``DataSharingTermQuerySet`` states the same
    in SQL. A plain function of the fields, so that exports of a million rows apply it
    without building a model instance per term."""
    if surveillance_practice != SurveillancePractice.NONE or (
        data_category in HIGH_RISK_CATEGORIES_TO_POLICE and direction in TOWARDS_POLICE
    ):
        return RiskLevel.HIGH
    if data_category in MEDIUM_RISK_CATEGORIES or onward_sharing_allowed:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


# The rule described for readers -------------------------------------------------------


@dataclass(frozen=True)
class CategoryRisk:
    category: str  # the value, e.g. "victim_records"
    label: str
    by_direction: dict[str, str]  # direction value -> risk level, with no onward sharing
    with_onward_sharing: str  # the highest level when onward sharing is allowed


def level_of(**term_fields) -> str:
    """The level of a term with these fields (no onward sharing unless they say so)."""
    return term_risk_level(**{"onward_sharing_allowed": False, **term_fields})


def category_table() -> list[CategoryRisk]:
    """For each data category, the risk level in each direction, with no surveillance
    practice, and with onward sharing allowed."""
    rows = []
    for category in DataCategory:
        by_direction = {
            direction.value: level_of(
                data_category=category,
                direction=direction,
                surveillance_practice=SurveillancePractice.NONE,
            )
            for direction in Direction
        }
        onward = max(
            (
                level_of(
                    data_category=category,
                    direction=direction,
                    onward_sharing_allowed=True,
                    surveillance_practice=SurveillancePractice.NONE,
                )
                for direction in Direction
            ),
            key=RISK_ORDER.index,
        )
        rows.append(CategoryRisk(category.value, category.label, by_direction, onward))
    return rows


def surveillance_table() -> list[tuple[str, str]]:
    """Each surveillance practice and the level a term involving it has (whatever its data)."""
    return [
        (
            practice.label,
            level_of(
                data_category=DataCategory.AGGREGATE_STATISTICS,
                direction=Direction.POLICE_TO_NGO,
                surveillance_practice=practice,
            ),
        )
        for practice in SurveillancePractice
    ]


def rule_in_words() -> dict[str, str]:
    """The rule as sentences, one per level, built from its constants."""

    def labels(values, choices):
        # "Victim records" -> "victim records", but "NGO to police" keeps its capitals.
        names = [choices(value).label for value in sorted(values)]
        names = [str(n) for n in names]
        names = [n if n[1:2].isupper() else n[0].lower() + n[1:] for n in names]
        if len(names) == 1:
            return names[0]
        return _("%(some)s or %(last)s") % {"some": ", ".join(names[:-1]), "last": names[-1]}

    towards = labels(TOWARDS_POLICE, Direction)
    return {
        RiskLevel.HIGH: _(
            "High when %(categories)s flow to the police (direction: %(towards)s), or when "
            "any surveillance practice is involved."
        )
        % {"categories": labels(HIGH_RISK_CATEGORIES_TO_POLICE, DataCategory), "towards": towards},
        RiskLevel.MEDIUM: _(
            "Medium when %(categories)s are shared in either direction, or when onward "
            "sharing to third parties is allowed."
        )
        % {"categories": labels(MEDIUM_RISK_CATEGORIES, DataCategory)},
        RiskLevel.LOW: _("Low otherwise, and when an agreement records no data-sharing terms."),
    }
