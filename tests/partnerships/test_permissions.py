"""Each permission function, for each kind of user."""

import pytest

from agreements import permissions as agreement_permissions
from partnerships import permissions
from partnerships.models import Membership, PartnershipParty
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return factories.UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def agreement(partnership):
    return factories.AgreementFactory(partnership=partnership)


def test_editors_of_a_party_edit_the_partnership(partnership, ngo_editor, police_editor):
    assert permissions.can_edit_partnership(ngo_editor, partnership) is True
    assert permissions.can_edit_partnership(police_editor, partnership) is True


@pytest.mark.parametrize("persona", ["ngo_viewer", "other_ngo_editor", "board_member", "anonymous"])
def test_no_one_else_edits_the_partnership(request, partnership, persona):
    user = request.getfixturevalue(persona)
    assert permissions.can_edit_partnership(user, partnership) is False


def test_superusers_edit_every_partnership(partnership, superuser):
    assert permissions.can_edit_partnership(superuser, partnership) is True


def test_an_oversight_body_that_is_a_party_edits_that_partnership(partnership, board_member):
    factories.PartnershipPartyFactory(
        partnership=partnership,
        organization=board_member.memberships.get().organization,
        role=PartnershipParty.Role.OTHER,
    )
    assert permissions.can_edit_partnership(board_member, partnership) is True


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("ngo_editor", True),
        ("police_editor", True),
        ("other_ngo_editor", True),
        ("ngo_viewer", False),
        ("board_member", False),
        ("anonymous", False),
    ],
)
def test_who_creates_partnerships(request, persona, expected):
    assert permissions.can_create_partnership(request.getfixturevalue(persona)) is expected


def test_superusers_create_for_any_confirmed_party_organization(superuser, ngo, oversight_body):
    proposed = factories.NgoFactory(is_confirmed=False)
    acting_for = set(permissions.organizations_acting_for(superuser))
    assert ngo in acting_for
    assert oversight_body not in acting_for
    assert proposed not in acting_for


def test_an_editor_acts_for_their_own_organizations_only(ngo_editor, ngo, other_ngo):
    assert list(permissions.organizations_acting_for(ngo_editor)) == [ngo]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("ngo_editor", True),
        ("ngo_viewer", True),
        ("board_member", True),
        ("other_ngo_editor", False),
        ("anonymous", False),
    ],
)
def test_who_sees_private_records(request, partnership, persona, expected):
    user = request.getfixturevalue(persona)
    assert permissions.can_see_private_records(user, partnership) is expected


def test_review_notes_are_for_oversight_and_administrators(
    ngo_editor, board_member, superuser, anonymous
):
    assert permissions.can_see_review_notes(board_member) is True
    assert permissions.can_see_review_notes(superuser) is True
    assert permissions.can_see_review_notes(ngo_editor) is False
    assert permissions.can_see_review_notes(anonymous) is False


def test_an_editor_removes_other_parties_but_not_their_own(partnership, ngo_editor, ngo, police):
    own = partnership.parties.get(organization=ngo)
    other = partnership.parties.get(organization=police)
    assert permissions.can_remove_party(ngo_editor, other) is True
    assert permissions.can_remove_party(ngo_editor, own) is False


def test_editors_manage_their_own_organizations_members(
    ngo, other_ngo, ngo_editor, ngo_viewer, other_ngo_editor, superuser
):
    assert permissions.can_manage_members(ngo_editor, ngo) is True
    assert permissions.can_manage_members(ngo_editor, other_ngo) is False
    assert permissions.can_manage_members(ngo_viewer, ngo) is False
    assert permissions.can_manage_members(other_ngo_editor, ngo) is False
    assert permissions.can_manage_members(superuser, ngo) is True


@pytest.mark.parametrize("persona", ["ngo_editor", "ngo_viewer", "board_member"])
def test_can_propose_organization(request, persona):
    expected = persona == "ngo_editor"
    assert permissions.can_propose_organization(request.getfixturevalue(persona)) is expected


def test_agreement_permissions_follow_the_partnership(
    agreement, ngo_editor, ngo_viewer, other_ngo_editor, board_member
):
    for check in (
        agreement_permissions.can_edit_agreement,
        agreement_permissions.can_upload_document,
    ):
        assert check(ngo_editor, agreement) is True
        assert check(ngo_viewer, agreement) is False
        assert check(other_ngo_editor, agreement) is False
        assert check(board_member, agreement) is False
    assert agreement_permissions.can_add_agreement(ngo_editor, agreement.partnership) is True
    assert agreement_permissions.can_add_agreement(board_member, agreement.partnership) is False


@pytest.mark.parametrize(
    ("is_public", "persona", "expected"),
    [
        (True, "anonymous", True),
        (True, "other_ngo_editor", True),
        (False, "anonymous", False),
        (False, "other_ngo_editor", False),
        (False, "ngo_viewer", True),
        (False, "board_member", True),
    ],
)
def test_who_downloads_a_document(request, agreement, is_public, persona, expected):
    document = factories.AgreementDocumentFactory(agreement=agreement, is_public=is_public)
    user = request.getfixturevalue(persona)
    assert agreement_permissions.can_download_document(user, document) is expected


def test_a_viewer_who_becomes_editor_may_edit(partnership, ngo_viewer):
    Membership.objects.filter(user=ngo_viewer).update(role=Membership.Role.EDITOR)
    assert permissions.can_edit_partnership(ngo_viewer, partnership) is True
