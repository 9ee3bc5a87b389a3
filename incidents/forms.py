"""Forms of the incident pages. They validate; ``services.py`` writes."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from core.forms import StaffForm, StaffModelForm
from partnerships.forms import SourceForm
from publication.choices import WithholdingReason

from .models import Incident

# An instant typed as text: a mistyped one comes back as typed (``core.forms``).
DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S")
DATETIME_HINT = _("Year-month-day hour:minute, in the registry's time zone, e.g. 2026-03-02 09:30.")
DATETIME_INVALID = _("Enter a date and time as year-month-day hour:minute, e.g. 2026-03-02 09:30.")


def field_label(name: str):
    """The name of the incident's field ``name``, capitalized, in the reader's language."""
    return capfirst(Incident._meta.get_field(name).verbose_name)


SOURCE_PREFIX = "source"


class AgreementChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, agreement):
        return f"{agreement.title} ({agreement.partnership.title})"


class IncidentForm(StaffModelForm):
    agreements = AgreementChoice(
        queryset=Agreement.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        label=_("Agreements"),
        help_text=_("The agreements it happened under: those of your own partnerships."),
        error_messages={"required": _("Choose the agreement the incident happened under.")},
    )
    data_categories = forms.MultipleChoiceField(
        label=_("Data categories affected"),
        choices=Incident.DataCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    people_categories = forms.MultipleChoiceField(
        label=_("Categories of people affected"),
        choices=Incident.PeopleCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Incident
        fields = ["agreements", *Incident.EDITABLE_FIELDS]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "delay_reason",
                "nature",
                "likely_consequences",
                "measures_taken",
                "outcome",
                "notes",
            )
        }
        labels = {
            "notes": _("Private notes"),
        }
        help_texts = {
            "notes": _("Seen only by staff who see the incident; never published."),
            "delay_reason": _(
                "Required by law when the authority was notified more than 72 hours after "
                "discovery (GDPR Art. 33(1)); published unless withheld."
            ),
            "closed_on": _("Required when the incident is closed."),
        }

    def __init__(self, *args, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreements"].queryset = agreements.select_related("partnership").order_by(
            "partnership__title", "title"
        )
        if self.instance.pk is not None and not self.is_bound:
            self.initial["agreements"] = list(self.instance.agreements.values_list("pk", flat=True))
        for name in ("discovered_at", "reported_to_authority_at"):
            field = self.fields[name]
            field.widget = forms.DateTimeInput(
                attrs={"autocomplete": "off", "spellcheck": "false"}, format="%Y-%m-%d %H:%M"
            )
            field.input_formats = DATETIME_FORMATS
            field.error_messages = {**field.error_messages, "invalid": DATETIME_INVALID}
            field.help_text = f"{field.help_text} {DATETIME_HINT}"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reported_to_authority_at") and not cleaned.get("authority"):
            self.add_error("authority", _("Name the authority it was reported to."))
        return cleaned

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in Incident.EDITABLE_FIELDS}


class IncidentSourceForm(SourceForm):
    """A source cited with the incident (optional on its form)."""

    LABELS = {
        "url": _("Source URL"),
        "title": _("Source title"),
        "kind": _("Kind of source"),
        "published_on": _("Source published on"),
        "archived_url": _("Source's archived copy URL"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix=SOURCE_PREFIX, **kwargs)
        for name, field in self.fields.items():
            field.required = False
            field.label = self.LABELS.get(name, field.label)

    def has_source(self) -> bool:
        return bool(self.is_bound and (self.data.get(f"{SOURCE_PREFIX}-url") or "").strip())


class SendBackForm(StaffForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Comment"),
        help_text=_("What needs to change before it is published (staff only)."),
        error_messages={"required": _("Say what needs to change before it is published.")},
    )


class RetractForm(StaffForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Reason"),
        help_text=_("Public: why the incident is taken off the public record."),
        error_messages={"required": _("Tell the public why the incident is retracted.")},
    )


class WithholdForm(StaffForm):
    field = forms.ChoiceField(label=_("Value to withhold"))
    reason_code = forms.ChoiceField(label=_("Reason"), choices=WithholdingReason.choices)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Rationale"),
        help_text=_("Public: what the public is told about why the value is withheld."),
        error_messages={"required": _("Tell the public why the value is withheld.")},
    )
    available_on = forms.DateField(
        required=False,
        label=_("Available on"),
        help_text=_(
            "The value is published on this date (leave empty to withhold it until an editor "
            "lifts it)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [
            (name, field_label(name)) for name in Incident.WITHHOLDABLE_FIELDS
        ]
