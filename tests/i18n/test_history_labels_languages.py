"""The change history of a public record names its fields in the reader's language: the
model field's verbose name is the one declaration of a field's label, for the forms and
for the histories alike."""

import pytest
from django.urls import reverse

from agreements.models import Agreement
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed_agreement(partnership):
    agreement = factories.AgreementFactory(partnership=partnership, title="Referral MOU")
    Agreement.objects.filter(pk=agreement.pk).update(public_summary="A new public summary.")
    return agreement


@pytest.mark.parametrize(
    ("language", "label", "record"),
    [
        ("en", "Public summary", "Agreement"),
        ("es", "Resumen público", "Acuerdo"),
        ("fr", "Résumé public", "Accord"),
    ],
)
def test_the_public_change_history_names_fields_in_the_readers_language(
    client, changed_agreement, language, label, record
):
    response = client.get(
        changed_agreement.get_absolute_url(), headers={"accept-language": language}
    )
    body = response.content.decode()
    history = body[body.index('id="history-heading"') :]
    assert "A new public summary." in history
    assert label in history
    assert record in history
    if language != "en":
        assert "Public summary" not in history


def test_the_full_history_names_the_record_in_the_readers_language(
    client, changed_agreement, board_member
):
    """The full history lists raw field names, but names the kind of record (its audit
    registration's ``record``) in the reader's language."""
    client.force_login(board_member)
    url = reverse(
        "oversight:record_history", kwargs={"model": "agreement", "pk": changed_agreement.pk}
    )
    body = client.get(url, headers={"accept-language": "es"}).content.decode()
    assert f"Acuerdo #{changed_agreement.pk}" in body
    assert f"Agreement #{changed_agreement.pk}" not in body
