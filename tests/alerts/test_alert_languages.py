"""A follower's e-mails are written in their language: the one they signed up in, then the
one they switch to while signed in or manage their alerts in; the job that sends them has
no request to take a language from."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alerts.matching import alerts_match, alerts_send
from alerts.models import Alert, Follower
from core.models import AccountLanguage
from partnerships.models import Partnership
from tests import factories
from tests.alerts.conftest import make_alert, start_cursor_now

pytestmark = pytest.mark.django_db


PASSPHRASE = "a long passphrase 42"  # noqa: S105 - a test account's


def sign_up(client, email, language, capture) -> Follower:
    """Sign up on the page in ``language`` (the browser's), then confirm the address."""
    with capture(execute=True):
        client.post(
            reverse("alerts:signup"),
            {"email": email, "password": PASSPHRASE},
            headers={"accept-language": language},
        )
    follower = Follower.objects.get(user__username=email)
    get_user_model().objects.filter(pk=follower.user_id).update(is_active=True)
    Follower.objects.filter(pk=follower.pk).update(confirmed_at=timezone.now())
    return follower


def alert_email_for(follower, partnership):
    make_alert(follower, f"partnership={partnership.slug}")
    start_cursor_now()
    Partnership.objects.filter(pk=partnership.pk).update(title="Harbour referrals, renewed")
    now = timezone.now()
    alerts_match(now=now)
    alerts_send(now=now)
    [message] = mail.outbox
    assert message.to == [follower.user.email]
    return message


def test_an_alert_to_a_follower_who_signed_up_in_spanish_is_in_spanish(
    client, partnership, django_capture_on_commit_callbacks
):
    follower = sign_up(client, "lectora@example.org", "es", django_capture_on_commit_callbacks)
    assert AccountLanguage.objects.get(user=follower.user).language == "es"
    mail.outbox.clear()

    message = alert_email_for(follower, partnership)

    assert message.subject.startswith("Registro de Colaboraciones: 1 novedad o cambio para")
    assert "novedad o cambio para su aviso" in message.body
    assert "Darse de baja de este aviso" in message.body
    # What happened to the record, in Spanish too (after the merge of tr-h5.json; the
    # record's name and its fields are the audit log's own).
    assert "- Cambio: " in message.body
    html = message.alternatives[0][0]
    assert '<html lang="es">' in html


def test_an_alert_to_a_follower_who_signed_up_in_english_is_in_english(
    client, partnership, django_capture_on_commit_callbacks
):
    follower = sign_up(client, "reader@example.org", "en", django_capture_on_commit_callbacks)
    mail.outbox.clear()

    message = alert_email_for(follower, partnership)

    assert message.subject.startswith("Partnership Registry: 1 new or changed for")
    assert "new or changed for your alert" in message.body
    assert "Changed partnership" in message.body
    assert '<html lang="en">' in message.alternatives[0][0]


def test_the_confirmation_email_is_in_the_language_of_the_sign_up_page(
    client, django_capture_on_commit_callbacks
):
    sign_up(client, "lecteur@example.org", "fr", django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.subject == (
        "Confirmez votre adresse e-mail pour suivre le Registre des partenariats"
    )


def test_one_run_writes_each_follower_in_their_own_language(partnership):
    readers = {}
    for language in ("es", "en", "fr"):
        user = get_user_model().objects.create_user(
            username=f"{language}@example.org", email=f"{language}@example.org", password="x"
        )
        AccountLanguage.objects.create(user=user, language=language)
        readers[language] = Follower.objects.create(user=user, confirmed_at=timezone.now())
        make_alert(readers[language], f"partnership={partnership.slug}")
    start_cursor_now()
    Partnership.objects.filter(pk=partnership.pk).update(objectives="New objectives")

    now = timezone.now()
    alerts_match(now=now)
    assert alerts_send(now=now) == 3

    subjects = {message.to[0].split("@")[0]: message.subject for message in mail.outbox}
    assert subjects["es"].startswith("Registro de Colaboraciones:")
    assert subjects["fr"].startswith("Registre des partenariats :")
    assert subjects["en"].startswith("Partnership Registry:")


def test_a_signed_in_follower_who_switches_language_gets_alerts_in_it(client, follower):
    client.force_login(follower.user)

    client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    assert AccountLanguage.objects.get(user=follower.user).language == "fr"


def test_managing_alerts_in_a_language_makes_it_the_alerts_language(client, follower):
    AccountLanguage.objects.create(user=follower.user, language="en")
    alert = make_alert(follower, "region=africa", kind=Alert.Kind.PARTNERSHIPS)
    client.force_login(follower.user)

    client.post(
        reverse("alerts:delete", kwargs={"pk": alert.pk}), headers={"accept-language": "es"}
    )

    assert AccountLanguage.objects.get(user=follower.user).language == "es"


def test_a_flags_alert_tells_the_flag_in_the_followers_language(follower, partnership):
    AccountLanguage.objects.create(user=follower.user, language="fr")
    agreement = factories.AgreementFactory(partnership=partnership)
    make_alert(follower, f"region={partnership.region}", kind=Alert.Kind.FLAGS)
    start_cursor_now()
    factories.FlagFactory(
        agreement=agreement,
        detail="The review was due on 5 January 2026.",
        parameters={"date": "2026-01-05"},
    )

    now = timezone.now()
    alerts_match(now=now)
    alerts_send(now=now)

    [message] = mail.outbox
    assert "Examen en retard" in message.body  # the kind, already translated
    # The sentence, after the merge of tr-h5.json.
    assert "L’examen était dû le 5 janvier 2026." in message.body
