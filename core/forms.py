"""What every staff form of the registry shares: one message per problem, and dates and
whole numbers typed as text, so that a mistyped one comes back as it was typed.

``StaffForm`` and ``StaffModelForm`` are the bases of the apps' forms; the templates render
them through ``templates/includes/`` (an error summary at the top of the form, each error
beside its field: ``core/error_summary.py``).
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

# The formats a typed date is read in: year-month-day, or with the month in words. Never
# digits alone in another order: 03/04/2025 is in March or in April depending on who typed
# it, and a date read the wrong way round would be saved without a word.
DATE_INPUT_FORMATS = (
    "%Y-%m-%d",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%b %d, %Y",
)
DATE_HINT = _("Year-month-day, for example 2025-03-31.")
DATE_INVALID = _("Enter a real date as year-month-day, for example 2025-03-31.")


class DateInput(forms.DateInput):
    """A date typed as text. A browser's date picker (``type="date"``) cannot hold what it
    cannot parse: a mistyped date would come back empty, with a message about a missing
    date. As text, what was typed comes back as typed, beside the message that says why it
    is not a date."""

    def __init__(self, attrs=None):
        attrs = {key: value for key, value in (attrs or {}).items() if key != "type"}
        super().__init__(
            attrs={"autocomplete": "off", "spellcheck": "false", **attrs}, format="%Y-%m-%d"
        )


def typed_date(field: forms.DateField) -> None:
    """Make ``field`` a date typed as text: its input, the formats it reads, the message
    when it cannot read one, and the format in its help text."""
    field.widget = DateInput(attrs=field.widget.attrs)
    field.input_formats = DATE_INPUT_FORMATS
    field.error_messages = {**field.error_messages, "invalid": DATE_INVALID}
    field.help_text = f"{field.help_text} {DATE_HINT}" if field.help_text else DATE_HINT


def typed_whole_number(field: forms.IntegerField) -> None:
    """Make ``field`` a whole number typed as text (with the digits keyboard on a phone). A
    number input empties what it cannot parse (some browsers let letters be typed into
    it), so that the form would answer "required" about a value the user did type."""
    attrs = {
        key: value
        for key, value in field.widget.attrs.items()
        if key not in ("type", "min", "max", "step")
    }
    field.widget = forms.TextInput(attrs={**attrs, "inputmode": "numeric"})


class StaffFormMixin:
    """A staff form's shared behaviour.

    - One message per problem: a field that already has an error gets no other. A date
      that is not a date is not also "missing" for a rule that needs it, whether the rule
      is the form's ``clean()`` or the model's (``ModelForm`` runs the model's ``clean()``
      even for fields that failed): the first message found, the field's own, is the one
      shown. A ``ValidationError`` with several messages for one field (a password's
      rules) is still shown whole.
    - Every date field, and every whole number asked for in a number input, is typed as
      text (``typed_date``, ``typed_whole_number``).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                typed_date(field)
            elif isinstance(field, forms.IntegerField) and isinstance(
                field.widget, forms.NumberInput
            ):
                typed_whole_number(field)

    def add_error(self, field, error):
        if not isinstance(error, ValidationError):
            error = ValidationError(error)
        if hasattr(error, "error_dict"):
            if field is None:
                kept = {
                    name: errors
                    for name, errors in error.error_dict.items()
                    if name == NON_FIELD_ERRORS or name not in self.errors
                }
                if not kept:
                    return
                error = ValidationError(kept)
        elif field not in (None, NON_FIELD_ERRORS) and field in self.errors:
            return
        super().add_error(field, error)


class StaffForm(StaffFormMixin, forms.Form):
    pass


class StaffModelForm(StaffFormMixin, forms.ModelForm):
    pass
