"""A record's public history in the API is a list built in memory, not a queryset: it keeps
page numbers (no cursor), on every ``<id>/history/`` endpoint."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from agreements.models import Agreement
from incidents.models import Incident
from partnerships.models import Partnership
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def records(partnership):
    """A public partnership, agreement and incident, each changed after it was created."""
    agreement = factories.AgreementFactory(partnership=partnership, title="Referral MOU")
    incident = factories.IncidentFactory(agreements=[agreement])
    Partnership.objects.filter(pk=partnership.pk).update(title="Safe referrals, renamed")
    Agreement.objects.filter(pk=agreement.pk).update(status="terminated")
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.UNDER_INVESTIGATION)
    return {"partnership": partnership, "agreement": agreement, "incident": incident}


@pytest.mark.parametrize("kind", ["partnership", "agreement", "incident"])
def test_a_history_pages_by_number_and_refuses_a_cursor(client, records, kind):
    url = reverse(f"api:{kind}-history", kwargs={"pk": records[kind].pk})

    whole = client.get(url)
    first = client.get(url, {"page_size": 1})
    second = client.get(url, {"page_size": 1, "page": 2})

    assert whole.status_code == 200
    total = whole.json()["count"]
    assert total >= 2
    assert first.status_code == second.status_code == 200
    assert first.json()["count"] == total
    assert first.json()["previous"] is None
    assert "page=2" in first.json()["next"]
    assert second.json()["previous"] is not None
    assert first.json()["results"] + second.json()["results"] == whole.json()["results"][:2]
    assert client.get(url, {"page_size": 1, "page": total + 1}).status_code == 404
    cursor = client.get(url, {"cursor": "abc"})
    assert cursor.status_code == 400
    assert "cursor" in cursor.json()
    bad_page = client.get(url, {"page": "zero"})
    assert bad_page.status_code == 400
    assert "page" in bad_page.json()
