"""Who may change what, written once; views and services ask these functions.

Seeing is decided by the querysets (``Partnership.objects.visible_to(user)``):
a record a user may not see is a 404 before any of these is asked. These
functions decide the rest:

- an *editor* of an organization may create partnerships in which that
  organization is a party, and edit everything belonging to such partnerships;
- a *viewer* sees the restricted records of those partnerships but changes nothing;
- members of oversight bodies, community boards and auditors see every record
  and edit none of the parties' records;
- site administrators (superusers) may do everything.

The publication workflow (``agreements.publishing``) adds a second pair of eyes: a party's
editors submit, withhold values, set embargoes and retract; someone else approves
(``Approver.approvable``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import BigIntegerField, Exists, OuterRef, Q, QuerySet, Value

from .memo import remembered
from .models import Membership, Organization, Partnership, PartnershipParty, Source
from .querysets import sees_every_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def editor_organizations(user: User):
    """The organizations the user may act for as an editor."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.EDITOR
    )


def member_organizations(user: User):
    """The organizations the user belongs to, as editor or viewer."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user)


def can_create_partnership(user: User) -> bool:
    """Editors of an organization that can be a party (not an oversight organization)."""
    if not user.is_authenticated:
        return False
    return (
        user.is_superuser
        or editor_organizations(user).exclude(kind__in=Organization.OVERSIGHT_KINDS).exists()
    )


def organizations_acting_for(user: User):
    """The organizations a user may create a partnership for: their own as an editor
    (not oversight ones); for a site administrator, any confirmed one."""
    if user.is_authenticated and user.is_superuser:
        organizations = Organization.objects.confirmed()
    else:
        organizations = editor_organizations(user)
    return organizations.exclude(kind__in=Organization.OVERSIGHT_KINDS).order_by("name")


def _editor_parties(user: User):
    """The parties whose organization has ``user`` as an editor."""
    return PartnershipParty.objects.filter(
        organization__memberships__user=user,
        organization__memberships__role=Membership.Role.EDITOR,
    )


def is_editor_of_party(user: User, partnership: Partnership) -> bool:
    if not user.is_authenticated or partnership.pk is None:
        return False
    return remembered(
        user,
        ("editor_of_party", partnership.pk),
        _editor_parties(user).filter(partnership=partnership).exists,
    )


def is_member_of_party(user: User, partnership: Partnership) -> bool:
    """Editor or viewer of one of the partnership's parties."""
    if not user.is_authenticated or partnership.pk is None:
        return False
    return remembered(
        user,
        ("member_of_party", partnership.pk),
        PartnershipParty.objects.of_member(user).filter(partnership=partnership).exists,
    )


def can_edit_partnership(user: User, partnership: Partnership) -> bool:
    """The partnership, its parties, agreements, data-sharing terms and documents."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or is_editor_of_party(user, partnership)


def editable_partnerships(user: User) -> QuerySet[Partnership]:
    """The partnerships ``can_edit_partnership`` lets ``user`` edit, for many at once (an
    import asks about every partnership of a file in one query)."""
    if not user.is_authenticated:
        return Partnership.objects.none()
    if user.is_superuser:
        return Partnership.objects.all()
    return Partnership.objects.filter(
        Exists(_editor_parties(user).filter(partnership=OuterRef("pk")))
    )


def can_see_private_records(user: User, partnership: Partnership) -> bool:
    """Unpublished documents and other records kept from the public: the parties'
    members, and those who see every record (``sees_every_record``)."""
    return sees_every_record(user) or is_member_of_party(user, partnership)


def can_see_review_notes(user: User) -> bool:
    """Reviewers' private notes are for those who see every record: oversight members and
    site administrators."""
    return sees_every_record(user)


def can_remove_party(user: User, party: PartnershipParty) -> bool:
    """An editor may remove other parties, never their own organization (which would
    take the partnership out of their hands); administrators may remove any."""
    if not can_edit_partnership(user, party.partnership):
        return False
    if user.is_superuser:
        return True
    return not editor_organizations(user).filter(pk=party.organization_id).exists()


def can_propose_organization(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or can_create_partnership(user))


def can_manage_members(user: User, organization: Organization) -> bool:
    """Editors invite and remove the members of their own organization."""
    return can_edit_organization(user, organization)


def can_edit_organization(user: User, organization: Organization) -> bool:
    """Its own editors (and site administrators) change an organization's identifiers."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or editor_organizations(user).filter(pk=organization.pk).exists()


