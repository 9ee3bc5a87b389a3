"""Choices of incidents, shared by the model, its queryset (which the model imports), the
filters and the forms."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IncidentKind(models.TextChoices):
    DATA_BREACH = "data_breach", _("Data breach")
    SCOPE_VIOLATION = "scope_violation", _("Scope violation (data used beyond the agreed purpose)")
    UNLAWFUL_DISCLOSURE = "unlawful_disclosure", _("Unlawful disclosure")
    DISCRIMINATORY_OUTCOME = "discriminatory_outcome", _("Discriminatory outcome")
    SECURITY_INCIDENT = "security_incident", _("Security incident")
    OTHER = "other", _("Other")


class PeopleCategory(models.TextChoices):
    """The categories of people an incident concerns (GDPR Art. 33(3)(a))."""

    CHILDREN = "children", _("Children")
    VICTIMS = "victims", _("Victims")
    VULNERABLE_ADULTS = "vulnerable_adults", _("Vulnerable adults")
    WITNESSES = "witnesses", _("Witnesses")
    SUSPECTS = "suspects", _("Suspects")
    OFFENDERS = "offenders", _("Offenders")
    STAFF = "staff", _("Staff or volunteers")
    GENERAL_PUBLIC = "general_public", _("General public")


class HowFound(models.TextChoices):
    INTERNAL_AUDIT = "internal_audit", _("Internal audit")
    INDEPENDENT_AUDIT = "independent_audit", _("Independent audit")
    CIVIL_SOCIETY_REPORT = "civil_society_report", _("Civil-society report")
    JOURNALISM = "journalism", _("Journalism")
    COMPLAINT = "complaint", _("Complaint")
    SELF_REPORTED = "self_reported", _("Self-reported by a party")


class IncidentStatus(models.TextChoices):
    # In context: an incident's "open" and "closed" agree with its gender in Spanish and
    # French, unlike a flag's.
    OPEN = "open", pgettext_lazy("incident status", "Open")
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
    CLOSED = "closed", pgettext_lazy("incident status", "Closed")
