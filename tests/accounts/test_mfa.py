"""Second factors: an authenticator app (TOTP) with recovery codes, asked for after the
password; and, while STAFF_MFA_REQUIRED is on, required of editors, oversight members and
administrators before any staff page."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import AuthenticationEvent
from accounts.permissions import must_use_mfa
from partnerships.models import Membership, Visibility
from tests import factories

from .conftest import PASSWORD, enter_code, factor_types, is_logged_in, log_in
from .factors import totp_code

pytestmark = pytest.mark.django_db

# Inside one 30-second step: the code the test computes is the one the site expects.
NOW = dt.datetime(2025, 3, 1, 9, 0, 5, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def confirm_password(client, url: str) -> str:
    """Open ``url``, confirm the password where asked; where it sends to next."""
    asked = client.get(url)
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    return client.post(asked["Location"], {"password": PASSWORD})["Location"]


def kinds(user) -> list[str]:
    return list(
        AuthenticationEvent.objects.filter(user=user).order_by("pk").values_list("kind", flat=True)
    )


class TestWhoMustUseASecondFactor:
    @pytest.mark.parametrize(
        ("persona", "must"),
        [
            ("ngo_editor", True),
            ("police_editor", True),
            ("board_member", True),
            ("superuser", True),
            ("ngo_viewer", False),
            ("anonymous", False),
        ],
    )
    def test_editors_oversight_members_and_administrators(
        self, request, mfa_required, persona, must
    ):
        assert must_use_mfa(request.getfixturevalue(persona)) is must

    def test_any_member_of_an_oversight_organization(self, mfa_required, oversight_body):
        viewer = factories.MembershipFactory(
            organization=oversight_body, role=Membership.Role.VIEWER
        ).user
        assert must_use_mfa(viewer) is True

    def test_a_staff_account_of_the_administration(self, mfa_required):
        assert must_use_mfa(factories.UserFactory(is_staff=True)) is True

    def test_nobody_while_the_setting_is_off(self, ngo_editor, superuser, settings):
        settings.STAFF_MFA_REQUIRED = False
        assert must_use_mfa(ngo_editor) is False
        assert must_use_mfa(superuser) is False


class TestTheRequirement:
    def test_after_login_an_editor_without_a_second_factor_is_sent_to_set_one_up(
        self, client, ngo_editor, mfa_required
    ):
        response = client.post(
            reverse("login"),
            {"login": "ngo_editor", "password": "correct horse battery staple"},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == reverse("mfa_index")
        html = response.content.decode()
        assert "Your account must use two-factor authentication" in html
        assert reverse("mfa_activate_totp") in html

    @pytest.mark.parametrize(
        "url",
        [
            reverse("accounts:dashboard"),
            reverse("partnerships:new"),
            reverse("oversight:dashboard"),
            reverse("agreements:approval_queue"),
            reverse("password_change"),
            reverse("admin:index"),
        ],
    )
    def test_no_staff_page_opens_until_it_is_set_up(self, client, superuser, mfa_required, url):
        client.force_login(superuser)
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302
            assert response["Location"] == reverse("mfa_index")

    def test_the_setup_pages_and_logging_out_stay_open(self, client, ngo_editor, mfa_required):
        client.force_login(ngo_editor)
        assert client.get(reverse("mfa_index")).status_code == 200
        # Freshly logged in by force: the app's page asks to confirm the password first.
        activate = client.get(reverse("mfa_activate_totp"))
        assert activate["Location"].startswith(reverse("account_reauthenticate"))
        assert client.get(activate["Location"]).status_code == 200
        assert client.post(reverse("logout")).status_code == 302
        assert is_logged_in(client) is False

    def test_the_public_pages_stay_open_without_the_accounts_restricted_records(
        self, client, ngo_editor, ngo, mfa_required
    ):
        restricted = factories.partnership_with_parties(
            ngo=ngo, title="Refuge safeguarding protocol", visibility=Visibility.RESTRICTED
        )
        client.force_login(ngo_editor)
        home = client.get(reverse("public:home"))
        assert home.status_code == 200
        assert home.context["user"].is_authenticated is False
        page = client.get(reverse("public:partnership", kwargs={"slug": restricted.slug}))
        assert "Refuge safeguarding protocol" not in page.content.decode()
        assert client.get(reverse("api:root")).status_code == 200

    def test_a_viewer_of_an_organization_is_not_held(self, client, ngo_viewer, mfa_required):
        response = log_in(client, "ngo_viewer")
        assert response["Location"] == reverse("accounts:dashboard")
        assert client.get(reverse("accounts:dashboard")).status_code == 200

    def test_an_account_with_a_second_factor_is_not_held(
        self, client, ngo_editor, editor_factor, mfa_required
    ):
        client.force_login(ngo_editor)
        assert client.get(reverse("accounts:dashboard")).status_code == 200

    def test_nobody_is_held_while_the_setting_is_off(self, client, superuser):
        client.force_login(superuser)
        assert client.get(reverse("accounts:dashboard")).status_code == 200
        assert client.get(reverse("admin:index")).status_code == 200


def test_setting_up_the_app_then_logging_in_asks_for_its_code(
    client, ngo_editor, mfa_required, django_capture_on_commit_callbacks
):
    assert log_in(client, "ngo_editor").status_code == 302
    # Changing a second factor asks for the password again.
    assert confirm_password(client, reverse("mfa_activate_totp")) == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert secret in page.content.decode()  # to type in, where the QR code cannot be scanned

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert factor_types(ngo_editor) == set()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert factor_types(ngo_editor) == {"totp", "recovery_codes"}
    codes = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert len(re.findall(r"\b\d{8}\b", codes)) == 10
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    assert kinds(ngo_editor) == ["factor_added", "factor_added"]
    client.post(reverse("logout"))

    # The password alone no longer logs in: the code is asked for.
    response = log_in(client, "ngo_editor")
    assert response["Location"] == reverse("mfa_authenticate")
    assert is_logged_in(client) is False
    assert client.get(reverse("accounts:dashboard")).status_code == 302
    assert (
        'autocomplete="one-time-code"' in client.get(reverse("mfa_authenticate")).content.decode()
    )

    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        response = enter_code(client, totp_code(secret))
    assert response["Location"] == reverse("accounts:dashboard")
    assert is_logged_in(client) is True


def test_a_wrong_code_is_refused_and_recorded(client, ngo_editor, editor_factor):
    log_in(client, "ngo_editor")
    response = enter_code(client, "123456" if editor_factor.code() != "123456" else "654321")
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert is_logged_in(client) is False
    assert kinds(ngo_editor) == ["code_failed"]


def test_a_code_works_once(client, ngo_editor, editor_factor):
    code = editor_factor.code()
    log_in(client, "ngo_editor")
    assert enter_code(client, code).status_code == 302
    client.post(reverse("logout"))
    log_in(client, "ngo_editor")
    assert enter_code(client, code).status_code == 200
    assert is_logged_in(client) is False


def test_the_next_page_is_reached_after_the_code(client, ngo_editor, editor_factor):
    response = log_in(client, "ngo_editor", next_url=reverse("partnerships:new"))
    assert response["Location"] == reverse("mfa_authenticate")
    response = enter_code(client, editor_factor.code())
    assert response["Location"] == reverse("partnerships:new")


def test_a_recovery_code_logs_in_once(client, ngo_editor, editor_factor):
    recovery_code = editor_factor.recovery_codes[0]
    log_in(client, "ngo_editor")
    response = enter_code(client, recovery_code)
    assert response["Location"] == reverse("accounts:dashboard")
    assert is_logged_in(client) is True
    client.post(reverse("logout"))

    log_in(client, "ngo_editor")
    response = enter_code(client, recovery_code)
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert is_logged_in(client) is False
    # Another of the codes still works.
    assert enter_code(client, editor_factor.recovery_codes[1]).status_code == 302
    assert kinds(ngo_editor) == ["recovery_code_used", "code_failed", "recovery_code_used"]


def test_wrong_codes_lock_the_code_step_with_a_clear_message(
    client, ngo_editor, editor_factor, settings
):
    log_in(client, "ngo_editor")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        enter_code(client, "000000")
    response = enter_code(client, editor_factor.code())
    assert "Too many wrong codes" in response.content.decode()
    assert is_logged_in(client) is False
    assert kinds(ngo_editor)[-1] == "code_locked_out"


def test_removing_the_last_factor_sends_back_to_set_one_up(
    client, ngo_editor, editor_factor, mfa_required
):
    log_in(client, "ngo_editor")
    enter_code(client, editor_factor.code())
    confirm_password(client, reverse("mfa_deactivate_totp"))
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response["Location"] == reverse("mfa_index")
    assert factor_types(ngo_editor) == set()
    assert client.get(reverse("accounts:dashboard"))["Location"] == reverse("mfa_index")
    assert kinds(ngo_editor) == ["factor_removed", "factor_removed"]


def test_a_password_link_does_not_open_an_account_that_has_a_second_factor(
    client, ngo_editor, editor_factor
):
    """The invitation's set-password page takes any password-reset link: it logs in only
    through the code step."""
    uid = urlsafe_base64_encode(force_bytes(ngo_editor.pk))
    token = default_token_generator.make_token(ngo_editor)
    link = reverse("accounts:invitation_accept", kwargs={"uidb64": uid, "token": token})
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {"new_password1": "registry passphrase 9", "new_password2": "registry passphrase 9"},
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert is_logged_in(client) is False
    assert client.get(reverse("accounts:dashboard")).status_code == 302
    assert enter_code(client, editor_factor.code())["Location"] == reverse("accounts:dashboard")


def test_the_pages_are_the_sites(client, ngo_editor, editor_factor):
    client.force_login(ngo_editor)
    html = client.get(reverse("mfa_index")).content.decode()
    assert "Partnership Registry" in html
    assert 'href="/accounts/2fa/"' in html  # the navigation's "Two-factor"
    assert "Authenticator App" in html
    assert "Security Keys" in html
