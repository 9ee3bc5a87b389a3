"""The error summary at the top of a form that came back with problems, as GOV.UK's error
summary: "There are 3 problems with this form", then each problem, a link to its field.

``{% load error_summary %}{% error_summary form formset %}`` (a template library:
``TEMPLATES`` ``libraries``) sums up a form and any formsets submitted with it, in the
order of the page: a form's own (non-field) errors, then its fields in order; a formset's
own errors, then its rows ("Data-sharing term 2, Purpose: …"). It renders
``includes/error_summary.html``, which takes focus when the page loads
(``static/js/error-summary.js``). Nothing is summed up when the template says
``show_errors=False`` (a form sent back for another reason than a failed submission).
"""

from dataclasses import dataclass

from django import template
from django.forms.formsets import DELETION_FIELD_NAME
from django.utils.text import capfirst

register = template.Library()


@dataclass(frozen=True)
class Problem:
    """One message of the summary; ``anchor`` is the id of the input it concerns (none for
    a problem of the whole form, or of a hidden field)."""

    message: str
    where: str = ""
    anchor: str = ""

    def __str__(self):
        return f"{self.where}: {self.message}" if self.where else self.message


def problems(*forms) -> list[Problem]:
    """The problems of each form and formset given (``None`` and ``""`` are skipped, so that
    a template may pass a formset it does not always have)."""
    found: list[Problem] = []
    for form in forms:
        if form is None or form == "":
            continue
        if hasattr(form, "non_form_errors"):
            found.extend(formset_problems(form))
        else:
            found.extend(form_problems(form))
    return found


def form_problems(form, row: str = "") -> list[Problem]:
    if not form.is_bound:
        return []
    found = [Problem(str(message), row) for message in form.non_field_errors()]
    for field in form:
        where = f"{row}, {field.label}" if row else str(field.label or field.name)
        anchor = "" if field.is_hidden else field_anchor(field)
        found.extend(Problem(str(message), where, anchor) for message in field.errors)
    return found


def formset_problems(formset) -> list[Problem]:
    if not formset.is_bound:
        return []
    found = [Problem(str(message)) for message in formset.non_form_errors()]
    name = row_name(formset)
    for number, form in enumerate(formset.forms, start=1):
        if formset.can_delete and getattr(form, "cleaned_data", {}).get(DELETION_FIELD_NAME):
            continue  # a row to delete is not saved: its problems do not matter
        found.extend(form_problems(form, row=f"{name} {number}"))
    return found


def row_name(formset) -> str:
    """What one row of the formset is called: its ``row_name``, else its model's name."""
    if getattr(formset, "row_name", None):
        return formset.row_name
    model = getattr(getattr(formset.form, "_meta", None), "model", None)
    return capfirst(model._meta.verbose_name) if model is not None else "Row"


def field_anchor(field) -> str:
    """The id a link to the field goes to: its input's, or, for a group of radio buttons or
    checkboxes (whose label names no single input), the group's, which holds them."""
    return field.id_for_label or field.auto_id or ""


@register.simple_tag
def unshown_problems(form) -> list[Problem]:
    """The problems of ``form`` that no field it shows can hold: its own (non-field) errors
    and those of its hidden fields."""
    return [p for p in form_problems(form) if not p.anchor]


@register.inclusion_tag("includes/error_summary.html", takes_context=True)
def error_summary(context, *forms):
    found = [] if context.get("show_errors") is False else problems(*forms)
    first = next((form for form in forms if form not in (None, "")), None)
    prefix = getattr(first, "prefix", None)
    return {
        "problems": found,
        "summary_id": f"error-summary-{prefix}" if prefix else "error-summary",
        "request": context.get("request"),
    }
