"""The public change history and the publication workflow: a withheld field shows
"withheld" for its old and new values, and nothing of a record's unpublished periods (draft,
submission, embargo) is shown: its history starts with its publication."""

import dataclasses

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement, DataSharingTerm
from audit.history import public_history
from audit.views import change_history_context
from partnerships.models import Partnership
from publication.choices import PublicationStatus
from publication.models import Withholding
from tests import factories
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db

SHELTER = "Marigold House"
DRAFT = "DRAFT-ONLY-5e21"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def strings(history) -> str:
    return repr([dataclasses.asdict(entry) for entry in history])


def changes(history, field):
    return [(c.old, c.new) for entry in history for c in entry.changes if c.name == field]


def history_json(client, kind, pk):
    response = client.get(reverse(f"api:{kind}-history", kwargs={"pk": pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_a_withheld_field_shows_withheld_for_its_old_and_new_values(client, partnership):
    Partnership.objects.filter(pk=partnership.pk).update(public_summary=f"Near {SHELTER}.")
    Partnership.objects.filter(pk=partnership.pk).update(public_summary=f"At {SHELTER}.")
    Partnership.objects.filter(pk=partnership.pk).update(title="Safe referrals")
    withhold(partnership, "public_summary")

    history = public_history(partnership)
    assert changes(history, "public_summary") == [
        ("withheld", "withheld"),
        ("withheld", "withheld"),  # from empty: still withheld (emptiness is a value too)
    ]
    assert changes(history, "title")[0][1] == "Safe referrals"  # the rest stays public
    assert SHELTER not in strings(history)
    body = history_json(client, "partnership", partnership.pk)
    assert SHELTER not in body
    assert '"old":"withheld","new":"withheld"' in body
    context = change_history_context(partnership, full_history=None)
    assert SHELTER not in strings(context["change_history"])

    Withholding.objects.all().delete()
    assert changes(public_history(partnership), "public_summary")[0] == (
        f"Near {SHELTER}.",
        f"At {SHELTER}.",
    )


def test_a_withheld_auditor_is_not_named_in_the_history(client, partnership):
    auditor = factories.OversightBodyFactory(name="Quayside Audit Ltd")
    agreement = factories.AgreementFactory(partnership=partnership)
    Agreement.objects.filter(pk=agreement.pk).update(independent_auditor=auditor)
    withhold(agreement, "independent_auditor")
    history = public_history(agreement)
    assert changes(history, "independent_auditor") == [(None, "withheld")]
    assert "Quayside" not in history_json(client, "agreement", agreement.pk)


def test_a_withheld_term_purpose_is_withheld_in_its_agreement_history(client, partnership):
    agreement = factories.AgreementFactory(partnership=partnership)
    term = factories.DataSharingTermFactory(agreement=agreement, purpose=f"Moves to {SHELTER}.")
    DataSharingTerm.objects.filter(pk=term.pk).update(purpose=f"Moves from {SHELTER}.")
    withhold(term, "purpose")
    history = public_history(agreement)
    assert changes(history, "purpose") == [("withheld", "withheld"), (None, "withheld")]
    assert SHELTER not in history_json(client, "agreement", agreement.pk)


@pytest.mark.parametrize(
    "state",
    [PublicationStatus.DRAFT, PublicationStatus.SUBMITTED, PublicationStatus.EMBARGOED],
)
def test_the_history_starts_with_the_publication(client, ngo, police, state):
    partnership = factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="Working title",
        public_summary=f"{DRAFT} first draft",
        publication_status=state,
    )
    agreement = factories.AgreementFactory(partnership=partnership, reference=DRAFT)
    factories.DataSharingTermFactory(agreement=agreement, purpose=f"{DRAFT} purpose")
    Partnership.objects.filter(pk=partnership.pk).update(
        public_summary="Referrals between the charity and the police."
    )
    assert (
        client.get(reverse("api:partnership-history", kwargs={"pk": partnership.pk})).status_code
        == 404
    )
    assert change_history_context(partnership, full_history=None)["change_history"] is None

    Partnership.objects.filter(pk=partnership.pk).update(
        publication_status=PublicationStatus.PUBLISHED, published_at=timezone.now()
    )
    Agreement.objects.filter(pk=agreement.pk).update(reference="MOU-1")
    Partnership.objects.filter(pk=partnership.pk).update(title="Safe referrals")

    history = public_history(partnership)
    assert [entry.action for entry in history] == ["changed", "published"]
    assert changes(history, "title") == [("Working title", "Safe referrals")]
    assert DRAFT not in strings(history)
    assert DRAFT not in history_json(client, "partnership", partnership.pk)
    # The agreement's history starts with its partnership's publication too.
    agreement_history = public_history(agreement)
    assert changes(agreement_history, "reference") == [(DRAFT, "MOU-1")]  # its value then
    assert f"{DRAFT} purpose" not in strings(agreement_history)


def test_a_retracted_record_has_no_public_history(client, partnership):
    Partnership.objects.filter(pk=partnership.pk).update(
        publication_status=PublicationStatus.RETRACTED,
        retraction_reason="Published in error.",
        retracted_on=timezone.localdate(),
    )
    response = client.get(reverse("api:partnership-history", kwargs={"pk": partnership.pk}))
    assert response.status_code == 404
