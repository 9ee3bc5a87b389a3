import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from alerts.matching import CURSOR
from alerts.models import Alert, Follower, MatchCursor
from audit.chain import audit_chain_head


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The sign-up's rate limits count in the cache: each test starts uncounted."""
    cache.clear()
    yield
    cache.clear()


def make_follower(email: str = "reader@example.org") -> Follower:
    user = get_user_model().objects.create_user(username=email, email=email, password="x")
    return Follower.objects.create(user=user, confirmed_at=timezone.now())


@pytest.fixture
def follower():
    return make_follower()


def make_alert(follower, query: str, *, kind=Alert.Kind.PARTNERSHIPS, frequency="immediately"):
    return Alert.objects.create(
        follower=follower, kind=kind, query=query, name=query or "everything", frequency=frequency
    )


def start_cursor_now() -> None:
    """The job has read the audit log up to now: only later changes are matched."""
    head = audit_chain_head()
    MatchCursor.objects.update_or_create(
        name=CURSOR, defaults={"last_seq": head.seq if head else 0}
    )
