"""Forms of the staff pages. They validate; the services in ``services.py`` write."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.forms import StaffForm, StaffModelForm

from .models import Membership, Organization, Partnership, PartnershipParty, Source
from .services import default_role_for


class PartnershipForm(StaffModelForm):
    class Meta:
        model = Partnership
        fields = [*Partnership.EDITABLE_FIELDS[:4], "focus_areas", *Partnership.EDITABLE_FIELDS[4:]]
        widgets = {
            "focus_areas": forms.CheckboxSelectMultiple,
            "objectives": forms.Textarea(attrs={"rows": 3}),
            "roles_and_responsibilities": forms.Textarea(attrs={"rows": 3}),
            "public_summary": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "established_on": _(
                "A year-only date is entered as 1 January of that year, with precision “Year”."
            ),
            "ended_on": _("Not before the date it was established."),
            "visibility": _(
                "Restricted: only your organizations' staff, the other parties and oversight "
                "bodies see the partnership and its agreements."
            ),
            "public_summary": _("Shown to the public when the partnership is public."),
        }


class PartnershipCreateForm(PartnershipForm):
    """A new partnership: the user's own organization is a party, plus one other party
    chosen by searching the registry (more can be added on the edit page)."""

    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label=_("Your organization"),
        empty_label=None,
        help_text=_("Added as a party automatically."),
    )
    party = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label=_("Other party"),
        widget=forms.RadioSelect,
        help_text=_("Search by name, then choose. A partnership needs an NGO and a police agency."),
        error_messages={"required": _("Choose the other party (search for it by name).")},
    )
    party_role = forms.ChoiceField(
        choices=PartnershipParty.Role.choices,
        initial=PartnershipParty.Role.POLICE_AGENCY,
        label=_("Role of the other party"),
    )

    # The page asks for the parties first: the error summary lists problems in its order.
    field_order = ["organization", "party", "party_role"]

    class Meta(PartnershipForm.Meta):
        pass

    def __init__(self, *args, user, acting_for, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = acting_for
        self.fields["party"].queryset = Organization.objects.selectable_by(user)

    def clean(self):
        cleaned = super().clean()
        own, other, role = (
            cleaned.get("organization"),
            cleaned.get("party"),
            cleaned.get("party_role"),
        )
        if own and other and own == other:
            self.add_error("party", _("Choose an organization other than your own."))
        elif own and other and role:
            roles = {default_role_for(own, lead=True), role}
            if not roles & set(PartnershipParty.NGO_ROLES):
                self.add_error(
                    "party_role", _("A partnership needs an NGO: one party must be one.")
                )
            elif PartnershipParty.Role.POLICE_AGENCY not in roles:
                self.add_error(
                    "party_role", _("A partnership needs a police agency: one party must be one.")
                )
        return cleaned


class PartyAddForm(StaffForm):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        widget=forms.RadioSelect,
        label=_("Organization"),
        error_messages={"required": _("Choose an organization (search for it by name).")},
    )
    role = forms.ChoiceField(choices=PartnershipParty.Role.choices, label=_("Role"))

    def __init__(self, *args, user, partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.selectable_by(user).exclude(
            party_roles__partnership=partnership
        )


class OrganizationProposeForm(StaffModelForm):
    website = forms.URLField(
        label=_("Website"), required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = Organization
        fields = ["name", "kind", "country", "city", "website", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"name": _("Its full official name.")}


class SourceForm(StaffModelForm):
    """A source of a partnership or an agreement; ``services.source_add`` cites an address
    the registry already has as recorded."""

    url = forms.URLField(
        label="URL",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_(
            "Where the source can be read. If the registry has this address already, that "
            "source is cited as it is recorded."
        ),
    )
    archived_url = forms.URLField(
        label=_("Archived copy URL"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("A copy in a web archive (e.g. web.archive.org), in case the page changes."),
    )

    class Meta:
        model = Source
        fields = list(Source.EDITABLE_FIELDS)
        help_texts = {"published_on": _("When the source itself was published, if known.")}


class OrganizationIdentifiersForm(StaffModelForm):
    """An organization's identifiers; the ORI only for a police agency."""

    # Typed in either case; the model's format is checked once it is upper case.
    ori = forms.CharField(
        label="ORI",
        max_length=9,
        required=False,
        help_text=_(
            "The FBI's Originating Agency Identifier: the two letters of the state, then 7 "
            "letters or digits (e.g. NY0303000)."
        ),
    )
    website = forms.URLField(
        label=_("Website"), required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = Organization
        fields = list(Organization.IDENTIFIER_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind != Organization.Kind.POLICE_AGENCY:
            del self.fields["ori"]

    def clean_ori(self):
        return self.cleaned_data["ori"].strip().upper()


class MemberInviteForm(StaffForm):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Membership.Role.choices,
        initial=Membership.Role.VIEWER,
        help_text=_(
            "Editors change the organization's records and manage its members; viewers see "
            "its restricted records."
        ),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_email(self):
        email = self.cleaned_data["email"]
        exists = get_user_model().objects.filter(
            email__iexact=email, memberships__organization=self.organization
        )
        if exists.exists():
            raise forms.ValidationError(
                _("%(email)s is already a member of %(organization)s."),
                params={"email": email, "organization": self.organization},
            )
        return email
