"""Logging in and out, passwords, inviting and removing members, the dashboard."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from partnerships.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_staff_log_in_and_land_on_their_dashboard(client, ngo_editor):
    response = client.post(
        reverse("login"), {"username": ngo_editor.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:dashboard")
    assert "My organization" in response.content.decode()


def test_a_wrong_password_keeps_the_user_name(client, ngo_editor):
    response = client.post(reverse("login"), {"username": "ngo_editor", "password": "nope"})
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

    def test_an_existing_account_is_added_and_told(self, client, ngo_editor, ngo, other_ngo_editor):
        client.force_login(ngo_editor)
        self.invite(client, ngo, email=other_ngo_editor.email)
        assert Membership.objects.filter(user=other_ngo_editor, organization=ngo).exists()
        assert "Log in with your existing account" in mail.outbox[0].body

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
