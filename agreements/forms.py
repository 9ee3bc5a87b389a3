"""Forms of the agreement pages: the agreement, its data-sharing terms (a formset),
the upload of a document version, and the steps of the publication workflow. They
validate; ``services.py`` and ``publishing.py`` write."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.defaultfilters import filesizeformat
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import StaffForm, StaffModelForm
from partnerships.models import Organization
from publication.choices import REASON_EXPLANATIONS, WithholdingReason

from .documents import check_pdf, max_document_bytes
from .models import Agreement, DataSharingTerm

TERMS_PREFIX = "terms"


class AgreementForm(StaffModelForm):
    class Meta:
        model = Agreement
        fields = list(Agreement.EDITABLE_FIELDS)
        widgets = {
            "public_summary": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            # The status rules, shown next to the fields they concern.
            "status": _("Signed and active agreements need a signing date."),
            "signed_on": _("Required when the agreement is signed or active."),
            "expires_on": _("Not before the date it takes effect."),
            "review_interval_months": _(
                "The next review is due this many months after it takes effect (or after its "
                "last completed review)."
            ),
            "visibility": _("A restricted partnership keeps all its agreements restricted."),
            "independent_auditor": _("Independent only if it is not a party to the partnership."),
        }

    def __init__(self, *args, partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.partnership = partnership
        others = partnership.agreements.all()
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["supersedes"].queryset = others
        self.fields["independent_auditor"].queryset = (
            Organization.objects.confirmed().oversight().order_by("name")
        )


class AuditorForm(StaffForm):
    independent_auditor = forms.ModelChoiceField(
        queryset=Organization.objects.confirmed().oversight().order_by("name"),
        required=False,
        label=_("Independent auditor"),
        empty_label=_("No auditor"),
        help_text=_(
            "An oversight body, community board or auditor that is not a party to the "
            "partnership. A party cannot audit its own agreement independently."
        ),
    )


class DataSharingTermForm(StaffModelForm):
    class Meta:
        model = DataSharingTerm
        fields = list(DataSharingTerm.FIELDS)
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 2}),
            "access_controls": forms.Textarea(attrs={"rows": 2}),
        }
        # The model names the field as histories show it; the form says the unit.
        labels = {"retention_days": _("Retention (days)")}


# The most data-sharing terms one agreement may have. It is also the most term forms a
# POST can make the formset build, whatever its TOTAL_FORMS claims; without it a request
# of a few hundred bytes could make the page build and render thousands of rows.
MAX_TERMS = 50
TOO_MANY_TERMS = _("An agreement can have at most %(num)d data-sharing terms.")


class BaseTermFormSet(forms.BaseInlineFormSet):
    row_name = _("Data-sharing term")  # in the error summary: "Data-sharing term 2, Purpose: …"
    default_error_messages = {"too_many_forms": TOO_MANY_TERMS}

    def changes(self) -> dict:
        """What the valid formset asks of ``services.agreement_update``: the terms to add,
        to change (each with its new values) and to remove. Rows left as they were are
        left out."""
        add, change, remove = [], [], []
        for term_form in self.forms:
            if self.can_delete and self._should_delete_form(term_form):
                if term_form.instance.pk:
                    remove.append(term_form.instance)
                continue
            claimed = term_form.cleaned_data.get("id")
            if claimed is not None and claimed.pk != term_form.instance.pk:
                # An id that is not one of this agreement's terms: a tampered form.
                raise PermissionDenied(
                    gettext("That data-sharing term belongs to another agreement.")
                )
            if not term_form.has_changed():
                continue
            data = {name: term_form.cleaned_data[name] for name in DataSharingTerm.FIELDS}
            if term_form.instance.pk:
                change.append((term_form.instance, data))
            else:
                add.append(data)
        return {"terms_to_add": add, "terms_to_change": change, "terms_to_remove": remove}


TermFormSet = forms.inlineformset_factory(
    Agreement,
    DataSharingTerm,
    form=DataSharingTermForm,
    formset=BaseTermFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_TERMS,
    validate_max=True,
    absolute_max=MAX_TERMS,
)


def too_many_terms_message() -> str:
    """The refusal of a term beyond the most an agreement may have."""
    return TOO_MANY_TERMS % {"num": MAX_TERMS}


def blank_term_form(index: int) -> DataSharingTermForm:
    """The form of one more, empty term row (htmx "add another", or its no-JS fallback)."""
    return TermFormSet.form(
        prefix=f"{TERMS_PREFIX}-{index}", empty_permitted=True, use_required_attribute=False
    )


class DocumentUploadForm(StaffForm):
    file = forms.FileField(
        label=_("Signed document (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        allow_empty_file=True,  # check_pdf gives the clearer message
        error_messages={"required": _("Choose the PDF file to upload.")},
    )
    is_public = forms.BooleanField(
        label=_("Publish this version"),
        required=False,
        help_text=_("Anyone may download it if the agreement is public."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "PDF only, at most %(size)s. A new upload becomes a new version; earlier versions "
            "are kept."
        ) % {"size": filesizeformat(max_document_bytes())}
        self.rejection = None

    def clean_file(self):
        file = self.cleaned_data["file"]
        try:
            check_pdf(file)
        except forms.ValidationError as error:
            self.rejection = error
            raise
        return file


# The publication workflow's forms (``publishing.py`` validates the rules; these parse) -----


class SendBackForm(StaffForm):
    comment = forms.CharField(
        label=_("What needs to change"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The record's editors see this comment; it is never published."),
        error_messages={"required": _("Say what needs to change before it is published.")},
    )


class RetractForm(StaffForm):
    reason = forms.CharField(
        label=_("Why it is retracted"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Public: the record's page keeps its title and dates and says it was retracted on "
            "this day, because of this."
        ),
        error_messages={"required": _("Tell the public why the record is retracted.")},
    )


class EmbargoForm(StaffForm):
    until = forms.DateField(
        label=_("Publish on"),
        required=False,
        help_text=_(
            "Once approved, the record is published automatically on this date (a date after "
            "today). Its editors are told the day before."
        ),
    )
    indefinite = forms.BooleanField(
        label=_("Embargo indefinitely, until an editor lifts it"),
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason for the embargo"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for an indefinite embargo."),
    )
    announced = forms.BooleanField(
        label=_("Announce it: the public sees its title and the date the embargo lifts"),
        required=False,
    )


class DocumentEmbargoForm(StaffForm):
    until = forms.DateField(
        label=_("Embargoed until"),
        required=False,
        help_text=_(
            "A version marked public is published on this date (after today). Leave it empty "
            "to publish it with the agreement."
        ),
    )


class WithholdForm(StaffForm):
    """Withhold one value of a record or of an agreement's parts. ``targets`` are the
    values that may be withheld, as ``{key: (label, instance, field)}``."""

    field = forms.ChoiceField(label=_("Value to withhold"))
    reason_code = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (code, format_lazy("{} — {}", label, REASON_EXPLANATIONS[code]))
            for code, label in WithholdingReason.choices
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the reason the public is given.")},
    )
    rationale = forms.CharField(
        label=_("Rationale (public)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "What the public is told about why the value is withheld. For “Other”, the reason "
            "itself. Never repeat the withheld value here."
        ),
        error_messages={"required": _("Tell the public why the value is withheld.")},
    )
    available_on = forms.DateField(
        label=_("Available on"),
        required=False,
        help_text=_(
            "The value is published on this date. Leave it empty to withhold it until it is "
            "released."
        ),
    )

    def __init__(self, *args, targets: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = targets
        self.fields["field"].choices = [("", gettext("Choose a value"))] + [
            (key, label) for key, (label, _, _) in targets.items()
        ]

    def clean_field(self):
        """The chosen value as ``(instance, field)``."""
        _, instance, field = self.targets[self.cleaned_data["field"]]
        return instance, field


class VersionCompareForm(StaffForm):
    """Which two versions of an agreement's text to compare: ``from`` (the older) and
    ``to``, by version number; the pages and the API read the same query parameters.
    ``versions`` (the numbers the reader may read) are the page's choices; whether a
    number is one of them is the view's question (404 otherwise), not the form's."""

    # ``from`` is a Python keyword: the fields are declared by name.
    FIELDS = ("from", "to")

    def __init__(self, data=None, *, versions: list[int] = ()):
        super().__init__(data)
        choices = [("", "—")] + [
            (v, gettext("Version %(version)s") % {"version": v}) for v in versions
        ]
        labels = (gettext("Compare version"), gettext("with version"))
        for name, label in zip(self.FIELDS, labels, strict=True):
            self.fields[name] = forms.IntegerField(
                label=label,
                min_value=1,
                widget=forms.Select(choices=choices),
                error_messages={
                    "required": gettext("Choose the version (%(name)s).") % {"name": name},
                    "invalid": gettext("Give a version number."),
                },
            )

    def clean(self):
        data = super().clean()
        if data.get("from") is not None and data.get("from") == data.get("to"):
            self.add_error("to", gettext("Choose two different versions."))
        return data
