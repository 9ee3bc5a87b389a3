"""Staff e-mails in each recipient's language: the language an account signs in with or
switches to is kept (``AccountLanguage``), and the jobs write each e-mail in it
(``core.languages.recipient_language``)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from agreements.embargoes import embargo_run
from core.languages import recipient_language
from core.models import AccountLanguage
from publication.choices import PublicationStatus
from tests import factories

pytestmark = pytest.mark.django_db


PASSWORD = "correct horse battery staple"  # noqa: S105 - the test accounts'


def language_of(user) -> str | None:
    return AccountLanguage.objects.filter(user=user).values_list("language", flat=True).first()


def test_signing_in_on_a_page_in_spanish_keeps_spanish_for_the_accounts_emails(client, ngo_editor):
    client.post(
        reverse("login"),
        {"login": ngo_editor.username, "password": PASSWORD},
        headers={"accept-language": "es"},
    )

    assert language_of(ngo_editor) == "es"


def test_the_language_switcher_changes_a_signed_in_accounts_language(client, ngo_editor):
    AccountLanguage.objects.create(user=ngo_editor, language="es")
    client.force_login(ngo_editor)

    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    assert response.status_code == 302
    assert language_of(ngo_editor) == "fr"


def test_the_switcher_keeps_no_language_for_an_anonymous_reader(client):
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    assert AccountLanguage.objects.count() == 0


def test_a_language_the_site_does_not_offer_is_not_kept(client, ngo_editor):
    AccountLanguage.objects.create(user=ngo_editor, language="es")
    client.force_login(ngo_editor)

    client.post(reverse("set_language"), {"language": "de", "next": "/"})

    assert language_of(ngo_editor) == "es"


def test_an_unknown_recipient_language_keeps_the_active_one():
    with translation.override("fr"), recipient_language(None):
        assert translation.get_language() == "fr"
    with translation.override("fr"), recipient_language("es-ar"):
        assert translation.get_language() == "es"


def test_each_editor_hears_of_an_embargo_lifting_in_their_language(
    ngo, police, ngo_editor, police_editor, settings
):
    settings.TIME_ZONE = "Europe/Berlin"
    AccountLanguage.objects.create(user=ngo_editor, language="es")
    factories.partnership_with_parties(
        ngo=ngo,
        police=police,
        title="Shelter referral partnership",
        publication_status=PublicationStatus.EMBARGOED,
        embargoed_until=dt.date(2026, 11, 22),
    )

    with time_machine.travel(dt.datetime(2026, 11, 21, 0, 5, tzinfo=ZoneInfo("Europe/Berlin"))):
        embargo_run(timezone.now())

    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[ngo_editor.email] == (
        "Registro de Colaboraciones: «Shelter referral partnership» será público el "
        "22 de noviembre de 2026"
    )
    assert subjects[police_editor.email] == (
        "Partnership Registry: “Shelter referral partnership” becomes public on 22 November 2026"
    )


def test_an_invitation_to_an_account_is_in_the_invitees_language(
    client, ngo, ngo_editor, board_member
):
    AccountLanguage.objects.create(user=board_member, language="fr")
    client.force_login(ngo_editor)

    client.post(
        reverse("accounts:member_invite", kwargs={"slug": ngo.slug}),
        {"email": board_member.email, "role": "editor"},
        headers={"accept-language": "en"},
    )

    [message] = mail.outbox
    # After the merge of the messages of tr-h5.json.
    assert message.subject.startswith("Vous êtes invité")
    assert "Rien ne change tant que vous n’acceptez pas" in message.body
