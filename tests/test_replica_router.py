"""Anonymous readers of the public surfaces are answered from a replica; every write, staff
page, signed-in reader and job uses the primary (``core.routing``). The tests' replica is
a stand-in: a second connection to the same database (``TEST: {"MIRROR": "default"}``)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from core.routing import ReplicaMiddleware, ReplicaRouter, is_public_read
from partnerships.models import Partnership
from tests import factories


def request(method: str, path: str, user=None):
    made = getattr(RequestFactory(), method.lower())(path)
    made.user = user or AnonymousUser()
    return made


@pytest.mark.parametrize(
    ("method", "path", "public"),
    [
        ("GET", "/", True),
        ("GET", "/partnerships/", True),
        ("HEAD", "/partnerships/", True),
        ("GET", "/agreements/1/", True),
        ("GET", "/api/v1/agreements/?format=csv", True),
        ("GET", "/api/v1/stats/", True),
        ("GET", "/feeds/flags/", True),
        ("GET", "/sitemap.xml", True),
        ("POST", "/api/v1/agreements/", False),
        ("POST", "/partnerships/", False),
        ("GET", "/oversight/", False),
        ("GET", "/admin/", False),
        ("GET", "/accounts/login/", False),
        ("GET", "/healthz", False),
        ("GET", "/no/such/page/", False),
    ],
)
def test_which_requests_may_be_read_on_a_replica(method, path, public):
    assert is_public_read(request(method, path)) is public


@pytest.mark.django_db
def test_a_signed_in_reader_reads_the_primary_even_on_public_pages(ngo_editor):
    assert not is_public_read(request("GET", "/partnerships/", user=ngo_editor))


def test_the_router_sends_a_public_read_to_a_replica_and_writes_to_the_primary(settings):
    settings.DATABASE_REPLICAS = ["replica"]
    router = ReplicaRouter()
    seen = {}

    def view(req):
        seen["read"] = router.db_for_read(Partnership)
        seen["write"] = router.db_for_write(Partnership, instance=Partnership(title="x"))
        seen["read after the write"] = router.db_for_read(Partnership)
        return "answered"

    assert ReplicaMiddleware(view)(request("GET", "/partnerships/")) == "answered"

    assert seen == {"read": "replica", "write": None, "read after the write": None}
    # Outside a request (a job, the shell, a migration): the primary.
    assert router.db_for_read(Partnership) is None
    # A record read on a replica is saved on the primary.
    read_on_replica = Partnership(title="x")
    read_on_replica._state.db = "replica"
    assert router.db_for_write(Partnership, instance=read_on_replica) == "default"


def test_staff_pages_and_forms_read_the_primary(settings):
    settings.DATABASE_REPLICAS = ["replica"]
    router = ReplicaRouter()
    for made in (request("GET", "/oversight/"), request("POST", "/partnerships/")):
        assert ReplicaMiddleware(lambda req: router.db_for_read(Partnership))(made) is None


def test_without_replicas_everything_reads_the_primary():
    router = ReplicaRouter()
    assert (
        ReplicaMiddleware(lambda req: router.db_for_read(Partnership))(
            request("GET", "/partnerships/")
        )
        is None
    )


def test_no_migration_runs_on_a_replica(settings):
    settings.DATABASE_REPLICAS = ["replica_1"]
    router = ReplicaRouter()
    assert router.allow_migrate("default", "partnerships")
    assert not router.allow_migrate("replica_1", "partnerships")
    assert not router.allow_migrate("replica", "partnerships")  # the tests' stand-in


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_an_anonymous_api_list_is_answered_from_the_replica(client, settings, board_member):
    settings.DATABASE_REPLICAS = ["replica"]
    partnership = factories.partnership_with_parties(title="Read on the replica")
    factories.AgreementFactory(partnership=partnership)

    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get("/api/v1/partnerships/")

    assert response.status_code == 200
    assert [item["title"] for item in response.json()["results"]] == ["Read on the replica"]
    assert any("partnerships_partnership" in q["sql"] for q in on_replica.captured_queries)
    assert not any("partnerships_partnership" in q["sql"] for q in on_primary.captured_queries)

    # A board member's dashboard reads the primary.
    client.force_login(board_member)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get("/oversight/").status_code == 200
    assert on_replica.captured_queries == []
