"""Forms of the oversight pages. They validate; ``services.py`` writes."""

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from agreements.models import Agreement, RiskLevel
from core.forms import StaffForm, StaffModelForm
from partnerships.models import FocusArea, Region

from .dashboard import DEFAULT_SORT, SORTS
from .models import Finding, Flag, Review

FINDINGS_PREFIX = "findings"

# The answers to the conflict-of-interest question, as the form asks it.
ANSWER_LABELS = {
    Review.ConflictOfInterest.NONE: _("No ties"),
    Review.ConflictOfInterest.DECLARED: _("Yes: the ties are described below"),
}


class ReviewForm(StaffModelForm):
    class Meta:
        model = Review
        fields = list(Review.EDITABLE_FIELDS)
        widgets = {
            "conflict_of_interest": forms.RadioSelect,
            "declared_ties": forms.Textarea(attrs={"rows": 3}),
            "public_summary": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "reviewer": _("Reviewing organization"),
            "conflict_of_interest": _(
                "Does the reviewing organization have funding, staff or contractual ties to a "
                "party to the partnership?"
            ),
            "declared_ties": _("The ties"),
            "notes": _("Private notes"),
        }
        help_texts = {
            "conflict_of_interest": _(
                "Published with the review. A review by an organization with ties to a party "
                "is not independent."
            ),
            "declared_ties": _(
                "Required when there are ties: who funds, employs or contracts whom, and since "
                "when. Published with the review."
            ),
            "status": _(
                "A completed review moves the next review forward by the agreement's review "
                "interval, counted from the completion date."
            ),
            "completed_on": _("Required when the review is completed."),
            "public_summary": _("Published on the partnership page and in the API."),
            "notes": _("Seen only by oversight members; never published."),
        }
        error_messages = {
            "conflict_of_interest": {
                "required": _("Say whether the reviewing organization has ties to a party.")
            },
        }

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers
        self.fields["reviewer"].empty_label = None
        declaration = self.fields["conflict_of_interest"]
        declaration.choices = [(answer, ANSWER_LABELS[answer]) for answer in Review.ANSWERS]
        declaration.initial = None

    def clean(self):
        cleaned = super().clean()
        declared = cleaned.get("conflict_of_interest") == Review.ConflictOfInterest.DECLARED
        if declared and not cleaned.get("declared_ties"):
            self.add_error("declared_ties", _("Describe the ties to the parties."))
        if cleaned.get("declared_ties") and cleaned.get("conflict_of_interest") == (
            Review.ConflictOfInterest.NONE
        ):
            self.add_error(
                "declared_ties", _("Only declared ties are described: answer yes, or clear this.")
            )
        completed = cleaned.get("status") == Review.Status.COMPLETED
        if completed and not cleaned.get("outcome"):
            self.add_error("outcome", _("A completed review needs its outcome."))
        if completed and not cleaned.get("completed_on"):
            self.add_error("completed_on", _("A completed review needs its completion date."))
        if cleaned.get("completed_on") and not completed:
            self.add_error("completed_on", _("Only a completed review has a completion date."))
        return cleaned


class FindingForm(StaffModelForm):
    class Meta:
        model = Finding
        fields = list(Finding.EDITABLE_FIELDS)
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "corrective_action": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "due_on": _("Corrective action due"),
        }
        help_texts = {
            "due_on": _("An open finding past this date raises a corrective-action-overdue flag."),
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("due_on") and not cleaned.get("corrective_action"):
            self.add_error("corrective_action", _("Say what must be done by the due date."))
        return cleaned


# The most findings one review form records (more are added from the review's page). It
# is also the most finding forms a POST can make the formset build, whatever its
# TOTAL_FORMS claims.
MAX_FINDINGS = 50


class BaseFindingFormSet(forms.BaseFormSet):
    row_name = _("Finding")  # in the error summary: "Finding 2, Summary: …"
    default_error_messages = {
        "too_many_forms": ngettext_lazy(
            "A review is recorded with at most %(num)d finding.",
            "A review is recorded with at most %(num)d findings.",
            "num",
        )
    }


FindingFormSet = forms.formset_factory(
    FindingForm,
    formset=BaseFindingFormSet,
    extra=2,
    max_num=MAX_FINDINGS,
    validate_max=True,
    absolute_max=MAX_FINDINGS,
)


class ReviewCompleteForm(StaffForm):
    completed_on = forms.DateField(label=_("Completed on"))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Review.Outcome.choices)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"completed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class FindingResolveForm(StaffForm):
    """Resolve one finding. The review's page has one such form per open finding: each has
    ids of its own, so that its label and the error summary's link lead to its field."""

    resolved_on = forms.DateField(label=_("Resolved on"))

    def __init__(self, *args, finding, **kwargs):
        kwargs.setdefault("initial", {"resolved_on": timezone.localdate()})
        kwargs.setdefault("auto_id", f"id_finding-{finding.pk}-%s")
        super().__init__(*args, **kwargs)
        self.finding = finding


