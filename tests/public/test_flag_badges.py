"""A flag's badge is a link to the flag's page, wherever it is shown."""

import re

import pytest
from django.urls import reverse

from oversight.models import Flag
from tests import factories

pytestmark = pytest.mark.django_db


def flag_badges(html: str) -> list[tuple[str, str]]:
    """(href, text) of every badge that names a kind of flag."""
    kinds = "|".join(re.escape(str(label)) for label in Flag.Kind.labels)
    return re.findall(rf'<a href="([^"]+)" class="badge[^"]*">({kinds})</a>', html) + [
        ("", text) for text in re.findall(rf'<span class="badge[^"]*">({kinds})</span>', html)
    ]


def assert_badges_link_to_flags(html: str, flags) -> None:
    badges = flag_badges(html)
    assert badges, "no flag badge on the page"
    hrefs = {reverse("oversight:flag_detail", kwargs={"pk": flag.pk}) for flag in flags}
    for href, text in badges:
        assert href in hrefs, f"the badge {text!r} does not link to its flag"


def test_on_the_partnership_page(client, public_registry):
    html = client.get(public_registry.partnership.get_absolute_url()).content.decode()
    assert_badges_link_to_flags(html, public_registry.agreement.flags.all())


def test_on_the_agreement_page(client, public_registry):
    html = client.get(public_registry.agreement.get_absolute_url()).content.decode()
    assert_badges_link_to_flags(html, public_registry.agreement.flags.all())


def test_on_the_registry(client, public_registry):
    html = client.get(reverse("public:registry")).content.decode()
    assert_badges_link_to_flags(html, Flag.objects.public().open())


def test_on_the_oversight_dashboard(client, public_registry):
    member = factories.MembershipFactory(organization=factories.OversightBodyFactory()).user
    client.force_login(member)
    html = client.get(reverse("oversight:dashboard")).content.decode()
    assert_badges_link_to_flags(html, Flag.objects.filter(resolved_at=None))


def test_the_badge_leads_to_the_flags_page(client, public_registry):
    flag = public_registry.agreement.flags.get(resolved_at=None)
    response = client.get(reverse("oversight:flag_detail", kwargs={"pk": flag.pk}))
    assert response.status_code == 200
    assert flag.get_kind_display() in response.content.decode()
