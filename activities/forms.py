"""The staff forms of joint activities: the activity with its results (a formset), and
the withholding of one of their values (``agreements.forms.WithholdForm``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import StaffModelForm
from partnerships.models import Organization

from .models import Activity, ActivityResult, Indicator

# The most results one form records; also the most forms a POST can make it build.
MAX_RESULTS = 30


class ActivityForm(StaffModelForm):
    organizations = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Organizations involved"),
        help_text=_("The parties of the partnership that take part."),
    )

    class Meta:
        model = Activity
        fields = list(Activity.EDITABLE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = Organization.objects.filter(
            party_roles__partnership=partnership
        ).order_by("name")
        if self.instance.pk:
            self.initial.setdefault("organizations", list(self.instance.organizations.all()))


class ResultForm(StaffModelForm):
    class Meta:
        model = ActivityResult
        fields = ["id", *ActivityResult.EDITABLE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("indicator") == Indicator.OTHER and not cleaned.get("other_name"):
            self.add_error("other_name", _("Name the indicator: “Other” says nothing by itself."))
        return cleaned


class BaseResultFormSet(forms.BaseInlineFormSet):
    row_name = _("Result")  # in the error summary: "Result 2, Value: …"
    default_error_messages = {"too_many_forms": _("Record at most %(num)d results at once.")}


def result_formset(data=None, *, activity: Activity | None = None):
    formset_class = forms.inlineformset_factory(
        Activity,
        ActivityResult,
        form=ResultForm,
        formset=BaseResultFormSet,
        extra=2,
        can_delete=True,
        max_num=MAX_RESULTS,
        validate_max=True,
        absolute_max=MAX_RESULTS,
    )
    return formset_class(data, instance=activity or Activity(), prefix="results")


def results_data(formset) -> list[dict]:
    """The formset's rows as the services take them: fields, ``id``, ``DELETE``."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() or not form.cleaned_data:
            continue
        data = dict(form.cleaned_data)
        instance = data.pop("id", None)
        data["id"] = instance.pk if instance else None
        data.pop("activity", None)
        rows.append(data)
    return rows
