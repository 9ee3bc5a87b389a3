"""Logging in and out, passwords, inviting and removing members, the dashboard."""

import datetime as dt
import json
import re
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from partnerships.models import Membership, MembershipEvent
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_staff_log_in_and_land_on_their_dashboard(client, ngo_editor):
    response = client.post(
        reverse("login"), {"login": ngo_editor.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:dashboard")
    assert "My organization" in response.content.decode()


def test_a_wrong_password_keeps_the_user_name(client, ngo_editor):
    response = client.post(reverse("login"), {"login": "ngo_editor", "password": "nope"})
    assert response.status_code == 200
    assert 'value="ngo_editor"' in response.content.decode()


def test_staff_pages_send_anonymous_users_to_the_login_page(client):
    response = client.get(reverse("partnerships:new"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=" + reverse("partnerships:new")


def test_logging_out_is_a_post(client, ngo_editor):
    client.force_login(ngo_editor)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_password_change(client, ngo_editor):
    client.force_login(ngo_editor)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase 42",
            "new_password2": "a brand new passphrase 42",
        },
    )
    assert response.status_code == 302
    ngo_editor.refresh_from_db()
    assert ngo_editor.check_password("a brand new passphrase 42") is True


def test_password_reset_sends_a_link_by_email(client, ngo_editor):
    response = client.post(reverse("password_reset"), {"email": ngo_editor.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_there_is_no_self_registration(client):
    from django.urls import NoReverseMatch

    for name in ("register", "signup", "accounts:register", "accounts:signup"):
        with pytest.raises(NoReverseMatch):
            reverse(name)


class TestInvitations:
    def invite(self, client, organization, email="new.colleague@example.org", role="viewer"):
        return client.post(
            reverse("accounts:member_invite", kwargs={"slug": organization.slug}),
            {"email": email, "role": role},
        )

    def test_an_editor_invites_a_colleague_who_sets_a_password_once(self, client, ngo_editor, ngo):
        client.force_login(ngo_editor)
        response = self.invite(client, ngo, role="editor")
        assert response.status_code == 302
        user = get_user_model().objects.get(email="new.colleague@example.org")
        assert user.has_usable_password() is False
        assert Membership.objects.get(user=user).organization == ngo
        assert Membership.objects.get(user=user).role == "editor"
        assert len(mail.outbox) == 1
        link = re.search(r"http://testserver(/accounts/invitations/\S+)", mail.outbox[0].body)[1]

        client.logout()
        page = client.get(link, follow=True)
        assert page.status_code == 200
        assert "set your password" in page.content.decode()
        set_password_url = page.redirect_chain[-1][0]
        response = client.post(
            set_password_url,
            {"new_password1": "registry passphrase 9", "new_password2": "registry passphrase 9"},
        )
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.check_password("registry passphrase 9") is True
        # Logged in now, and the link is spent.
        assert client.get(reverse("accounts:dashboard")).status_code == 200
        client.logout()
        again = client.get(link, follow=True)
        assert "This link no longer works" in again.content.decode()

    def test_inviting_a_member_twice_is_a_field_error(self, client, ngo_editor, ngo, ngo_viewer):
        client.force_login(ngo_editor)
        response = self.invite(client, ngo, email=ngo_viewer.email)
        assert response.status_code == 200
        assert "already a member" in response.context["form"].errors["email"][0]
        assert len(mail.outbox) == 0

    def test_viewers_do_not_invite(self, client, ngo_viewer, ngo):
        client.force_login(ngo_viewer)
        assert self.invite(client, ngo).status_code == 403
        assert len(mail.outbox) == 0


def memberships_of(user) -> list[tuple[int, str]]:
    return sorted(Membership.objects.filter(user=user).values_list("organization", "role"))


def join_link(message) -> str:
    return re.search(r"http://testserver(/accounts/join/\S+/)", message.body)[1]


class TestInvitingAnExistingAccount:
    """An address that already has an account is asked, never attached: the account joins
    only when its owner accepts, signed in."""

    @pytest.fixture
    def invitation(self, client, ngo_editor, ngo, board_member):
        """The NGO's editor invites the board member as an editor; then logs out."""
        client.force_login(ngo_editor)
        response = client.post(
            reverse("accounts:member_invite", kwargs={"slug": ngo.slug}),
            {"email": board_member.email, "role": "editor"},
        )
        assert response.status_code == 302
        client.logout()
        return join_link(mail.outbox[-1])

    @pytest.mark.parametrize("invitee", ["board_member", "superuser"])
    def test_inviting_another_organizations_account_adds_nobody_and_asks_them(
        self, client, request, ngo_editor, ngo, invitee
    ):
        account = request.getfixturevalue(invitee)
        before = memberships_of(account)
        client.force_login(ngo_editor)
        response = client.post(
            reverse("accounts:member_invite", kwargs={"slug": ngo.slug}),
            {"email": account.email.upper(), "role": "editor"},
        )
        assert response.status_code == 302
        assert Membership.objects.filter(user=account, organization=ngo).exists() is False
        assert memberships_of(account) == before
        account.refresh_from_db()
        assert account.has_usable_password() is True
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == [account.email]
        assert "Nothing changes until you accept" in mail.outbox[0].body
        assert join_link(mail.outbox[0]).startswith("/accounts/join/")

    def test_the_inviting_editor_is_told_the_same_whether_or_not_the_address_has_an_account(
        self, client, ngo_editor, ngo, board_member
    ):
        client.force_login(ngo_editor)
        told = []
        for email in (board_member.email, "new.colleague@example.org"):
            response = client.post(
                reverse("accounts:member_invite", kwargs={"slug": ngo.slug}),
                {"email": email, "role": "viewer"},
                follow=True,
            )
            told.append([str(m).replace(email, "EMAIL") for m in response.context["messages"]])
        assert told[0] == told[1] == ["Invitation sent to EMAIL, to join as viewer."]

    def test_the_invited_account_signed_in_accepts_and_joins_with_the_invited_role(
        self, client, invitation, ngo, board_member, oversight_body
    ):
        client.force_login(board_member)
        page = client.get(invitation)
        assert page.status_code == 200
        assert "Join Safe Harbour Women&#x27;s Aid as editor?" in page.content.decode()
        assert Membership.objects.filter(user=board_member, organization=ngo).exists() is False

        response = client.post(invitation)
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:dashboard")
        assert Membership.objects.get(user=board_member, organization=ngo).role == "editor"
        assert Membership.objects.filter(user=board_member, organization=oversight_body).exists()
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            "You are a member of Safe Harbour Women's Aid as editor."
        ]

    def test_the_audit_trail_names_the_accepting_account_as_who_joined(
        self, client, invitation, ngo, board_member
    ):
        client.force_login(board_member)
        client.post(invitation)
        membership = Membership.objects.get(user=board_member, organization=ngo)
        created = MembershipEvent.objects.get(pgh_obj_id=membership.pk, pgh_label="create")
        assert created.pgh_context["user"] == board_member.pk

    @pytest.mark.parametrize("someone_else", ["ngo_editor", "other_ngo_editor", "superuser"])
    def test_another_signed_in_account_is_refused_and_nothing_is_created(
        self, client, request, invitation, ngo, board_member, someone_else
    ):
        someone = request.getfixturevalue(someone_else)
        before = memberships_of(someone)
        client.force_login(someone)
        page = client.get(invitation)
        assert page.status_code == 403
        assert "This invitation is for another account" in page.content.decode()
        assert client.post(invitation).status_code == 403
        assert Membership.objects.filter(user=board_member, organization=ngo).exists() is False
        assert memberships_of(someone) == before

    def test_an_anonymous_visitor_is_sent_to_log_in_and_comes_back_to_the_question(
        self, client, invitation, ngo, board_member
    ):
        login = reverse("login") + "?next=" + quote(invitation, safe="/")
        for response in (client.get(invitation), client.post(invitation)):
            assert response.status_code == 302
            assert response["Location"] == login
        assert Membership.objects.filter(user=board_member, organization=ngo).exists() is False

        response = client.post(
            login, {"login": board_member.username, "password": PASSWORD}, follow=True
        )
        assert response.redirect_chain[-1][0] == invitation
        assert "Join Safe Harbour Women&#x27;s Aid as editor?" in response.content.decode()

    def test_a_tampered_link_says_so_and_creates_nothing(
        self, client, invitation, ngo, other_ngo, board_member
    ):
        token = invitation.split("/")[-2]
        payload, signed_rest = token.split(":", 1)
        data = json.loads(signing.b64_decode(payload.encode()))
        data["o"] = other_ngo.pk
        another_organization = signing.b64_encode(json.dumps(data).encode()).decode()
        client.force_login(board_member)
        for tampered in (
            invitation.replace(token, f"{another_organization}:{signed_rest}"),
            invitation.replace(token, token[:-5]),
        ):
            for response in (client.get(tampered), client.post(tampered)):
                assert response.status_code == 200
                assert "This is not a valid invitation link" in response.content.decode()
        joined = Membership.objects.filter(user=board_member, organization__in=[ngo, other_ngo])
        assert joined.exists() is False

    def test_a_link_works_until_it_expires_and_then_says_so(
        self, client, invitation, ngo, board_member
    ):
        client.force_login(board_member)
        now = dt.datetime.now(dt.UTC)
        lifetime = dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
        with time_machine.travel(now + lifetime - dt.timedelta(minutes=1), tick=False):
            assert "as editor?" in client.get(invitation).content.decode()
        with time_machine.travel(now + lifetime + dt.timedelta(minutes=1), tick=False):
            for response in (client.get(invitation), client.post(invitation)):
                assert response.status_code == 200
                assert "This invitation has expired" in response.content.decode()
        assert Membership.objects.filter(user=board_member, organization=ngo).exists() is False

    def test_accepting_twice_makes_one_membership(self, client, invitation, ngo, board_member):
        client.force_login(board_member)
        client.post(invitation)
        Membership.objects.filter(user=board_member, organization=ngo).update(role="viewer")
        assert client.post(invitation).status_code == 302
        assert Membership.objects.filter(user=board_member, organization=ngo).count() == 1
        # The role an editor has since given them stays.
        assert Membership.objects.get(user=board_member, organization=ngo).role == "viewer"
        assert "You are already a member" in client.get(invitation).content.decode()

    def test_a_removed_member_cannot_use_the_link_again(
        self, client, invitation, ngo, ngo_editor, board_member
    ):
        client.force_login(board_member)
        client.post(invitation)
        membership = Membership.objects.get(user=board_member, organization=ngo)
        client.force_login(ngo_editor)
        client.post(
            reverse("accounts:member_remove", kwargs={"slug": ngo.slug, "pk": membership.pk})
        )
        client.force_login(board_member)
        response = client.post(invitation)
        assert response.status_code == 200
        assert "This invitation has been used already" in response.content.decode()
        assert Membership.objects.filter(user=board_member, organization=ngo).exists() is False

    def test_the_invitation_lapses_when_its_inviter_stops_managing_members(
        self, client, invitation, ngo, ngo_editor, board_member
    ):
        Membership.objects.filter(user=ngo_editor, organization=ngo).update(role="viewer")
        client.force_login(board_member)
        response = client.post(invitation)
        assert response.status_code == 200
        assert "This invitation was withdrawn" in response.content.decode()
        assert Membership.objects.filter(user=board_member, organization=ngo).exists() is False

    def test_accepting_needs_the_forms_csrf_token(self, invitation, ngo, board_member):
        client = Client(enforce_csrf_checks=True)
        client.force_login(board_member)
        assert client.post(invitation).status_code == 403
        assert Membership.objects.filter(user=board_member, organization=ngo).exists() is False
        page = client.get(invitation)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
        assert client.post(invitation, {"csrfmiddlewaretoken": token[1]}).status_code == 302
        assert Membership.objects.filter(user=board_member, organization=ngo).exists() is True

    def test_an_account_that_never_set_its_password_gets_both_links(
        self, client, ngo_editor, ngo, other_ngo_editor, other_ngo
    ):
        client.force_login(ngo_editor)
        client.post(
            reverse("accounts:member_invite", kwargs={"slug": ngo.slug}),
            {"email": "new.colleague@example.org", "role": "viewer"},
        )
        newcomer = get_user_model().objects.get(email="new.colleague@example.org")
        client.force_login(other_ngo_editor)
        client.post(
            reverse("accounts:member_invite", kwargs={"slug": other_ngo.slug}),
            {"email": "new.colleague@example.org", "role": "editor"},
        )
        assert memberships_of(newcomer) == [(ngo.pk, "viewer")]
        body = mail.outbox[-1].body
        password_link = re.search(r"http://testserver(/accounts/invitations/\S+)", body)[1]
        accept_link = join_link(mail.outbox[-1])

        client.logout()
        set_password_url = client.get(password_link, follow=True).redirect_chain[-1][0]
        client.post(
            set_password_url,
            {"new_password1": "registry passphrase 9", "new_password2": "registry passphrase 9"},
        )
        assert client.post(accept_link).status_code == 302
        assert memberships_of(newcomer) == sorted([(ngo.pk, "viewer"), (other_ngo.pk, "editor")])


class TestMemberRemoval:
    def url(self, membership):
        return reverse(
            "accounts:member_remove",
            kwargs={"slug": membership.organization.slug, "pk": membership.pk},
        )

    def test_an_editor_removes_a_member_of_their_organization(
        self, client, ngo_editor, ngo_viewer, ngo
    ):
        membership = Membership.objects.get(user=ngo_viewer, organization=ngo)
        client.force_login(ngo_editor)
        assert client.post(self.url(membership)).status_code == 302
        assert not Membership.objects.filter(pk=membership.pk).exists()
        assert get_user_model().objects.filter(pk=ngo_viewer.pk).exists()

    def test_not_a_member_of_another_organization(self, client, ngo_editor, other_ngo_editor):
        membership = Membership.objects.get(user=other_ngo_editor)
        client.force_login(ngo_editor)
        assert client.post(self.url(membership)).status_code == 403
        assert Membership.objects.filter(pk=membership.pk).exists()

    def test_the_last_editor_stays(self, client, ngo_editor, ngo):
        membership = Membership.objects.get(user=ngo_editor, organization=ngo)
        client.force_login(ngo_editor)
        response = client.post(self.url(membership), follow=True)
        assert "last editor" in response.content.decode()
        assert Membership.objects.filter(pk=membership.pk).exists()


class TestDashboard:
    def test_it_lists_the_organizations_partnerships_with_review_and_flags(
        self, client, ngo_editor, partnership
    ):
        agreement = factories.AgreementFactory(partnership=partnership)
        agreement.next_review_due = agreement.compute_next_review_due()
        agreement.save()
        factories.FlagFactory(agreement=agreement)
        factories.partnership_with_parties(title="Not ours")
        client.force_login(ngo_editor)
        response = client.get(reverse("accounts:dashboard"))
        html = response.content.decode()
        assert partnership.title in html
        assert "Not ours" not in html
        assert agreement.next_review_due.strftime("%-d %b %Y") in html
        row = response.context["partnerships"][0]
        assert row.open_flag_count == 1
        assert row.can_edit is True

    def test_a_viewer_sees_no_edit_link(self, client, ngo_viewer, partnership):
        client.force_login(ngo_viewer)
        response = client.get(reverse("accounts:dashboard"))
        assert response.context["partnerships"][0].can_edit is False
        assert reverse("partnerships:edit", kwargs={"slug": partnership.slug}) not in (
            response.content.decode()
        )
