"""The upload form; ``files.py`` checks the file, ``services.py`` imports it."""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .files import max_import_bytes


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        allow_empty_file=True,  # read_upload gives the clearer message
        error_messages={"required": _("Choose the CSV file to import.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "The registry's partnerships or agreements export (format=csv), edited or not: "
            "UTF-8, at most %(size)s. Nothing changes until you have seen the dry run and "
            "applied it."
        ) % {"size": filesizeformat(max_import_bytes())}
