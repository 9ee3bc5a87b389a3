"""Every write to partnerships, their parties, organizations and memberships.

Each service is keyword-only, checks that the actor may do it, validates with
``full_clean()`` and writes inside ``transaction.atomic``. Views call these;
nothing else writes these records (the admin and ``seed_demo`` aside).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, models, transaction
from django.db.models import Max
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy

from core.languages import language_of, recipient_language
from core.services import apply_fields, require
from core.tasks import enqueue_on_commit
from publication.choices import APPROVED_STATES, PublicationStatus
from publication.models import Revision
from publication.services import revision_store

from . import permissions
from .models import (
    FocusArea,
    Membership,
    MembershipEvent,
    Organization,
    Partnership,
    PartnershipParty,
    Source,
)


def slug_base(text: str, max_length: int = 200) -> str:
    """The slug ``text`` makes, before any "-2", "-3"... that keeps it unique."""
    return slugify(text)[: max_length - 8].strip("-") or "untitled"


def unique_slug(model: type[models.Model], text: str, max_length: int = 200) -> str:
    """A slug for ``text`` not yet used by ``model``: "title", then "title-2", "title-3"..."""
    base = slug_base(text, max_length)
    taken = set(
        model.objects.filter(slug__startswith=base).values_list("slug", flat=True)  # type: ignore[attr-defined]
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def default_role_for(organization: Organization, *, lead: bool = False) -> str:
    """The party role an organization usually takes, from its kind."""
    if organization.kind == Organization.Kind.NGO:
        return PartnershipParty.Role.LEAD_NGO if lead else PartnershipParty.Role.PARTNER_NGO
    if organization.kind == Organization.Kind.POLICE_AGENCY:
        return PartnershipParty.Role.POLICE_AGENCY
    return PartnershipParty.Role.OTHER


def _check_party_roles(partnership: Partnership) -> None:
    missing = partnership.missing_party_roles()
    if not missing:
        return
    # ``missing`` names what it lacks, in order: "an NGO", "a police agency".
    if len(missing) > 1:
        message = gettext(
            "A partnership needs at least one NGO and one police agency among its parties; "
            "it would have no NGO and no police agency."
        )
    elif missing[0] == gettext("an NGO"):
        message = gettext(
            "A partnership needs at least one NGO and one police agency among its parties; "
            "it would have no NGO."
        )
    else:
        message = gettext(
            "A partnership needs at least one NGO and one police agency among its parties; "
            "it would have no police agency."
        )
    raise ValidationError(message)


# Partnerships ------------------------------------------------------------------


@transaction.atomic
def partnership_create(
    *,
    actor,
    organization: Organization,
    data: Mapping[str, Any],
    focus_areas: Iterable[FocusArea] = (),
    parties: Sequence[tuple[Organization, str]] = (),
    role: str | None = None,
    slug: str = "",
) -> Partnership:
    """Create a partnership with the actor's ``organization`` as a party (in ``role``, by
    default the one its kind usually takes as the lead), plus ``parties`` as (organization,
    role) pairs. The parties must include an NGO and a police agency.

    Its slug is made from the title, unless ``slug`` is given and free: an import keeps
    the address a partnership has in the registry it was exported from."""
    require(
        permissions.organizations_acting_for(actor).filter(pk=organization.pk).exists(),
        gettext("You may only create partnerships for an organization you are an editor of."),
    )
    partnership = Partnership()
    apply_fields(partnership, Partnership.EDITABLE_FIELDS, data)
    if slug and not Partnership.objects.filter(slug=slug).exists():
        partnership.slug = slug
    else:
        partnership.slug = unique_slug(Partnership, partnership.title)
    partnership.full_clean()
    partnership.save()
    partnership.focus_areas.set(focus_areas)
    _party_create(partnership, organization, role or default_role_for(organization, lead=True))
    selectable = Organization.objects.selectable_by(actor)
    for other, role in parties:
        if other.pk == organization.pk:
            continue
        if not selectable.filter(pk=other.pk).exists():
            raise ValidationError(
                gettext("%(organization)s cannot be chosen as a party.") % {"organization": other}
            )
        _party_create(partnership, other, role)
    _check_party_roles(partnership)
    return partnership


@transaction.atomic
def partnership_update(
    *,
    partnership: Partnership,
    actor,
    data: Mapping[str, Any],
    focus_areas: Iterable[FocusArea] | None = None,
    form_data: Mapping[str, Any] | None = None,
    revision: Revision | None = None,
) -> Partnership:
    """Change the partnership's own fields. Its slug, the stable public id, never changes.

    A submitted partnership becomes a draft again (``submission_withdraw``). An approved
    one does not change yet: the edit (``form_data``, the form as submitted) becomes its
    pending revision (``change_or_propose``); ``revision`` is given only by the approval
    that applies it."""
    require(permissions.can_edit_partnership(actor, partnership))

    def change():
        apply_fields(partnership, Partnership.EDITABLE_FIELDS, data)
        submission_withdraw(partnership)
        partnership.full_clean()
        partnership.save()
        if focus_areas is not None:
            partnership.focus_areas.set(focus_areas)

    change_or_propose(partnership, change, actor=actor, form_data=form_data, revision=revision)
    return partnership


def change_or_propose(
    record, change: Callable[[], None], *, actor, form_data, revision: Revision | None
) -> bool:
    """Make ``change`` (the edit of ``record``, with every check an edit makes), or, when
    the record is approved, propose it: the public sees the record as approved until a
    second pair of eyes approves the change. Returns True if proposed.

    A proposal is checked as the approval will check it: ``change`` runs in a savepoint
    that is rolled back, then the edit form as submitted (``form_data``) is stored as the
    record's pending revision. The approval applies it by calling the edit service again
    with that ``revision``."""
    if record.publication_status not in APPROVED_STATES:
        change()
        return False
    if revision is not None:
        if (revision.content_type.model_class(), revision.object_id) != (type(record), record.pk):
            raise ValueError("The revision is not this record's.")
        change()
        return False
    if form_data is None:
        raise ValidationError(
            gettext(
                "This record is approved: a change of it waits for approval as a revision, "
                "made with its edit form."
            )
        )
    with transaction.atomic():
        change()
        # Checked, never kept (nor anything it enqueued on commit).
        transaction.set_rollback(True)
    record.refresh_from_db()
    revision_store(record=record, actor=actor, form_data=form_data)
    return True


def submission_withdraw(record) -> bool:
    """An edit of a record submitted for publication makes it a draft again (unsaved: the
    caller saves the record with its edit), so that the approver approves what will be
    published. True if it was submitted."""
    if record.publication_status != PublicationStatus.SUBMITTED:
        return False
    record.publication_status = PublicationStatus.DRAFT
    return True


def submission_withdraw_saved(record) -> bool:
    """A change of what belongs to a submitted record (a partnership's parties, an
    agreement's document versions) makes the record a draft again, saved at once; True if
    it was submitted."""
    withdrawn = (
        type(record)
        .objects.filter(pk=record.pk, publication_status=PublicationStatus.SUBMITTED)
        .update(publication_status=PublicationStatus.DRAFT, updated_at=timezone.now())
    )
    if withdrawn:
        record.publication_status = PublicationStatus.DRAFT
    return bool(withdrawn)


def _party_create(partnership: Partnership, organization: Organization, role: str):
    if partnership.parties.filter(organization=organization).exists():
        raise ValidationError(
            gettext("%(organization)s is already a party to this partnership.")
            % {"organization": organization}
        )
    party = PartnershipParty(partnership=partnership, organization=organization, role=role)
    party.full_clean()
    party.save()
    return party


@transaction.atomic
def party_add(
    *, partnership: Partnership, organization: Organization, role: str, actor
) -> PartnershipParty:
    require(permissions.can_edit_partnership(actor, partnership))
    if not Organization.objects.selectable_by(actor).filter(pk=organization.pk).exists():
        raise ValidationError(
            gettext("%(organization)s cannot be chosen as a party.")
            % {"organization": organization}
        )
    party = _party_create(partnership, organization, role)
    submission_withdraw_saved(partnership)
    parties_changed.send(sender=PartnershipParty, partnership_ids=[partnership.pk])
    _flags_refresh(partnership)
    return party


@transaction.atomic
def party_remove(*, party: PartnershipParty, actor) -> None:
    """Remove a party, unless the partnership would be left without an NGO or a police agency."""
    require(
        permissions.can_remove_party(actor, party),
        gettext("You may not remove this party (your own organization stays a party)."),
    )
    partnership = party.partnership
    party.delete()
    _check_party_roles(partnership)
    submission_withdraw_saved(partnership)
    parties_changed.send(sender=PartnershipParty, partnership_ids=[partnership.pk])
    _flags_refresh(partnership)


# A domain event, sent inside the transaction of a change of a partnership's parties
# (``partnership_ids``): a layer above that stores facts derived from the parties keeps
# them with it (``agreements.derived``: whether each agreement's auditor is independent).
parties_changed = Signal()


def _flags_refresh(partnership: Partnership) -> None:
    """A party added or removed can make an agreement's auditor a party, or no longer one:
    oversight (a layer above, asked by name) re-flags the partnership's agreements once
    the change commits."""
    agreement_ids = list(partnership.agreements.values_list("pk", flat=True))
    if agreement_ids:
        enqueue_on_commit("oversight.tasks.run_flagging", agreement_ids=agreement_ids)


# Sources -----------------------------------------------------------------------
# A source is evidence for a partnership or an agreement, not one of its values: citing,
# correcting or removing one applies at once whatever the record's publication state. A
# published record does not wait for a second pair of eyes to show its evidence, and a
# submitted one stays submitted. The audit trail of the link tables records each change,
# and the record's public history shows it.

SOURCE_REFUSED = gettext_lazy("You may not change the sources of this record.")
# Told to an editor who may not correct a source that records they do not edit cite (the
# source edit page refuses them with it too).
SOURCE_CITED_ELSEWHERE = gettext_lazy(
    "Records you do not edit cite this source too: remove it from this record and cite a "
    "corrected one instead."
)


def _partnership_of(record) -> Partnership:
    """The partnership whose editors decide about ``record`` (a partnership, or one of
    its agreements)."""
    return record if isinstance(record, Partnership) else record.partnership


def _lock_url(url: str) -> None:
    """Serialise the writes of one address until the transaction ends, so that two
    editors citing a new address at once record it once."""
    if url:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [url])


@transaction.atomic
def source_add(*, record, actor, data: Mapping[str, Any]) -> tuple[Source, bool]:
    """Cite a source on ``record`` (a partnership or an agreement). An address the
    registry already has is cited as recorded (one source, however many records cite it)
    rather than recorded twice. Returns the source, and True if it was already recorded."""
    require(permissions.can_edit_partnership(actor, _partnership_of(record)), SOURCE_REFUSED)
    source = Source()
    apply_fields(source, Source.EDITABLE_FIELDS, data)
    source.full_clean()
    _lock_url(source.url)
    existing = Source.objects.with_url(source.url).first()
    if existing is not None:
        if record.sources.filter(pk=existing.pk).exists():
            raise ValidationError(
                {"url": gettext("“%(source)s” is cited here already.") % {"source": existing}}
            )
        record.sources.add(existing)
        return existing, True
    source.save()
    record.sources.add(source)
    return source, False


@transaction.atomic
def source_update(*, record, source: Source, actor, data: Mapping[str, Any]) -> Source:
    """Correct a source that ``record`` cites. The source is shared by every record citing
    it, so only whoever may edit all of them corrects it (``can_correct_source``); an
    address another source has already is refused (cite that one instead)."""
    require(permissions.can_edit_partnership(actor, _partnership_of(record)), SOURCE_REFUSED)
    require(record.sources.filter(pk=source.pk).exists(), gettext("This record does not cite it."))
    require(permissions.can_correct_source(actor, source), SOURCE_CITED_ELSEWHERE)
    apply_fields(source, Source.EDITABLE_FIELDS, data)
    source.full_clean()
    _lock_url(source.url)
    other = Source.objects.with_url(source.url).exclude(pk=source.pk).first()
    if other is not None:
        raise ValidationError(
            {
                "url": gettext(
                    "The registry has this address already, as “%(source)s”: remove this "
                    "source and cite that address to cite it."
                )
                % {"source": other}
            }
        )
    source.save()
    return source


@transaction.atomic
def source_remove(*, record, source: Source, actor) -> None:
    """Stop citing ``source`` on ``record``. The source stays in the registry for the
    other records citing it, and to be cited again by its address."""
    require(permissions.can_edit_partnership(actor, _partnership_of(record)), SOURCE_REFUSED)
    record.sources.remove(source)


# Organizations ---------------------------------------------------------------

# The refusal of a change of an organization's identifiers by anyone but its editors.
IDENTIFIERS_REFUSED = gettext_lazy("Only the organization's editors change its identifiers.")


@transaction.atomic
def organization_identifiers_update(
    *, organization: Organization, actor, data: Mapping[str, Any]
) -> Organization:
    """Change the organization's identifiers (``Organization.IDENTIFIER_FIELDS``): its
    ORI (police agencies only), its registration number with the registry's name, its
    website. Its editors and site administrators only."""
    require(
        permissions.can_edit_organization(actor, organization),
        IDENTIFIERS_REFUSED,
    )
    apply_fields(organization, Organization.IDENTIFIER_FIELDS, data)
    organization.ori = organization.ori.strip().upper()
    organization.full_clean()
    organization.save(update_fields=[*Organization.IDENTIFIER_FIELDS, "updated_at"])
    return organization


@transaction.atomic
def organization_propose(
    *,
    actor,
    name: str,
    kind: str,
    country: str = "",
    city: str = "",
    website: str = "",
    description: str = "",
) -> Organization:
    """An organization missing from the registry, unconfirmed until an administrator
    confirms it. Its proposer may use it as a party in the meantime."""
    require(permissions.can_propose_organization(actor))
    existing = Organization.objects.filter(name__iexact=name.strip())
    if existing.exists():
        raise ValidationError(
            {"name": gettext("An organization with this name is already registered.")}
        )
    organization = Organization(
        name=name.strip(),
        kind=kind,
        country=country,
        city=city,
        website=website,
        description=description,
        is_confirmed=False,
        proposed_by=actor,
    )
    organization.slug = unique_slug(Organization, organization.name)
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def organization_confirm(*, organization: Organization, actor) -> Organization:
    require(actor.is_superuser, gettext("Only site administrators confirm organizations."))
    organization.is_confirmed = True
    organization.full_clean()
    organization.save(update_fields=["is_confirmed", "updated_at"])
    return organization


# Members -----------------------------------------------------------------------


@transaction.atomic
def member_invite(
    *, organization: Organization, email: str, role: str, actor, site_url: str
) -> Membership | None:
    """Invite the person with this e-mail address to ``organization`` and tell them.

    A new address gets an account without a password, the membership at once, and an
    e-mail with a one-time link to set a password (Django's token generator: the link stops
    working once the password is set). An address that already has an account gets an
    invitation instead, a signed link that makes them a member only when they accept it
    signed in as that account (``invitation_accept``): otherwise any editor could attach
    anyone's account, an oversight member's or an administrator's, to their organization.
    Returns the new membership, or None while an invitation waits to be accepted.

    The e-mail is sent inside the transaction on purpose: if it cannot be sent, nobody is
    added, and the inviting editor sees the error instead of a silent failure.
    """
    require(permissions.can_manage_members(actor, organization))
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"{role!r} is not a member's role."})
    User = get_user_model()
    email = User.objects.normalize_email(email.strip())
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if (
        user is not None
        and Membership.objects.filter(user=user, organization=organization).exists()
    ):
        raise ValidationError(
            {
                "email": gettext("%(email)s is already a member of %(organization)s.")
                % {"email": email, "organization": organization}
            }
        )
    context = {
        "organization": organization,
        "role": Membership.Role(role).label,
        "inviter": actor.get_full_name() or actor.get_username(),
    }
    if user is not None:
        _invitation_send(
            user=user,
            organization=organization,
            role=role,
            actor=actor,
            site_url=site_url,
            context=context,
        )
        return None

    user = User(username=email[:150], email=email)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    membership = Membership(user=user, organization=organization, role=role)
    membership.full_clean()
    membership.save()
    # A new address has no language yet: the inviting editor's.
    with recipient_language(None):
        send_mail(
            subject=gettext("You have been added to %(organization)s on the Partnership Registry")
            % {"organization": organization},
            message=render_to_string(
                "registration/invitation_email.txt",
                {
                    **context,
                    "link": _password_link(user, site_url),
                    "username": user.get_username(),
                },
            ),
            from_email=None,
            recipient_list=[email],
        )
    return membership


def _password_link(user, site_url: str) -> str:
    """The one-time link with which an account without a password sets one."""
    path = reverse(
        "accounts:invitation_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return site_url.rstrip("/") + path


def _invitation_send(
    *, user, organization: Organization, role: str, actor, site_url: str, context
) -> None:
    token = invitation_token(user=user, organization=organization, role=role, inviter=actor)
    expires = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    context = {
        **context,
        "username": user.get_username(),
        "accept_link": site_url.rstrip("/") + reverse("accounts:invitation_join", args=[token]),
        "expires": expires,
        # An account invited earlier that never set its password cannot log in to accept:
        # it gets the set-password link too, as it would have as a new address.
        "password_link": None if user.has_usable_password() else _password_link(user, site_url),
    }
    with recipient_language(language_of(user)):
        send_mail(
            subject=gettext("You are invited to join %(organization)s on the Partnership Registry")
            % {"organization": organization},
            message=render_to_string("registration/invitation_join_email.txt", context),
            from_email=None,
            # Where the account's own mail goes, whatever case the inviting editor typed.
            recipient_list=[user.email],
        )


# An invitation's link is signed for this purpose only: no other signed value of the site
# (a session, a password-reset token) can be passed off as one.
INVITATION_SALT = "partnerships.services.invitation"


@dataclass(frozen=True)
class Invitation:
    """What an invitation's signed link says: who is invited to which organization, as
    what, by whom (None once that account is gone)."""

    user_id: int
    organization: Organization
    role: str
    inviter: Any
    # The audit trail's position when it was issued (see ``invitation_accept``).
    audit_position: int

    def is_for(self, user) -> bool:
        """Only the invited account may accept, and only signed in."""
        return user.is_authenticated and user.pk == self.user_id

    def get_role_display(self) -> str:
        return Membership.Role(self.role).label


def _membership_audit_position() -> int:
    """The audit chain's last position among membership events: every membership created
    from now on gets a higher one (the chain numbers events in order, across tables)."""
    return MembershipEvent.objects.aggregate(position=Max("pgh_seq"))["position"] or 0


def invitation_token(*, user, organization: Organization, role: str, inviter) -> str:
    """The signed, expiring token of an invitation's link (it expires after
    ``PASSWORD_RESET_TIMEOUT``, like the set-password link)."""
    # Short keys keep the link short enough not to break in e-mail clients.
    return signing.TimestampSigner(salt=INVITATION_SALT).sign_object(
        {
            "u": user.pk,
            "o": organization.pk,
            "r": role,
            "i": inviter.pk,
            "a": _membership_audit_position(),
        }
    )


def invitation_read(token: str) -> Invitation:
    """The invitation a link carries; a ValidationError says why a link is not one."""
    try:
        data = signing.TimestampSigner(salt=INVITATION_SALT).unsign_object(
            token, max_age=settings.PASSWORD_RESET_TIMEOUT
        )
    except signing.SignatureExpired:
        raise ValidationError(
            gettext("This invitation has expired. Ask the editor who invited you for a new one.")
        ) from None
    except signing.BadSignature:
        raise ValidationError(
            gettext(
                "This is not a valid invitation link: it may have been cut short or altered. "
                "Open the link exactly as the e-mail gives it, or ask for a new invitation."
            )
        ) from None
    organization = Organization.objects.filter(pk=data["o"]).first()
    if organization is None:
        raise ValidationError(gettext("The organization of this invitation no longer exists."))
    return Invitation(
        user_id=data["u"],
        organization=organization,
        role=data["r"],
        inviter=get_user_model().objects.filter(pk=data["i"]).first(),
        audit_position=data["a"],
    )


@transaction.atomic
def invitation_accept(*, token: str, actor) -> Membership:
    """Make ``actor``, the invited account, a member of the invitation's organization with
    its role; the membership is created by this request, so the audit trail says who joined.

    Accepting again changes nothing. The invitation no longer works once its inviter stops
    managing the organization's members, nor once accepted and the member removed again.
    """
    invitation = invitation_read(token)
    require(
        invitation.is_for(actor),
        gettext("This invitation is for another account: log in as the person it was sent to."),
    )
    organization = invitation.organization
    # One accept at a time per account, so that a double submit finds the first one's
    # membership instead of failing on the unique constraint.
    get_user_model().objects.select_for_update().get(pk=actor.pk)
    membership = Membership.objects.filter(user=actor, organization=organization).first()
    if membership is not None:
        return membership
    inviter = invitation.inviter
    if inviter is None or not permissions.can_manage_members(inviter, organization):
        raise ValidationError(
            gettext(
                "This invitation was withdrawn: whoever sent it no longer manages the members "
                "of %(organization)s. Ask one of its editors for a new one."
            )
            % {"organization": organization}
        )
    # The link is stateless, so only the audit trail (PostgreSQL's) remembers that it was
    # accepted and the member removed since: without this, the removed member could let
    # themselves in again until the link expires.
    accepted_since = MembershipEvent.objects.filter(
        pgh_label="create",
        user_id=actor.pk,
        organization_id=organization.pk,
        pgh_seq__gt=invitation.audit_position,
    )
    if accepted_since.exists():
        raise ValidationError(
            gettext(
                "This invitation has been used already. Ask one of the editors of "
                "%(organization)s for a new one."
            )
            % {"organization": organization}
        )
    membership = Membership(user=actor, organization=organization, role=invitation.role)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor) -> None:
    """Remove a member from an organization (their account stays, for other organizations).
    An organization keeps at least one editor."""
    require(permissions.can_manage_members(actor, membership.organization))
    if (
        membership.role == Membership.Role.EDITOR
        and not Membership.objects.filter(
            organization=membership.organization, role=Membership.Role.EDITOR
        )
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(
            gettext("This is the organization's last editor; a site administrator can remove them.")
        )
    membership.delete()
