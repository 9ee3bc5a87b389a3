"""A user's access is asked once per request, and asked afresh once a membership changes."""

import pytest

from partnerships.models import Membership
from partnerships.permissions import can_edit_partnership, can_see_private_records
from partnerships.querysets import sees_every_record
from tests import factories

pytestmark = pytest.mark.django_db


def test_joining_an_oversight_body_is_seen_by_the_same_user_object(
    django_assert_num_queries,
):
    user = factories.UserFactory()
    assert not sees_every_record(user)
    with django_assert_num_queries(0):
        assert not sees_every_record(user)
    factories.MembershipFactory(user=user, organization=factories.OversightBodyFactory())
    assert sees_every_record(user)


def test_becoming_an_editor_or_leaving_a_party_is_seen_at_once():
    ngo = factories.NgoFactory()
    partnership = factories.partnership_with_parties(
        ngo=ngo, police=factories.PoliceAgencyFactory()
    )
    user = factories.UserFactory()
    membership = factories.MembershipFactory(
        user=user, organization=ngo, role=Membership.Role.VIEWER
    )
    assert can_see_private_records(user, partnership)
    assert not can_edit_partnership(user, partnership)
    membership.role = Membership.Role.EDITOR
    membership.save()
    assert can_edit_partnership(user, partnership)
    membership.delete()
    assert not can_edit_partnership(user, partnership)
    assert not can_see_private_records(user, partnership)
