from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from .models import Alert


class SignUpForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), help_text=_("You log in with it."))
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class ConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("The password you chose when signing up"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AlertForm(forms.Form):
    name = forms.CharField(label=_("Name of the alert"), max_length=200)
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Alert.Frequency.choices, initial=Alert.Frequency.DAILY
    )


class AccountDeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, delete my account, my alerts and everything with them"),
        required=True,
    )


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// address that accepts POST requests with a JSON body."),
    )
