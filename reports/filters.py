"""The filters of the public list of reports (``/reports/``)."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.forms import StaffForm


class ReportFilterForm(StaffForm):
    year = forms.IntegerField(required=False, min_value=2000, max_value=2100, label=_("Year"))
    partnership = forms.CharField(
        required=False, label=_("Partnership"), help_text=_("Its title or slug.")
    )
    country = CountryField(blank=True).formfield(required=False, label=_("Country"))

    def filter(self, reports):
        data = self.cleaned_data
        if data.get("year"):
            reports = reports.filter(year=data["year"])
        if data.get("partnership"):
            text = data["partnership"]
            reports = reports.filter(
                Q(partnership__title__icontains=text) | Q(partnership__slug=text)
            )
        if data.get("country"):
            reports = reports.filter(partnership__country=data["country"])
        return reports