class StaysClosed(models.TextChoices):
    """How long a flag resolved by hand stays closed (``services.flag_resolve``)."""

    UNTIL_CHANGED = "until_changed", _("Until the facts it is resolved on change")
    UNTIL_DATE = "until_date", _("Until a date, or until those facts change if sooner")


class FlagResolveForm(StaffForm):
    reason = forms.CharField(
        label=_("Why is this flag resolved?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Kept on the record with the flag and published with it."),
    )
    # Not required: a form posted without it (a script's) gets the default.
    stays_closed = forms.ChoiceField(
        label=_("How long does it stay closed?"),
        choices=StaysClosed.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "The nightly run raises the flag again, if its condition still holds, once one of "
            "the facts it is resolved on changes, or from the date on."
        ),
    )
    closed_until = forms.DateField(
        label=_("Closed until"),
        required=False,
        help_text=_(
            "With “until a date”: from this day on, the flag is raised again if its condition "
            "still holds."
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"stays_closed": StaysClosed.UNTIL_CHANGED})
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("stays_closed") and "stays_closed" not in self.errors:
            cleaned["stays_closed"] = StaysClosed.UNTIL_CHANGED
        until_date = cleaned.get("stays_closed") == StaysClosed.UNTIL_DATE
        closed_until = cleaned.get("closed_until")
        if until_date and closed_until is None:
            self.add_error("closed_until", _("Give the date until which the flag stays closed."))
        elif closed_until is not None and not until_date:
            self.add_error(
                "closed_until", _("Only “until a date” takes a date: choose it, or clear the date.")
            )
        elif closed_until is not None and closed_until <= timezone.localdate():
            self.add_error(
                "closed_until", _("Give a date after today: the flag stays closed until then.")
            )
        return cleaned

    def resolution(self) -> dict:
        """The arguments of ``services.flag_resolve`` this form gives."""
        return {
            "reason": self.cleaned_data["reason"],
            "closed_until": self.cleaned_data.get("closed_until"),
        }


class DashboardFilterForm(StaffForm):
    """The dashboard's filters and sort, read from the query string."""

    q = forms.CharField(label=_("Title contains"), required=False, max_length=200)
    region = forms.ChoiceField(
        label=_("Region"), choices=[("", _("Any region")), *Region.choices], required=False
    )
    focus_area = forms.ModelChoiceField(
        label=_("Focus area"),
        queryset=FocusArea.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("Any focus area"),
    )
    flag = forms.ChoiceField(
        label=_("Open flag"), choices=[("", _("Any or none")), *Flag.Kind.choices], required=False
    )
    risk = forms.ChoiceField(
        label=_("Risk level"), choices=[("", _("Any risk")), *RiskLevel.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Agreement.Status.choices],
        required=False,
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_sort(self):
        sort = self.cleaned_data["sort"] or DEFAULT_SORT
        if sort.lstrip("-") not in SORTS:
            raise forms.ValidationError(
                _("Unknown sort “%(sort)s”: use one of %(sorts)s."),
                params={"sort": sort, "sorts": ", ".join(sorted(SORTS))},
            )
        return sort
