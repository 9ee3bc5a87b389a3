"""The methodology explains incidents and the two flags they raise, in the words of the
rules the flagging job applies."""

import pytest

from oversight.models import Flag
from oversight.rules import rule_of

pytestmark = pytest.mark.django_db


def test_the_methodology_explains_incidents_and_their_flags(client):
    body = client.get("/methodology/").content.decode()

    assert 'id="incidents"' in body
    for kind in (Flag.Kind.BREACH_NOTIFIED_LATE, Flag.Kind.INCIDENT_WITHOUT_REVIEW):
        assert f'id="flag-{kind}"' in body
        assert rule_of(kind).explanation.split(" (")[0][:60] in body
    assert "exactly 72 hours is in time" in body
