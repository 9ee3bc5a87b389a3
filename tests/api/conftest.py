import pytest
from django.core.cache import cache

from tests.public_registry import build_registry


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry(db):
    return build_registry()


@pytest.fixture
def get(client):
    """GET an API path; the JSON of a 200 (or the response, with ``raw=True``)."""

    def _get(path, raw=False, **headers):
        response = client.get(path, headers=headers)
        if raw:
            return response
        assert response.status_code == 200, (response.status_code, response.content[:500])
        return response.json()

    return _get