def can_correct_source(user: User, source: Source) -> bool:
    """Change a source's own values (its title, address, date): one source serves every
    record citing it, so only someone who may edit each of those records (the partnerships
    citing it and those whose agreements cite it)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    citing = Partnership.objects.filter(Q(sources=source) | Q(agreements__sources=source))
    edited = PartnershipParty.objects.filter(
        partnership=OuterRef("pk"),
        organization__memberships__user=user,
        organization__memberships__role=Membership.Role.EDITOR,
    )
    return not citing.filter(~Exists(edited)).exists()


# The publication workflow ---------------------------------------------------------
# A party's editors prepare a record for the public; a second pair of eyes approves it.


def can_submit_for_publication(user: User, partnership: Partnership) -> bool:
    """Submit the partnership, or one of its agreements, for publication."""
    return can_edit_partnership(user, partnership)


def can_withhold(user: User, partnership: Partnership) -> bool:
    """Withhold a value of the partnership or of its agreements, terms, documents and
    reviews (it takes effect at once), and ask for a withheld value to be released."""
    return can_edit_partnership(user, partnership)


def can_set_embargo(user: User, partnership: Partnership) -> bool:
    return can_edit_partnership(user, partnership)


def can_lift_embargo(user: User, partnership: Partnership) -> bool:
    """Publish an approved, embargoed record now (an indefinite embargo only lifts so)."""
    return can_edit_partnership(user, partnership)


def can_retract(user: User, partnership: Partnership) -> bool:
    return can_edit_partnership(user, partnership)


@dataclass(frozen=True)
class Approver:
    """Whose steps ``user`` may approve, as facts read once (one query): the organizations
    they are an editor of, and whether one is an oversight organization. ``approvable()``
    is the rule, for many rows at once."""

    user: Any
    organization_ids: frozenset[int]
    oversight: bool

    @classmethod
    def of(cls, user) -> Approver:
        kinds = dict(editor_organizations(user).values_list("pk", "kind"))
        return cls(
            user=user,
            organization_ids=frozenset(kinds),
            oversight=any(kind in Organization.OVERSIGHT_KINDS for kind in kinds.values()),
        )

    @property
    def approves_nothing(self) -> bool:
        return not self.user.is_authenticated or (
            not self.user.is_superuser and not self.organization_ids
        )

    def approvable(self, rows: QuerySet, *, partnership: str, submitter: str) -> Q:
        """Q: the ``rows`` whose step the user may approve, the step that ``submitter``
        took on ``partnership`` (the names of the rows' columns or annotations holding
        their ids): the second pair of eyes, written once for the services, the pages and
        the approval queue.

        - never the submitter themselves;
        - an editor of another party organization: one the submitter is not an editor of;
        - where no other party organization has an editor on the registry, an editor of
          an oversight organization;
        - site administrators, for anyone else's step.

        The same rule decides who confirms a withholding (its creator is the submitter)
        and who grants a request to release one (the requester is).

        Each way to approve selects a set of ids of its own, so that the database reads
        them as joins rather than as subqueries for every row (the header counts
        decisions with this on every page).
        """
        if self.approves_nothing:
            return Q(pk__in=[])
        user = self.user
        nobody = Q(**{f"{submitter}__isnull": True})
        # Spelled out for NULL (nobody named): a negated comparison with NULL is false.
        not_their_own = rows.filter(nobody | ~Q(**{submitter: user.pk}))
        if user.is_superuser:
            return Q(pk__in=not_their_own.values("pk"))
        editors = Membership.objects.filter(role=Membership.Role.EDITOR)
        as_other_party = Q()
        for organization_id in sorted(self.organization_ids):
            parties = PartnershipParty.objects.filter(organization_id=organization_id)
            colleagues = editors.filter(organization_id=organization_id).values("user")
            as_other_party |= Q(**{f"{partnership}__in": parties.values("partnership")}) & (
                nobody | ~Q(**{f"{submitter}__in": colleagues})
            )
        approvable = Q(pk__in=not_their_own.filter(as_other_party).values("pk"))
        if not self.oversight:
            return approvable
        # A party whose organization has an editor, none of them the submitter: while
        # one exists, oversight does not step in.
        other_party_with_editor = (
            PartnershipParty.objects.filter(partnership=OuterRef(partnership))
            .filter(Exists(editors.filter(organization=OuterRef("organization"))))
            .filter(
                ~Exists(
                    editors.filter(
                        organization=OuterRef("organization"), user=OuterRef(OuterRef(submitter))
                    )
                )
            )
        )
        as_oversight = not_their_own.filter(~Exists(other_party_with_editor))
        return approvable | Q(pk__in=as_oversight.values("pk"))


def can_approve_publication(user: User, partnership: Partnership, submitter) -> bool:
    """Approve (or send back) what ``submitter`` (a user, or None when unknown) submitted
    of ``partnership``: the partnership or one of its agreements (``Approver.approvable``)."""
    return _approves(user, partnership, getattr(submitter, "pk", None))


def can_confirm_withholding(user: User, partnership: Partnership, withholding) -> bool:
    """Confirm a withheld value of ``partnership``'s records: anyone who may approve,
    except its creator."""
    return _approves(user, partnership, withholding.created_by_id)


def can_release_withholding(user: User, partnership: Partnership, withholding) -> bool:
    """Grant a request to publish a withheld value again: anyone who may approve, except
    the one who asked."""
    return _approves(user, partnership, withholding.release_requested_by_id)


def _approves(user: User, partnership: Partnership, submitter_id: int | None) -> bool:
    if not user.is_authenticated or partnership.pk is None:
        return False
    if submitter_id is not None and submitter_id == user.pk:
        return False
    if user.is_superuser:
        return True
    approver = Approver.of(user)
    if approver.approves_nothing:
        return False
    rows = Partnership.objects.filter(pk=partnership.pk).alias(
        step_by=Value(submitter_id, output_field=BigIntegerField())
    )
    return rows.filter(approver.approvable(rows, partnership="pk", submitter="step_by")).exists()
