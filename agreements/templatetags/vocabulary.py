"""Controlled values shown in words, in the reader's language, where a template holds the
machine value alone (an annotation such as ``derived_risk_level``)."""

from django import template

from agreements.choices import RiskLevel

register = template.Library()


@register.filter
def risk_label(value: str) -> str:
    """``high`` as "High" (English), "Alto" (Spanish), "Élevé" (French)."""
    try:
        return RiskLevel(value).label
    except ValueError:
        return value
