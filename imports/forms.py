"""The upload form; ``files.py`` checks the file, ``services.py`` imports it."""

from django import forms
from django.template.defaultfilters import filesizeformat

from .files import max_import_bytes


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        allow_empty_file=True,  # read_upload gives the clearer message
        error_messages={"required": "Choose the CSV file to import."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "The registry's partnerships or agreements export (format=csv), edited or not: "
            f"UTF-8, at most {filesizeformat(max_import_bytes())}. Nothing changes until "
            "you have seen the dry run and applied it."
        )
