"""Controlled values shown in words, in the reader's language, where a template holds the
machine value alone (an annotation such as ``derived_risk_level``)."""

from django import template

from agreements.choices import RiskLevel
from agreements.clauses import TOPIC_LABELS, Status

register = template.Library()


@register.filter
def risk_label(value: str) -> str:
    """``high`` as "High" (English), "Alto" (Spanish), "Élevé" (French)."""
    try:
        return RiskLevel(value).label
    except ValueError:
        return value


@register.filter
def clause_status(value: str) -> str:
    """What became of a clause in a comparison (``changed``) in words: "Changed"."""
    return Status.LABELS.get(value, value)


@register.filter
def clause_topic(value: str) -> str:
    """A topic of the clause comparison (``data sharing``) in the reader's language."""
    return TOPIC_LABELS.get(value, value)


@register.filter
def clause_topics(values) -> list[str]:
    """The topics of ``values`` in the reader's language (``clause_topic`` of each)."""
    return [clause_topic(value) for value in values]
