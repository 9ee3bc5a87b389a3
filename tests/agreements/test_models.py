"""Agreements: date and status invariants, visibility, independent auditors, review dates."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from agreements.models import Agreement
from partnerships.models import Organization, PartnershipParty, Visibility
from tests import factories

pytestmark = pytest.mark.django_db

Status = Agreement.Status
EFFECTIVE = dt.date(2024, 3, 15)


# Invariants in the database -------------------------------------------------------------


@pytest.mark.parametrize(
    ("effective_from", "expires_on"),
    [
        pytest.param(EFFECTIVE, EFFECTIVE, id="expires-the-day-it-takes-effect"),
        pytest.param(EFFECTIVE, dt.date(2027, 3, 14), id="expires-later"),
        pytest.param(EFFECTIVE, None, id="no-expiry-date"),
        pytest.param(None, dt.date(2027, 3, 14), id="no-effective-date"),
        pytest.param(None, None, id="no-dates"),
    ],
)
def test_it_stores_agreement_with_consistent_dates(partnership, effective_from, expires_on):
    factories.AgreementFactory(
        partnership=partnership, title="Dated", effective_from=effective_from, expires_on=expires_on
    )

    stored = Agreement.objects.get(title="Dated")
    assert (stored.effective_from, stored.expires_on) == (effective_from, expires_on)


@pytest.mark.parametrize(
    "expires_on",
    [
        pytest.param(EFFECTIVE - dt.timedelta(days=1), id="the-day-before"),
        pytest.param(dt.date(2020, 1, 1), id="years-before"),
    ],
)
def test_it_rejects_agreement_expiring_before_it_takes_effect(partnership, expires_on):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.AgreementFactory(
            partnership=partnership,
            title="Backdated",
            effective_from=EFFECTIVE,
            expires_on=expires_on,
        )

    assert Agreement.objects.filter(title="Backdated").exists() is False


@pytest.mark.parametrize(
    ("months", "stored"),
    [
        pytest.param(0, False, id="zero-months-rejected"),
        pytest.param(1, True, id="one-month"),
        pytest.param(6, True, id="six-months"),
        pytest.param(12, True, id="twelve-months"),
    ],
)
def test_it_requires_a_review_interval_of_at_least_one_month(partnership, months, stored):
    def create():
        factories.AgreementFactory(
            partnership=partnership, title="Interval", review_interval_months=months
        )

    if stored:
        create()
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            create()

    assert Agreement.objects.filter(title="Interval", review_interval_months=months).exists() is (
        stored
    )


# Whether an agreement of each status must carry its signing date.
NEEDS_SIGNED_ON = {
    Status.DRAFT: False,
    Status.NEGOTIATING: False,
    Status.SIGNED: True,
    Status.ACTIVE: True,
    Status.EXPIRED: False,
    Status.TERMINATED: False,
    Status.SUPERSEDED: False,
}


def test_the_signing_date_table_covers_every_status():
    assert sorted(NEEDS_SIGNED_ON) == sorted(Status.values)


@pytest.mark.parametrize(
    ("status", "needs_signed_on"),
    [pytest.param(status, needs, id=status) for status, needs in NEEDS_SIGNED_ON.items()],
)
def test_only_an_agreement_in_force_needs_its_signing_date(partnership, status, needs_signed_on):
    def create_unsigned():
        factories.AgreementFactory(
            partnership=partnership, title="Unsigned", status=status, signed_on=None
        )

    if needs_signed_on:
        with pytest.raises(IntegrityError), transaction.atomic():
            create_unsigned()
    else:
        create_unsigned()

    assert Agreement.objects.filter(title="Unsigned").exists() is not needs_signed_on


def test_it_rejects_marking_an_unsigned_draft_active(partnership):
    draft = factories.AgreementFactory(partnership=partnership, status=Status.DRAFT, signed_on=None)

    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=draft.pk).update(status=Status.ACTIVE)

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


# Visibility ------------------------------------------------------------------------------

PUBLIC, RESTRICTED = Visibility.PUBLIC, Visibility.RESTRICTED


@pytest.mark.parametrize(
    ("partnership_visibility", "agreement_visibility", "public"),
    [
        pytest.param(PUBLIC, PUBLIC, True, id="public-in-public-partnership"),
        pytest.param(PUBLIC, RESTRICTED, False, id="restricted-in-public-partnership"),
        pytest.param(RESTRICTED, PUBLIC, False, id="public-in-restricted-partnership"),
        pytest.param(RESTRICTED, RESTRICTED, False, id="restricted-in-restricted-partnership"),
    ],
)
def test_an_agreement_is_public_only_if_it_and_its_partnership_are(
    partnership_visibility, agreement_visibility, public
):
    partnership = factories.partnership_with_parties(visibility=partnership_visibility)
    agreement = factories.AgreementFactory(partnership=partnership, visibility=agreement_visibility)

    agreement = Agreement.objects.get(pk=agreement.pk)
    assert agreement.is_public() is public
    assert Agreement.objects.public().filter(pk=agreement.pk).exists() is public


ALL_AGREEMENTS = {
    "our-public",
    "our-restricted",
    "our-in-restricted-partnership",
    "their-public",
    "their-restricted",
    "their-in-restricted-partnership",
}
ANONYMOUS_SEES = {"our-public", "their-public"}
OUR_STAFF_SEE = {"our-public", "our-restricted", "our-in-restricted-partnership", "their-public"}
THEIR_STAFF_SEE = {
    "our-public",
    "their-public",
    "their-restricted",
    "their-in-restricted-partnership",
}


@pytest.fixture
def superuser():
    return factories.UserFactory(username="site_admin", is_superuser=True, is_staff=True)


@pytest.fixture
def stranger():
    """Signed in, but a member of no organization."""
    return factories.UserFactory(username="stranger")


@pytest.fixture
def registry(ngo, police, other_ngo):
    """Ours: ngo + police. Theirs: the other NGO with another police agency. Each side has a
    public partnership with a public and a restricted agreement, and a restricted partnership
    whose (nominally public) agreement is restricted with it."""
    for side, party in (("our", ngo), ("their", other_ngo)):
        police_agency = police if side == "our" else None
        open_partnership = factories.partnership_with_parties(ngo=party, police=police_agency)
        closed_partnership = factories.partnership_with_parties(
            ngo=party, police=police_agency, visibility=RESTRICTED
        )
        factories.AgreementFactory(partnership=open_partnership, title=f"{side}-public")
        factories.AgreementFactory(
            partnership=open_partnership, title=f"{side}-restricted", visibility=RESTRICTED
        )
        factories.AgreementFactory(
            partnership=closed_partnership, title=f"{side}-in-restricted-partnership"
        )
    assert set(Agreement.objects.values_list("title", flat=True)) == ALL_AGREEMENTS


def titles(queryset) -> list[str]:
    """Sorted, and with duplicates kept, so that a duplicated row fails the comparison."""
    return sorted(queryset.values_list("title", flat=True))


def test_the_public_sees_only_public_agreements_of_public_partnerships(registry):
    assert titles(Agreement.objects.public()) == sorted(ANONYMOUS_SEES)


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        pytest.param("anonymous", ANONYMOUS_SEES, id="anonymous"),
        pytest.param("stranger", ANONYMOUS_SEES, id="signed-in-without-organization"),
        pytest.param("ngo_editor", OUR_STAFF_SEE, id="ngo_editor"),
        pytest.param("ngo_viewer", OUR_STAFF_SEE, id="ngo_viewer"),
        pytest.param("police_editor", OUR_STAFF_SEE, id="police_editor"),
        pytest.param("other_ngo_editor", THEIR_STAFF_SEE, id="other_ngo_editor"),
        pytest.param("board_member", ALL_AGREEMENTS, id="board_member"),
        pytest.param("superuser", ALL_AGREEMENTS, id="superuser"),
    ],
)
def test_each_persona_sees_public_agreements_and_those_of_their_organizations_partnerships(
    request, registry, persona, visible
):
    user = request.getfixturevalue(persona)

    assert titles(Agreement.objects.visible_to(user)) == sorted(visible)


def test_a_member_of_both_parties_sees_each_agreement_once(registry, ngo, police):
    user = factories.UserFactory(username="two-hats")
    factories.MembershipFactory(user=user, organization=ngo)
    factories.MembershipFactory(user=user, organization=police)

    assert titles(Agreement.objects.visible_to(user)) == sorted(OUR_STAFF_SEE)
    assert Agreement.objects.visible_to(user).count() == len(OUR_STAFF_SEE)


# Independent auditors --------------------------------------------------------------------


@pytest.fixture
def outside_auditor():
    return factories.OrganizationFactory(
        name="Ledger & Co Auditors", slug="ledger-auditors", kind=Organization.Kind.AUDITOR
    )


@pytest.fixture
def funder(partnership):
    """A funder of the partnership: a party, though neither the NGO nor the police."""
    organization = factories.OrganizationFactory(
        name="Safer Streets Fund", slug="safer-streets-fund", kind=Organization.Kind.OTHER
    )
    factories.PartnershipPartyFactory(
        partnership=partnership, organization=organization, role=PartnershipParty.Role.FUNDER
    )
    return organization


@pytest.mark.parametrize(
    ("auditor", "independent"),
    [
        pytest.param(None, False, id="no-auditor"),
        pytest.param("outside_auditor", True, id="outside-auditor-firm"),
        pytest.param("oversight_body", True, id="oversight-board"),
        pytest.param("other_ngo", True, id="an-ngo-that-is-not-a-party"),
        pytest.param("ngo", False, id="the-ngo-party-audits-itself"),
        pytest.param("police", False, id="the-police-party-audits-itself"),
        pytest.param("funder", False, id="a-funder-party-audits-it"),
    ],
)
def test_an_auditor_is_independent_only_when_it_is_not_a_party(
    request, partnership, auditor, independent
):
    auditor_organization = request.getfixturevalue(auditor) if auditor else None
    agreement = factories.AgreementFactory(
        partnership=partnership, status=Status.ACTIVE, independent_auditor=auditor_organization
    )

    agreement = Agreement.objects.get(pk=agreement.pk)
    assert agreement.has_independent_auditor() is independent
    assert Agreement.objects.with_independent_auditor().filter(pk=agreement.pk).exists() is (
        independent
    )
    assert Agreement.objects.lacking_independent_auditor().filter(pk=agreement.pk).exists() is (
        not independent
    )


def test_an_auditor_independent_of_one_partnership_is_not_of_another_it_is_party_to(
    partnership, other_ngo
):
    """The same organization audits two agreements: a party to one partnership only."""
    independent_there = factories.AgreementFactory(
        partnership=partnership, title="independent", independent_auditor=other_ngo
    )
    its_own = factories.partnership_with_parties(ngo=other_ngo)
    factories.AgreementFactory(partnership=its_own, title="own", independent_auditor=other_ngo)

    assert independent_there.has_independent_auditor() is True
    assert titles(Agreement.objects.with_independent_auditor()) == ["independent"]
    assert titles(Agreement.objects.lacking_independent_auditor()) == ["own"]


@pytest.mark.parametrize(
    ("status", "considered"),
    [
        pytest.param(Status.DRAFT, False, id="draft"),
        pytest.param(Status.NEGOTIATING, False, id="negotiating"),
        pytest.param(Status.SIGNED, True, id="signed"),
        pytest.param(Status.ACTIVE, True, id="active"),
        pytest.param(Status.EXPIRED, False, id="expired"),
        pytest.param(Status.TERMINATED, False, id="terminated"),
        pytest.param(Status.SUPERSEDED, False, id="superseded"),
    ],
)
def test_only_agreements_in_force_can_lack_an_independent_auditor(
    partnership, ngo, status, considered
):
    factories.AgreementFactory(partnership=partnership, title="none", status=status)
    factories.AgreementFactory(
        partnership=partnership, title="party", status=status, independent_auditor=ngo
    )

    expected = ["none", "party"] if considered else []
    assert titles(Agreement.objects.lacking_independent_auditor()) == expected


# The next review date --------------------------------------------------------------------

COMPLETED, IN_PROGRESS, SCHEDULED = "completed", "in_progress", "scheduled"


@pytest.mark.parametrize(
    ("effective_from", "interval", "reviews", "expected"),
    [
        pytest.param(EFFECTIVE, 12, [], dt.date(2025, 3, 15), id="effective-date-plus-a-year"),
        pytest.param(EFFECTIVE, 6, [], dt.date(2024, 9, 15), id="effective-date-plus-6-months"),
        pytest.param(
            EFFECTIVE,
            12,
            [(COMPLETED, dt.date(2025, 2, 10))],
            dt.date(2026, 2, 10),
            id="completed-review-plus-a-year",
        ),
        pytest.param(
            EFFECTIVE,
            6,
            [(COMPLETED, dt.date(2025, 2, 10))],
            dt.date(2025, 8, 10),
            id="completed-review-plus-6-months",
        ),
        pytest.param(
            EFFECTIVE,
            12,
            [
                (COMPLETED, dt.date(2024, 9, 1)),
                (COMPLETED, dt.date(2025, 5, 20)),
                (COMPLETED, dt.date(2025, 1, 10)),
            ],
            dt.date(2026, 5, 20),
            id="latest-of-several-completed-reviews-wins",
        ),
        pytest.param(
            EFFECTIVE,
            12,
            [(COMPLETED, dt.date(2025, 2, 10)), (SCHEDULED, None), (IN_PROGRESS, None)],
            dt.date(2026, 2, 10),
            id="scheduled-and-in-progress-reviews-ignored",
        ),
        pytest.param(
            EFFECTIVE,
            12,
            [(COMPLETED, dt.date(2025, 2, 10)), (IN_PROGRESS, dt.date(2025, 6, 30))],
            dt.date(2026, 2, 10),
            id="a-date-on-an-unfinished-review-ignored",
        ),
        pytest.param(
            EFFECTIVE,
            12,
            [(SCHEDULED, None), (IN_PROGRESS, None)],
            dt.date(2025, 3, 15),
            id="only-unfinished-reviews-falls-back-to-effective-date",
        ),
        pytest.param(None, 12, [], None, id="no-effective-date-and-no-review"),
        pytest.param(None, 12, [(SCHEDULED, None)], None, id="no-effective-date-only-scheduled"),
        pytest.param(
            None,
            12,
            [(COMPLETED, dt.date(2025, 2, 10))],
            dt.date(2026, 2, 10),
            id="no-effective-date-but-a-completed-review",
        ),
        pytest.param(
            dt.date(2025, 1, 31), 1, [], dt.date(2025, 2, 28), id="31-jan-plus-1-month-2025"
        ),
        pytest.param(
            dt.date(2024, 1, 31), 1, [], dt.date(2024, 2, 29), id="31-jan-plus-1-month-leap-year"
        ),
        pytest.param(dt.date(2024, 2, 29), 12, [], dt.date(2025, 2, 28), id="29-feb-plus-a-year"),
        pytest.param(
            EFFECTIVE,
            6,
            [(COMPLETED, dt.date(2025, 8, 31))],
            dt.date(2026, 2, 28),
            id="review-on-31-aug-plus-6-months",
        ),
        pytest.param(dt.date(2024, 8, 31), 6, [], dt.date(2025, 2, 28), id="31-aug-plus-6-months"),
    ],
)
def test_the_next_review_is_due_an_interval_after_the_last_completed_review_or_the_start(
    partnership, oversight_body, effective_from, interval, reviews, expected
):
    agreement = factories.AgreementFactory(
        partnership=partnership, effective_from=effective_from, review_interval_months=interval
    )
    for status, completed_on in reviews:
        factories.ReviewFactory(
            agreement=agreement,
            reviewer=oversight_body,
            status=status,
            started_on=dt.date(2024, 6, 1),
            completed_on=completed_on,
        )

    agreement = Agreement.objects.get(pk=agreement.pk)
    assert agreement.compute_next_review_due() == expected


def test_reviews_of_other_agreements_do_not_move_the_next_review(partnership, oversight_body):
    agreement = factories.AgreementFactory(partnership=partnership, effective_from=EFFECTIVE)
    other = factories.AgreementFactory(partnership=partnership, effective_from=EFFECTIVE)
    factories.ReviewFactory(
        agreement=other, reviewer=oversight_body, completed_on=dt.date(2025, 2, 10)
    )

    assert agreement.compute_next_review_due() == dt.date(2025, 3, 15)
    assert other.compute_next_review_due() == dt.date(2026, 2, 10)
