"""Where a login without ``next`` lands: where the user's work is."""

import pytest

from .conftest import log_in

pytestmark = pytest.mark.django_db


def test_a_board_member_lands_on_the_oversight_dashboard(client, board_member):
    response = log_in(client, "board_member")
    assert response["Location"] == "/oversight/"
    assert client.get("/oversight/").status_code == 200


def test_a_partys_editor_lands_on_their_organizations_page(client, ngo_editor):
    assert log_in(client, "ngo_editor")["Location"] == "/accounts/my-organization/"


def test_next_still_wins(client, board_member):
    assert log_in(client, "board_member", next_url="/partnerships/")["Location"] == (
        "/partnerships/"
    )
