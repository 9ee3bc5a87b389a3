"""The forms of public feedback: leaving it (with its spam controls), moderating it,
answering it and closing a partnership to it."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from core.forms import StaffForm

from .challenge import challenge_error, challenge_issue
from .models import MAX_TEXT_LENGTH, Feedback

HONEYPOT_MESSAGE = _("Your feedback could not be accepted. Leave the last field empty.")


class FeedbackForm(StaffForm):
    """Anyone's feedback on a published partnership. Spam controls: a field people do not
    see and robots fill in (``website``), a signed timestamp (``challenge``) and a size
    limit; the rate limits are the service's."""

    category = forms.ChoiceField(
        choices=[("", _("Choose one")), *Feedback.Category.choices],
        label=_("Category"),
        help_text=_("What kind of feedback this is."),
    )
    agreement = forms.ModelChoiceField(
        queryset=Agreement.objects.none(),
        required=False,
        empty_label=_("The partnership as a whole"),
        label=_("About"),
    )
    text = forms.CharField(
        label=_("Your feedback"),
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_TEXT_LENGTH}),
        max_length=MAX_TEXT_LENGTH,
        help_text=format_lazy(
            _(
                "At most {limit} characters. Please do not name people or give phone numbers "
                "or addresses. Links become clickable once a moderator publishes it."
            ),
            limit=MAX_TEXT_LENGTH,
        ),
    )
    display_name = forms.CharField(
        label=_("Name to show"),
        required=False,
        max_length=80,
        help_text=_("Optional: shown with your feedback. Leave it empty to stay anonymous."),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_(
            "Never shown. We send you a link to confirm your feedback, and use it for "
            "nothing else; unconfirmed feedback is deleted after 7 days."
        ),
    )
    # The honeypot: hidden from people by CSS and from screen readers by aria-hidden.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    challenge = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = Agreement.objects.public().filter(
            partnership=partnership
        )
        if not self.fields["agreement"].queryset.exists():
            del self.fields["agreement"]
        if not self.is_bound:
            self.initial["challenge"] = challenge_issue()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise forms.ValidationError(HONEYPOT_MESSAGE)
        problem = challenge_error(self.data.get(self.add_prefix("challenge"), ""))
        if problem:
            # A fresh challenge for the form shown again.
            self.data = self.data.copy()
            self.data[self.add_prefix("challenge")] = challenge_issue()
            raise forms.ValidationError(problem)
        return cleaned


class ModerationForm(StaffForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("publish", _("Publish")), ("hide", _("Hide"))],
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", "—"), *Feedback.HiddenReason.choices],
        required=False,
        help_text=_("Required to hide: the public reads it in place of the feedback."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Private to the moderators."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "hide" and not cleaned.get("reason"):
            self.add_error("reason", _("Choose the reason for hiding it."))
        return cleaned


class ResponseForm(StaffForm):
    organization = forms.ModelChoiceField(queryset=None, label=_("Answer in the name of"))
    text = forms.CharField(
        label=_("Response"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT_LENGTH,
        help_text=_("Published beneath the feedback, in the organization's name."),
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        if organizations.count() == 1:
            self.initial["organization"] = organizations.first()


class ClosureForm(StaffForm):
    reason = forms.CharField(
        label=_("Why it is closed"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on the partnership's page."),
    )
