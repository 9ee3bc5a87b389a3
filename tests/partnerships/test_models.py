"""Partnerships: the date-order invariant, the parties rule and who sees which partnership."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from partnerships.models import Membership, Partnership, PartnershipParty, Visibility
from tests import factories

pytestmark = pytest.mark.django_db

ESTABLISHED = dt.date(2020, 6, 15)


# The date order: a partnership cannot end before it was established ---------------------


@pytest.mark.parametrize(
    ("established_on", "ended_on"),
    [
        pytest.param(ESTABLISHED, ESTABLISHED, id="ends-the-day-it-was-established"),
        pytest.param(ESTABLISHED, dt.date(2023, 3, 1), id="ends-years-later"),
        pytest.param(ESTABLISHED, None, id="has-not-ended"),
        pytest.param(None, dt.date(2023, 3, 1), id="ended-but-establishment-date-unknown"),
        pytest.param(None, None, id="no-dates-at-all"),
    ],
)
def test_it_stores_partnership_with_consistent_dates(established_on, ended_on):
    factories.PartnershipFactory(slug="dated", established_on=established_on, ended_on=ended_on)

    stored = Partnership.objects.get(slug="dated")
    assert (stored.established_on, stored.ended_on) == (established_on, ended_on)


@pytest.mark.parametrize(
    "ended_on",
    [
        pytest.param(ESTABLISHED - dt.timedelta(days=1), id="the-day-before"),
        pytest.param(dt.date(2019, 1, 1), id="a-year-before"),
    ],
)
def test_it_rejects_partnership_ending_before_it_was_established(ended_on):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PartnershipFactory(
            slug="backdated", established_on=ESTABLISHED, ended_on=ended_on
        )

    assert Partnership.objects.filter(slug="backdated").exists() is False


def test_it_rejects_an_update_that_ends_partnership_before_it_was_established():
    partnership = factories.PartnershipFactory(established_on=ESTABLISHED)

    with pytest.raises(IntegrityError), transaction.atomic():
        Partnership.objects.filter(pk=partnership.pk).update(ended_on=dt.date(2019, 1, 1))

    partnership.refresh_from_db()
    assert partnership.ended_on is None


# At least one NGO and at least one police agency ------------------------------------------

Role = PartnershipParty.Role


@pytest.mark.parametrize(
    ("roles", "missing"),
    [
        pytest.param([], ["an NGO", "a police agency"], id="no-parties"),
        pytest.param([Role.LEAD_NGO], ["a police agency"], id="lead-ngo-only"),
        pytest.param([Role.PARTNER_NGO], ["a police agency"], id="partner-ngo-only"),
        pytest.param([Role.POLICE_AGENCY], ["an NGO"], id="police-agency-only"),
        pytest.param(
            [Role.FUNDER, Role.OTHER], ["an NGO", "a police agency"], id="funder-and-other"
        ),
        pytest.param([Role.FUNDER, Role.POLICE_AGENCY], ["an NGO"], id="funder-is-not-an-ngo"),
        pytest.param([Role.LEAD_NGO, Role.POLICE_AGENCY], [], id="lead-ngo-and-police"),
        pytest.param([Role.PARTNER_NGO, Role.POLICE_AGENCY], [], id="partner-ngo-and-police"),
        pytest.param(
            [Role.LEAD_NGO, Role.PARTNER_NGO, Role.POLICE_AGENCY, Role.POLICE_AGENCY, Role.FUNDER],
            [],
            id="several-of-each",
        ),
    ],
)
def test_it_names_the_party_roles_a_partnership_still_lacks(roles, missing):
    partnership = factories.PartnershipFactory()
    for role in roles:
        factories.PartnershipPartyFactory(partnership=partnership, role=role)
    assert partnership.parties.count() == len(roles)

    partnership = Partnership.objects.get(pk=partnership.pk)
    assert partnership.missing_party_roles() == missing


# Who sees which partnership ---------------------------------------------------------------

ALL_PARTNERSHIPS = {"public", "ours-restricted", "theirs-restricted"}


@pytest.fixture
def superuser():
    return factories.UserFactory(username="site_admin", is_superuser=True, is_staff=True)


@pytest.fixture
def stranger():
    """Signed in, but a member of no organization."""
    return factories.UserFactory(username="stranger")


@pytest.fixture
def registry(ngo, police, other_ngo):
    """A public partnership, a restricted one of ours (ngo + police), and a restricted one
    of another NGO with another police agency."""
    factories.partnership_with_parties(ngo=ngo, police=police, slug="public")
    factories.partnership_with_parties(
        ngo=ngo, police=police, slug="ours-restricted", visibility=Visibility.RESTRICTED
    )
    factories.partnership_with_parties(
        ngo=other_ngo, slug="theirs-restricted", visibility=Visibility.RESTRICTED
    )
    assert set(Partnership.objects.values_list("slug", flat=True)) == ALL_PARTNERSHIPS


def slugs(queryset) -> list[str]:
    """Sorted, and with duplicates kept, so that a duplicated row fails the comparison."""
    return sorted(queryset.values_list("slug", flat=True))


def test_the_public_sees_only_public_partnerships(registry):
    assert slugs(Partnership.objects.public()) == ["public"]


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        pytest.param("anonymous", {"public"}, id="anonymous"),
        pytest.param("stranger", {"public"}, id="signed-in-without-organization"),
        pytest.param("ngo_editor", {"public", "ours-restricted"}, id="ngo_editor"),
        pytest.param("ngo_viewer", {"public", "ours-restricted"}, id="ngo_viewer"),
        pytest.param("police_editor", {"public", "ours-restricted"}, id="police_editor"),
        pytest.param("other_ngo_editor", {"public", "theirs-restricted"}, id="other_ngo_editor"),
        pytest.param("board_member", ALL_PARTNERSHIPS, id="board_member"),
        pytest.param("superuser", ALL_PARTNERSHIPS, id="superuser"),
    ],
)
def test_each_persona_sees_public_partnerships_and_restricted_ones_of_their_organization(
    request, registry, persona, visible
):
    user = request.getfixturevalue(persona)

    assert slugs(Partnership.objects.visible_to(user)) == sorted(visible)


@pytest.mark.parametrize(
    ("organizations", "visible"),
    [
        pytest.param(["ngo", "police"], {"public", "ours-restricted"}, id="both-parties-of-ours"),
        pytest.param(["ngo", "other_ngo"], ALL_PARTNERSHIPS, id="party-of-ours-and-theirs"),
        pytest.param(["ngo", "oversight_body"], ALL_PARTNERSHIPS, id="ngo-and-oversight-board"),
    ],
)
def test_a_member_of_several_organizations_sees_each_partnership_once(
    request, registry, organizations, visible
):
    user = factories.UserFactory(username="many-hats")
    for name in organizations:
        factories.MembershipFactory(
            user=user, organization=request.getfixturevalue(name), role=Membership.Role.VIEWER
        )

    visible_slugs = slugs(Partnership.objects.visible_to(user))

    assert visible_slugs == sorted(visible)
    assert Partnership.objects.visible_to(user).count() == len(visible)
