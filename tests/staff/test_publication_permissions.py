"""Who may take each step of the publication workflow (``partnerships.permissions``), and
the services' own refusals."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agreements import publishing
from partnerships import permissions
from partnerships.models import Membership, Partnership, PartnershipParty
from publication.models import Withholding
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(partnership, ngo_editor):
    Partnership.objects.filter(pk=partnership.pk).update(
        publication_status="submitted", submitted_by=ngo_editor, submitted_at=timezone.now()
    )
    partnership.refresh_from_db()
    return partnership


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("ngo_editor", True),
        ("police_editor", True),
        ("ngo_viewer", False),
        ("other_ngo_editor", False),
        ("board_member", False),
        ("anonymous", False),
        ("superuser", True),
    ],
)
def test_a_partys_editors_submit_withhold_embargo_and_retract(
    request, partnership, persona, expected
):
    user = request.getfixturevalue(persona)
    for may in (
        permissions.can_submit_for_publication,
        permissions.can_withhold,
        permissions.can_set_embargo,
        permissions.can_lift_embargo,
        permissions.can_retract,
    ):
        assert may(user, partnership) is expected, may.__name__


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("ngo_editor", False),  # the submitter
        ("police_editor", True),  # an editor of another party
        ("ngo_viewer", False),
        ("other_ngo_editor", False),  # not a party
        ("board_member", False),  # the other party has an editor
        ("anonymous", False),
        ("superuser", True),
    ],
)
def test_who_approves_a_submission(
    request, submitted, ngo_editor, police_editor, persona, expected
):
    user = request.getfixturevalue(persona)
    assert permissions.can_approve_publication(user, submitted, ngo_editor) is expected


def test_nobody_approves_their_own_submission_not_even_an_administrator(partnership, superuser):
    assert permissions.can_approve_publication(superuser, partnership, superuser) is False


def test_an_editor_of_both_parties_approves_what_an_editor_of_one_submitted(
    partnership, ngo_editor, police, police_editor
):
    Membership.objects.create(
        user=police_editor,
        organization=partnership.parties.get(role=PartnershipParty.Role.LEAD_NGO).organization,
        role="editor",
    )
    assert permissions.can_approve_publication(police_editor, partnership, ngo_editor) is True
    # ...but not the other way round when the submitter edits for both parties.
    assert permissions.can_approve_publication(ngo_editor, partnership, police_editor) is False


def test_an_oversight_editor_approves_only_where_no_other_party_has_an_editor(
    partnership, ngo_editor, police_editor, board_member, ngo
):
    assert permissions.can_approve_publication(board_member, partnership, ngo_editor) is False
    Membership.objects.filter(user=police_editor).update(role=Membership.Role.VIEWER)
    assert permissions.can_approve_publication(board_member, partnership, ngo_editor) is True
    # An oversight viewer does not.
    Membership.objects.filter(user=board_member).update(role=Membership.Role.VIEWER)
    assert permissions.can_approve_publication(board_member, partnership, ngo_editor) is False


def test_when_the_submitter_is_unknown_any_partys_editor_approves(
    partnership, ngo_editor, police_editor, board_member
):
    assert permissions.can_approve_publication(ngo_editor, partnership, None) is True
    assert permissions.can_approve_publication(police_editor, partnership, None) is True
    assert permissions.can_approve_publication(board_member, partnership, None) is False


def test_a_withholding_is_confirmed_and_released_by_someone_else(
    partnership, ngo_editor, police_editor
):
    withholding = publishing.withholding_add(
        record=partnership,
        field="objectives",
        reason_code="survivor_safety",
        rationale="It leads to the shelter.",
        actor=ngo_editor,
    )
    assert permissions.can_confirm_withholding(ngo_editor, partnership, withholding) is False
    assert permissions.can_confirm_withholding(police_editor, partnership, withholding) is True
    publishing.withholding_release_request(withholding=withholding, actor=police_editor)
    withholding.refresh_from_db()
    assert permissions.can_release_withholding(police_editor, partnership, withholding) is False
    assert permissions.can_release_withholding(ngo_editor, partnership, withholding) is True


# The services' refusals ------------------------------------------------------------------


def test_a_step_from_the_wrong_state_is_refused(partnership, ngo_editor, police_editor):
    with pytest.raises(ValidationError, match="Only a draft can be submitted"):
        publishing.record_submit(record=partnership, actor=ngo_editor)
    with pytest.raises(ValidationError, match="Only a submitted record can be approved"):
        publishing.record_approve(record=partnership, actor=police_editor)
    with pytest.raises(ValidationError, match="can be published by lifting its embargo"):
        publishing.embargo_lift(record=partnership, actor=ngo_editor)
    partnership.refresh_from_db()
    assert partnership.publication_status == "published"


def test_a_second_approval_finds_the_record_published(submitted, police_editor, superuser):
    stale = Partnership.objects.get(pk=submitted.pk)
    publishing.record_approve(record=submitted, actor=police_editor)
    with pytest.raises(ValidationError, match="this one is published"):
        publishing.record_approve(record=stale, actor=superuser)


def test_the_submitter_cannot_approve_through_the_service(submitted, ngo_editor):
    with pytest.raises(PermissionDenied):
        publishing.record_approve(record=submitted, actor=ngo_editor)
    with pytest.raises(PermissionDenied):
        publishing.record_send_back(record=submitted, actor=ngo_editor, comment="Fine.")


def test_a_value_is_withheld_once_and_only_a_withholdable_one(partnership, ngo_editor):
    add = publishing.withholding_add
    add(
        record=partnership, field="objectives", reason_code="other", rationale="A", actor=ngo_editor
    )
    with pytest.raises(ValidationError) as error:
        add(
            record=partnership,
            field="objectives",
            reason_code="other",
            rationale="A",
            actor=ngo_editor,
        )
    assert error.value.message_dict == {"field": ["This value is withheld already."]}
    with pytest.raises(ValidationError) as error:
        add(record=partnership, field="title", reason_code="other", rationale="A", actor=ngo_editor)
    assert "field" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        add(
            record=partnership, field="region", reason_code="other", rationale=" ", actor=ngo_editor
        )
    assert error.value.message_dict == {
        "rationale": ["Write out the reason: “Other” says nothing by itself."]
    }
    assert Withholding.objects.count() == 1


def test_an_outsider_cannot_withhold(partnership, other_ngo_editor):
    with pytest.raises(PermissionDenied):
        publishing.withholding_add(
            record=partnership,
            field="objectives",
            reason_code="survivor_safety",
            rationale="x",
            actor=other_ngo_editor,
        )


def test_the_queue_and_the_permission_agree(ngo, police, ngo_editor, police_editor, board_member):
    """The approval queue selects with the same rule the pages and services ask."""
    cases = [
        factories.partnership_with_parties(ngo=ngo, police=police, publication_status="draft"),
        factories.partnership_with_parties(
            ngo=ngo, publication_status="draft"
        ),  # police: no editor
    ]
    for partnership in cases:
        Partnership.objects.filter(pk=partnership.pk).update(
            publication_status="submitted", submitted_by=ngo_editor
        )
    for user in (ngo_editor, police_editor, board_member):
        queued, _ = publishing.submissions_to_approve(user)
        allowed = {p.pk for p in cases if permissions.can_approve_publication(user, p, ngo_editor)}
        assert {p.pk for p in queued} == allowed, user
    assert {p.pk for p in publishing.submissions_to_approve(board_member)[0]} == {cases[1].pk}
