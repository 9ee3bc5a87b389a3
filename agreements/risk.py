"""The risk rule described for readers, derived from the rule itself.

The methodology page shows these tables. They are computed by asking
``DataSharingTerm.risk_level()`` about every choice, not written by hand, so the
page cannot say something the code does not do.
"""

from dataclasses import dataclass

from .models import (
    HIGH_RISK_CATEGORIES_TO_POLICE,
    MEDIUM_RISK_CATEGORIES,
    RISK_ORDER,
    TOWARDS_POLICE,
    DataSharingTerm,
    RiskLevel,
)


@dataclass(frozen=True)
class CategoryRisk:
    category: str  # the value, e.g. "victim_records"
    label: str
    by_direction: dict[str, str]  # direction value -> risk level, with no onward sharing
    with_onward_sharing: str  # the highest level when onward sharing is allowed


def level_of(**term_fields) -> str:
    return DataSharingTerm(**term_fields).risk_level()


def category_table() -> list[CategoryRisk]:
    """For each data category, the risk level in each direction, with no surveillance
    practice, and with onward sharing allowed."""
    Term = DataSharingTerm
    rows = []
    for category in Term.DataCategory:
        by_direction = {
            direction.value: level_of(
                data_category=category,
                direction=direction,
                surveillance_practice=Term.SurveillancePractice.NONE,
            )
            for direction in Term.Direction
        }
        onward = max(
            (
                level_of(
                    data_category=category,
                    direction=direction,
                    onward_sharing_allowed=True,
                    surveillance_practice=Term.SurveillancePractice.NONE,
                )
                for direction in Term.Direction
            ),
            key=RISK_ORDER.index,
        )
        rows.append(CategoryRisk(category.value, category.label, by_direction, onward))
    return rows


def surveillance_table() -> list[tuple[str, str]]:
    """Each surveillance practice and the level a term involving it has (whatever its data)."""
    Term = DataSharingTerm
    return [
        (
            practice.label,
            level_of(
                data_category=Term.DataCategory.AGGREGATE_STATISTICS,
                direction=Term.Direction.POLICE_TO_NGO,
                surveillance_practice=practice,
            ),
        )
        for practice in Term.SurveillancePractice
    ]


def rule_in_words() -> dict[str, str]:
    """The rule as sentences, one per level, built from its constants."""
    Term = DataSharingTerm

    def labels(values, choices):
        # "Victim records" -> "victim records", but "NGO to police" keeps its capitals.
        names = [choices(value).label for value in sorted(values)]
        names = [n if n[1:2].isupper() else n[0].lower() + n[1:] for n in names]
        return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]

    towards = labels(TOWARDS_POLICE, Term.Direction)
    return {
        RiskLevel.HIGH: (
            f"High when {labels(HIGH_RISK_CATEGORIES_TO_POLICE, Term.DataCategory)} "
            f"flow to the police (direction: {towards}), or when any surveillance "
            "practice is involved."
        ),
        RiskLevel.MEDIUM: (
            f"Medium when {labels(MEDIUM_RISK_CATEGORIES, Term.DataCategory)} are shared "
            "in either direction, or when onward sharing to third parties is allowed."
        ),
        RiskLevel.LOW: "Low otherwise, and when an agreement records no data-sharing terms.",
    }
