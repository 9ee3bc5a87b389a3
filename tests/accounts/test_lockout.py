"""The login lockout: LOGIN_FAILURE_LIMIT wrong passwords for one user name from one client
lock that name out from that client for LOGIN_LOCKOUT_MINUTES, the right password too; the
administration's login is the same login."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import NoReverseMatch, reverse

from accounts.models import AuthenticationEvent, AuthenticationEventEvent

from .conftest import PASSWORD, is_logged_in, log_in

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed attempts to log in to this account"


def fail(client, username: str, times: int, **extra) -> None:
    for _ in range(times):
        response = log_in(client, username, "not the password", **extra)
        assert response.status_code == 200
        assert is_logged_in(client) is False


def test_the_defaults_lock_after_five_failures_for_fifteen_minutes():
    assert settings.LOGIN_FAILURE_LIMIT == 5
    assert settings.LOGIN_LOCKOUT_MINUTES == 15
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"] == "5/15m/key,20/1m/ip"


def test_a_wrong_password_says_so_and_keeps_the_user_name(client, ngo_editor):
    response = log_in(client, "ngo_editor", "not the password")
    html = response.content.decode()
    assert "The username and/or password you specified are not correct." in html
    assert 'value="ngo_editor"' in html
    assert LOCKED not in html


def test_failures_below_the_limit_leave_the_right_password_working(client, ngo_editor):
    fail(client, "ngo_editor", settings.LOGIN_FAILURE_LIMIT - 1)
    response = log_in(client, "ngo_editor")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:dashboard")
    assert is_logged_in(client) is True


def test_after_the_limit_the_right_password_is_refused_with_a_clear_message(client, ngo_editor):
    fail(client, "ngo_editor", settings.LOGIN_FAILURE_LIMIT)

    response = log_in(client, "ngo_editor")

    assert response.status_code == 200
    html = response.content.decode()
    assert LOCKED in html
    assert "locked for up to 15 minutes" in html
    assert is_logged_in(client) is False
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_fifty_wrong_passwords_then_the_right_one_do_not_log_in(client, ngo_editor):
    for _ in range(50):
        log_in(client, "ngo_editor", "not the password")
    response = log_in(client, "ngo_editor")
    assert response.status_code in (200, 429)
    assert is_logged_in(client) is False


def test_the_lockout_lifts_once_the_failures_are_older_than_the_lockout(client, ngo_editor):
    start = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        fail(client, "ngo_editor", settings.LOGIN_FAILURE_LIMIT)
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert LOCKED in log_in(client, "ngo_editor").content.decode()
        assert is_logged_in(client) is False
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert log_in(client, "ngo_editor").status_code == 302
        assert is_logged_in(client) is True


def test_another_user_name_from_the_same_address_is_not_locked(
    client, ngo_editor, other_ngo_editor
):
    fail(client, "ngo_editor", settings.LOGIN_FAILURE_LIMIT)
    assert LOCKED in log_in(client, "ngo_editor").content.decode()

    response = log_in(client, "other_ngo_editor")

    assert response.status_code == 302
    assert is_logged_in(client) is True


def test_the_same_user_name_from_another_address_is_not_locked(client, ngo_editor):
    fail(client, "ngo_editor", settings.LOGIN_FAILURE_LIMIT, REMOTE_ADDR="203.0.113.7")
    assert LOCKED in log_in(client, "ngo_editor", REMOTE_ADDR="203.0.113.7").content.decode()

    assert log_in(client, "ngo_editor", REMOTE_ADDR="198.51.100.20").status_code == 302
    assert is_logged_in(client) is True


def test_the_user_name_is_counted_whatever_its_case(client, ngo_editor):
    fail(client, "NGO_Editor", settings.LOGIN_FAILURE_LIMIT)
    assert LOCKED in log_in(client, "ngo_editor").content.decode()


def test_the_addresses_of_one_ipv6_network_count_as_one_client(client, ngo_editor):
    for host in range(1, settings.LOGIN_FAILURE_LIMIT + 1):
        fail(client, "ngo_editor", 1, REMOTE_ADDR=f"2001:db8:1:2::{host}")
    response = log_in(client, "ngo_editor", REMOTE_ADDR="2001:db8:1:2::99")
    assert LOCKED in response.content.decode()
    assert log_in(client, "ngo_editor", REMOTE_ADDR="2001:db8:1:3::1").status_code == 302


def test_one_address_is_refused_past_its_failures_per_minute_whatever_the_name(
    client, ngo_editor, settings
):
    # Password spraying: one wrong password for each of many names.
    for n in range(settings.LOGIN_ADDRESS_FAILURES_PER_MINUTE):
        log_in(client, f"someone-{n}", "Summer2025!")
    assert LOCKED in log_in(client, "ngo_editor").content.decode()
    assert log_in(client, "ngo_editor", REMOTE_ADDR="198.51.100.20").status_code == 302


def test_behind_a_proxy_the_client_is_the_address_the_proxy_reports(client, ngo_editor, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    fail(
        client,
        "ngo_editor",
        settings.LOGIN_FAILURE_LIMIT,
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        **proxy,
    )
    refused = log_in(client, "ngo_editor", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert LOCKED in refused.content.decode()
    # A colleague elsewhere, through the same proxy; and a forged first entry changes nothing.
    assert (
        log_in(client, "ngo_editor", HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy).status_code
        == 302
    )
    client.logout()
    forged = log_in(client, "ngo_editor", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", **proxy)
    assert LOCKED in forged.content.decode()


def test_a_new_password_from_the_emailed_link_lifts_the_lockout(client, ngo_editor):
    fail(client, "ngo_editor", settings.LOGIN_FAILURE_LIMIT)
    client.post(reverse("password_reset"), {"email": ngo_editor.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body)[1]
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {
            "new_password1": "a brand new passphrase 42",
            "new_password2": "a brand new passphrase 42",
        },
    )
    assert response.status_code == 302

    assert log_in(client, "ngo_editor", "a brand new passphrase 42").status_code == 302
    assert is_logged_in(client) is True


class TestTheRecord:
    def test_each_failure_and_each_refusal_is_recorded_with_the_account_and_address(
        self, client, ngo_editor
    ):
        fail(client, "ngo_editor", settings.LOGIN_FAILURE_LIMIT)
        log_in(client, "ngo_editor")
        log_in(client, "ngo_editor")

        events = AuthenticationEvent.objects.order_by("pk")
        assert [e.kind for e in events] == ["password_failed"] * 5 + ["password_locked_out"] * 2
        assert {(e.user_id, e.username, e.ip_address) for e in events} == {
            (ngo_editor.pk, "ngo_editor", "127.0.0.1")
        }

    def test_a_name_that_names_no_account_is_not_kept(self, client, ngo_editor):
        # Someone typed their password in the user name field.
        log_in(client, PASSWORD, "ngo_editor")
        event = AuthenticationEvent.objects.get()
        assert (event.kind, event.user, event.username) == ("password_failed", None, "")
        assert event.ip_address == "127.0.0.1"

    def test_a_successful_login_records_nothing(self, client, ngo_editor):
        log_in(client, "ngo_editor")
        assert AuthenticationEvent.objects.count() == 0

    def test_the_audit_trail_chains_each_record_with_the_login_page_as_context(
        self, client, ngo_editor
    ):
        fail(client, "ngo_editor", 2)
        events = AuthenticationEventEvent.objects.order_by("pgh_seq")
        assert [e.pgh_label for e in events] == ["create", "create"]
        assert events[0].kind == "password_failed"
        assert events[0].pgh_context["url"] == reverse("login")
        assert events[1].pgh_prev_hash == events[0].pgh_hash


class TestTheAdministrationLogin:
    def test_it_sends_to_the_site_login_coming_back_to_the_administration(self, client):
        response = client.get(reverse("admin:login"))
        assert response.status_code == 302
        assert response["Location"] == reverse("login") + "?next=/admin/"

        response = client.get(reverse("admin:index"), follow=True)
        assert response.redirect_chain[-1][0] == reverse("login") + "?next=/admin/"

    def test_its_next_is_kept_and_an_outside_one_dropped(self, client):
        wanted = reverse("admin:index") + "agreements/agreement/"
        response = client.get(reverse("admin:login"), {"next": wanted})
        assert response["Location"] == reverse("login") + "?next=" + wanted
        response = client.get(reverse("admin:login"), {"next": "https://evil.example/"})
        assert response["Location"] == reverse("login") + "?next=/admin/"

    def test_posting_a_password_to_it_never_logs_in(self, client, superuser):
        response = client.post(
            reverse("admin:login"), {"username": "site_admin", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert is_logged_in(client) is False
        assert client.get(reverse("admin:index")).status_code == 302

    def test_an_administrator_logs_in_through_the_site_login_and_lands_on_the_index(
        self, client, superuser
    ):
        response = log_in(client, "site_admin", next_url="/admin/")
        assert response["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200
        # Signed in, the administration's login page goes on to the administration.
        assert client.get(reverse("admin:login"))["Location"] == "/admin/"

    def test_the_lockout_holds_on_the_way_in_to_the_administration(self, client, superuser):
        fail(client, "site_admin", settings.LOGIN_FAILURE_LIMIT)
        login_page = client.get(reverse("admin:login"), follow=True).redirect_chain[-1][0]
        response = client.post(login_page, {"login": "site_admin", "password": PASSWORD})
        assert LOCKED in response.content.decode()
        assert is_logged_in(client) is False
        assert client.get(reverse("admin:index")).status_code == 302

    def test_a_signed_in_account_without_access_is_refused(self, client, ngo_editor):
        client.force_login(ngo_editor)
        assert client.get(reverse("admin:login")).status_code == 403


def test_there_is_no_sign_up(client):
    with pytest.raises(NoReverseMatch):
        reverse("account_signup")
    assert client.get("/accounts/signup/").status_code == 404
    # Nor django-allauth's e-mail and password pages beside the registry's.
    for path in ("/accounts/email/", "/accounts/password/change/", "/accounts/password/reset/"):
        assert client.get(path).status_code == 404


def test_administrators_read_the_record_in_the_administration(client, superuser, ngo_editor):
    fail(client, "ngo_editor", 1)
    client.force_login(superuser)
    url = reverse("admin:accounts_authenticationevent_changelist")
    response = client.get(url)
    assert response.status_code == 200
    assert "Wrong user name or password" in response.content.decode()
    assert client.get(reverse("admin:accounts_authenticationevent_add")).status_code == 403
    event = AuthenticationEvent.objects.get()
    change = reverse("admin:accounts_authenticationevent_change", args=[event.pk])
    assert client.post(change, {"kind": "factor_added"}).status_code == 403
    assert AuthenticationEvent.objects.get().kind == "password_failed"
