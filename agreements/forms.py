"""Forms of the agreement pages: the agreement, its data-sharing terms (a formset)
and the upload of a document version. They validate; ``services.py`` writes."""

from django import forms
from django.template.defaultfilters import filesizeformat

from partnerships.models import Organization

from .documents import check_pdf, max_document_bytes
from .models import Agreement, DataSharingTerm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TERMS_PREFIX = "terms"


class AgreementForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = list(Agreement.EDITABLE_FIELDS)
        widgets = {
            "signed_on": DATE,
            "effective_from": DATE,
            "expires_on": DATE,
            "public_summary": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            # The status rules, shown next to the fields they concern.
            "status": "Signed and active agreements need a signing date.",
            "signed_on": "Required when the agreement is signed or active.",
            "expires_on": "Not before the date it takes effect.",
            "review_interval_months": "The next review is due this many months after it "
            "takes effect (or after its last completed review).",
            "visibility": "A restricted partnership keeps all its agreements restricted.",
            "independent_auditor": "Independent only if it is not a party to the partnership.",
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


class AuditorForm(forms.Form):
    independent_auditor = forms.ModelChoiceField(
        queryset=Organization.objects.confirmed().oversight().order_by("name"),
        required=False,
        label="Independent auditor",
        empty_label="No auditor",
        help_text="An oversight body, community board or auditor that is not a party to the "
        "partnership. A party cannot audit its own agreement independently.",
    )


class DataSharingTermForm(forms.ModelForm):
    class Meta:
        model = DataSharingTerm
        fields = list(DataSharingTerm.FIELDS)
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 2}),
            "access_controls": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"retention_days": "Retention (days)"}


# The most data-sharing terms one agreement may have. It is also the most term forms a
# POST can make the formset build, whatever its TOTAL_FORMS claims; without it a request
# of a few hundred bytes could make the page build and render thousands of rows.
MAX_TERMS = 50
TOO_MANY_TERMS = "An agreement can have at most %(num)d data-sharing terms."


class BaseTermFormSet(forms.BaseInlineFormSet):
    default_error_messages = {"too_many_forms": TOO_MANY_TERMS}


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


class DocumentUploadForm(forms.Form):
    file = forms.FileField(
        label="Signed document (PDF)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        allow_empty_file=True,  # check_pdf gives the clearer message
        error_messages={"required": "Choose the PDF file to upload."},
    )
    is_public = forms.BooleanField(
        label="Publish this version",
        required=False,
        help_text="Anyone may download it if the agreement is public.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"PDF only, at most {filesizeformat(max_document_bytes())}. A new upload "
            "becomes a new version; earlier versions are kept."
        )
        self.rejection = None

    def clean_file(self):
        file = self.cleaned_data["file"]
        try:
            check_pdf(file)
        except forms.ValidationError as error:
            self.rejection = error
            raise
        return file
