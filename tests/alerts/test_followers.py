"""Follower accounts and their pages: sign-up confirmed by a link, no staff page, saving an
alert (with its estimate and its limit), deleting the account in one step."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from alerts.models import Alert, AlertItem, Follower
from tests import factories
from tests.alerts.conftest import make_alert

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_a_follower_signs_up_and_confirms_the_address_by_a_link(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("alerts:signup"),
            {"email": "Reporter@Example.org", "password": "a long passphrase 42"},
        )
    assert response.status_code == 302
    user = User.objects.get(username="reporter@example.org")
    assert user.is_active is False
    [message] = mail.outbox
    link = re.search(r"http://\S+/alerts/confirm/\S+/", message.body).group(0)

    path = link.removeprefix("http://127.0.0.1:8000")
    # Opening the link (as a mail scanner may) asks for the password and changes nothing.
    page = client.get(path)
    assert page.status_code == 200
    assert "The password you chose when signing up" in page.content.decode()
    user.refresh_from_db()
    assert user.is_active is False

    response = client.post(path, {"password": "a long passphrase 42"})

    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:mine")
    user.refresh_from_db()
    assert user.is_active is True
    assert Follower.objects.get(user=user).confirmed_at is not None
    assert client.get(reverse("alerts:mine")).status_code == 200


def test_a_bad_confirmation_link_activates_nothing(client):
    assert client.get(reverse("alerts:confirm", kwargs={"token": "forged"})).status_code == 400


PASSPHRASE = "a long passphrase 42"  # noqa: S105 - a test account's


def sign_up(client, email, password=PASSPHRASE, **extra):
    return client.post(reverse("alerts:signup"), {"email": email, "password": password}, **extra)


def test_signing_up_with_a_taken_address_tells_it_by_email_only(
    client, follower, django_capture_on_commit_callbacks
):
    follower.user.set_password("the owner's password")
    follower.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        taken = sign_up(client, follower.user.email.upper())
    with django_capture_on_commit_callbacks(execute=True):
        new = sign_up(client, "newcomer@example.org")

    # The same answer for both: the page never tells whether an address has an account.
    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"] == reverse("alerts:signup_sent")
    page = client.get(reverse("alerts:signup_sent")).content.decode()
    assert "If this address can receive e-mail, we sent a link" in page
    exists, confirm = mail.outbox
    assert exists.to == [follower.user.email]
    assert exists.subject == "You already have an account on the Partnership Registry"
    assert "http://127.0.0.1:8000" + reverse("login") in exists.body
    assert "http://127.0.0.1:8000" + reverse("password_reset") in exists.body
    assert "/alerts/confirm/" not in exists.body
    assert confirm.to == ["newcomer@example.org"]
    # The account is left as it was.
    follower.user.refresh_from_db()
    assert follower.user.check_password("the owner's password") is True


def test_signing_up_again_voids_the_earlier_confirmation_link(
    client, django_capture_on_commit_callbacks
):
    for password in ("the first passphrase 1", "the second passphrase 2"):
        with django_capture_on_commit_callbacks(execute=True):
            sign_up(client, "twice@example.org", password)
    first, second = (
        re.search(r"/alerts/confirm/\S+/", message.body).group(0) for message in mail.outbox
    )

    assert client.get(first).status_code == 400
    assert User.objects.get(username="twice@example.org").is_active is False
    assert client.post(second, {"password": "the second passphrase 2"}).status_code == 302
    user = User.objects.get(username="twice@example.org")
    assert (user.is_active, user.check_password("the second passphrase 2")) == (True, True)


def test_sign_up_is_limited_per_email_address(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "follower_signup": "100/1h/ip,3/1h/key",
    }
    for _ in range(3):
        assert sign_up(client, "Flooded@example.org").status_code == 302

    refused = sign_up(client, "flooded@example.org ")

    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    assert User.objects.filter(username="flooded@example.org").count() == 1
    # Another address from the same client is still accepted.
    assert sign_up(client, "another@example.org").status_code == 302


def test_sign_up_is_limited_per_client_address(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "follower_signup": "2/1h/ip,100/1h/key",
    }
    address = {"REMOTE_ADDR": "203.0.113.7"}
    assert sign_up(client, "one@example.org", **address).status_code == 302
    assert sign_up(client, "not-an-address", **address).status_code == 200  # counted too

    assert sign_up(client, "three@example.org", **address).status_code == 429
    assert User.objects.filter(username="three@example.org").exists() is False
    # Another client is not held back.
    assert sign_up(client, "three@example.org", REMOTE_ADDR="203.0.113.8").status_code == 302


@pytest.mark.parametrize(
    "name",
    [
        "agreements:approval_queue",
        "oversight:dashboard",
        "partnerships:new",
        "partnerships:organization_search",
        "feedback:moderation",
        "imports:start",
    ],
)
def test_a_follower_is_refused_on_staff_pages(client, follower, name):
    client.force_login(follower.user)
    assert client.get(reverse(name)).status_code == 403


def test_a_follower_logging_in_lands_on_their_alerts(client, follower):
    client.force_login(follower.user)
    response = client.get(reverse("accounts:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:mine")


def test_staff_accounts_have_no_alert_pages(client, ngo_editor):
    client.force_login(ngo_editor)
    assert client.get(reverse("alerts:mine")).status_code == 403


def test_the_alert_page_shows_how_many_records_matched_in_30_days(client, follower):
    for _ in range(2):
        factories.partnership_with_parties(country="KE")
    factories.partnership_with_parties(country="GB")
    client.force_login(follower.user)

    response = client.get(
        reverse("alerts:new"), {"kind": "partnerships", "query": "country=KE&page=2"}
    )

    assert response.status_code == 200
    assert "<strong>2</strong> records matched" in response.content.decode()
    response = client.post(
        reverse("alerts:new"),
        {
            "kind": "partnerships",
            "query": "country=KE&page=2",
            "name": "Kenya",
            "frequency": "daily",
        },
    )
    assert response.status_code == 302
    alert = Alert.objects.get(follower=follower)
    assert (alert.query, alert.frequency) == ("country=KE", "daily")


def test_the_alert_page_offers_monthly_emails_and_says_webhooks_do_not_wait(client, follower):
    client.force_login(follower.user)
    response = client.get(reverse("alerts:new"), {"kind": "partnerships", "query": ""})
    content = response.content.decode()
    assert '<option value="monthly">Once a month</option>' in content
    assert "each match is posted as soon as it is found, whatever the e-mail" in content
    assert "an oversight review or an incident of such a partnership" in content

    response = client.post(
        reverse("alerts:new"),
        {"kind": "partnerships", "query": "", "name": "Monthly", "frequency": "monthly"},
    )
    assert response.status_code == 302
    assert Alert.objects.get(follower=follower).frequency == "monthly"
    assert "e-mail: once a month" in client.get(reverse("alerts:mine")).content.decode()


def test_a_search_matching_too_much_a_day_is_refused_with_the_reason(client, follower, settings):
    settings.ALERTS_MAX_PER_DAY = 0
    factories.partnership_with_parties()
    client.force_login(follower.user)

    response = client.post(
        reverse("alerts:new"),
        {"kind": "partnerships", "query": "", "name": "Everything", "frequency": "immediately"},
    )

    assert response.status_code == 400
    assert "more than 0 a day" in response.content.decode()
    assert Alert.objects.count() == 0


def test_a_follower_deletes_the_account_and_everything_with_it(client, follower, partnership):
    alert = make_alert(follower, f"partnership={partnership.slug}")
    AlertItem.objects.create(
        alert=alert, record_id=partnership.pk, since_seq=0, created_at=alert.created_at
    )
    client.force_login(follower.user)

    response = client.post(reverse("alerts:account_delete"), {"confirm": "on"})

    assert response.status_code == 200
    assert User.objects.filter(pk=follower.user_id).exists() is False
    assert (Follower.objects.count(), Alert.objects.count(), AlertItem.objects.count()) == (0, 0, 0)


def test_the_flags_list_has_an_alert_me_link_with_its_query(client):
    response = client.get(reverse("feeds:flags"), {"region": "europe"}, HTTP_ACCEPT="text/html")
    content = response.content.decode()
    assert reverse("alerts:new") + "?kind=flags&amp;query=region%3Deurope" in content


def test_the_registry_page_has_an_alert_me_link_with_its_query(client):
    response = client.get(reverse("public:registry"), {"region": "europe"})
    content = response.content.decode()
    assert reverse("alerts:new") + "?kind=partnerships&amp;query=region%3Deurope" in content


def test_a_followers_menu_has_their_alerts_and_no_staff_page(client, follower):
    client.force_login(follower.user)
    menu = client.get(reverse("public:methodology")).content.decode()
    assert reverse("alerts:mine") in menu
    assert reverse("accounts:dashboard") not in menu
    assert reverse("agreements:approval_queue") not in menu


def test_a_staff_menu_has_no_alerts(client, ngo_editor):
    client.force_login(ngo_editor)
    menu = client.get(reverse("public:methodology")).content.decode()
    assert reverse("accounts:dashboard") in menu
    assert reverse("alerts:mine") not in menu


def test_blank_sign_ups_of_others_do_not_hold_back_a_reader(client, settings):
    """The per-address limit counts a blank address per client: three blank forms sent
    from elsewhere leave a reader's blank form answered with its error, not a 429."""
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "follower_signup": "100/1h/ip,3/1h/key",
    }
    for n in range(3):
        sign_up(client, "", REMOTE_ADDR=f"198.51.100.{n + 1}")

    response = sign_up(client, "", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()


def test_a_link_sent_by_someone_else_signing_up_with_the_address_cannot_take_it_over(
    client, django_capture_on_commit_callbacks
):
    """Someone signs up with another person's address after them: the newest link in the
    owner's inbox carries the other's password. Following it, the owner cannot confirm
    (their own password is refused), so the account never opens with a password someone
    else knows; signing up again sends a link that works."""
    owner, intruder = PASSPHRASE, "the intruder's passphrase 7"
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "reporter@example.org", password=owner)
        sign_up(client, "reporter@example.org", password=intruder)
    newest = re.search(r"/alerts/confirm/\S+/", mail.outbox[-1].body).group(0)

    refused = client.post(newest, {"password": owner})

    assert refused.status_code == 200
    assert "This is not the password chosen when this link was sent" in refused.content.decode()
    user = User.objects.get(username="reporter@example.org")
    assert user.is_active is False
    assert "_auth_user_id" not in client.session

    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "reporter@example.org", password=owner)
    again = re.search(r"/alerts/confirm/\S+/", mail.outbox[-1].body).group(0)
    assert client.post(newest, {"password": intruder}).status_code == 400  # voided
    assert client.post(again, {"password": owner}).status_code == 302
    user.refresh_from_db()
    assert user.is_active is True and user.check_password(owner)
