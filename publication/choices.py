"""The publication workflow's vocabularies: the states of a record and the reasons a value
may be withheld from the public."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicationStatus(models.TextChoices):
    """Where a record stands on its way to the public record.

    draft -> submitted -> published (or embargoed until a date, then published by the daily
    job); a published record may be retracted, leaving a public stub. Only ``published``
    reaches a public surface.
    """

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for publication")
    EMBARGOED = "embargoed", _("Approved, under embargo")
    PUBLISHED = "published", _("Published")
    RETRACTED = "retracted", _("Retracted")


# Approved: the public sees the record as it was approved (or will, once its embargo lifts),
# so a change of its fields waits for approval too, as a pending revision.
APPROVED_STATES = (
    PublicationStatus.EMBARGOED,
    PublicationStatus.PUBLISHED,
    PublicationStatus.RETRACTED,
)


class RevisionState(models.TextChoices):
    """Where an edit of an approved record stands: waiting for a second pair of eyes, sent
    back to its editors, approved (the record changed), or withdrawn by its editors."""

    PENDING = "pending", _("Waiting for approval")
    SENT_BACK = "sent_back", _("Sent back")
    APPROVED = "approved", _("Approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# What each state means, for the methodology page.
STATE_EXPLANATIONS = {
    PublicationStatus.DRAFT: _("Being written by the parties' staff; not public."),
    PublicationStatus.SUBMITTED: _("Waiting for a second editor's approval; not public."),
    PublicationStatus.EMBARGOED: _(
        "Approved, and published automatically when its embargo "
        "lifts; not public unless its editors announce it."
    ),
    PublicationStatus.PUBLISHED: _("On the public record: pages, API, exports, feeds and search."),
    PublicationStatus.RETRACTED: _(
        "Taken off the public record; a stub with its title, dates and "
        "the reason for the retraction remains."
    ),
}


class WithholdingReason(models.TextChoices):
    """Why a value is kept from the public (after OCDS ``withheldInformation`` and RDAP's
    redaction reasons). Each is explained on the methodology page."""

    SURVIVOR_SAFETY = "survivor_safety", _("Survivor safety")
    ONGOING_INVESTIGATION = "ongoing_investigation", _("Ongoing investigation")
    THIRD_PARTY_PERSONAL_DATA = "third_party_personal_data", _("Personal data of a third party")
    SECURITY_OF_PREMISES = "security_of_premises", _("Security of premises")
    COMMERCIAL_CONFIDENTIALITY = "commercial_confidentiality", _("Commercial confidentiality")
    LEGAL_PRIVILEGE = "legal_privilege", _("Legal privilege")
    OTHER = "other", _("Other")


# What each reason means, for the methodology page and the staff form's help.
REASON_EXPLANATIONS = {
    WithholdingReason.SURVIVOR_SAFETY: _(
        "The value could help someone find or identify a "
        "survivor of violence or trafficking, or a place where survivors stay."
    ),
    WithholdingReason.ONGOING_INVESTIGATION: _(
        "Publishing the value could prejudice a "
        "criminal investigation or proceedings that are under way."
    ),
    WithholdingReason.THIRD_PARTY_PERSONAL_DATA: _(
        "The value is personal data of someone who is not a party to the partnership."
    ),
    WithholdingReason.SECURITY_OF_PREMISES: _(
        "The value would reveal the location or the "
        "security arrangements of premises such as a shelter or a police facility."
    ),
    WithholdingReason.COMMERCIAL_CONFIDENTIALITY: _(
        "The value is a trade secret or a commercial term a party is bound to keep confidential."
    ),
    WithholdingReason.LEGAL_PRIVILEGE: _(
        "The value is legal advice or otherwise covered by legal professional privilege."
    ),
    WithholdingReason.OTHER: _("Another reason, which the rationale states."),
}
