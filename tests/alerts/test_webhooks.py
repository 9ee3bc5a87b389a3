"""Webhooks: signed per Standard Webhooks (checked by the ``standardwebhooks`` package's own
verifier), the public shape, retries with back-off and disabling against a fake endpoint
on 127.0.0.1, SSRF refusal, secret rotation, test events, and a worker on Redis."""

import datetime as dt
import json
import runpy
import socket
import ssl
import threading
import time
import uuid
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from alerts import webhooks
from alerts.matching import alerts_match, alerts_send
from alerts.models import WebhookDelivery, WebhookEndpoint
from config.celery import app as celery_app
from partnerships.models import Partnership
from tests import factories
from tests.alerts.conftest import make_alert, make_follower, start_cursor_now
from tests.alerts.receiver import fake_endpoint
from tests.publication.withheld import withhold

pytestmark = pytest.mark.django_db


def change(partnership, **values):
    Partnership.objects.filter(pk=partnership.pk).update(**values)


@pytest.fixture
def public_dns(monkeypatch):
    """example.org resolves to a public address (the tests have no DNS)."""
    resolve = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "example.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def followed(follower, partnership):
    return make_alert(follower, f"partnership={partnership.slug}")


def queue_a_change(partnership, now=None):
    start_cursor_now()
    change(partnership, title="Harbour referrals, renewed")
    alerts_match(now=now or timezone.now())


def test_a_matched_change_is_posted_signed_in_the_public_shape(client, followed, partnership):
    with fake_endpoint(200) as receiver:
        endpoint = webhooks.endpoint_create(alert=followed, url=receiver.url)
        queue_a_change(partnership)
        assert webhooks.webhooks_deliver() == {"delivered": 1, "failed": 0}

    [request] = receiver.requests
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload["type"] == "partnership.changed"
    assert payload["data"]["id"] == partnership.pk
    assert payload["data"]["title"] == "Harbour referrals, renewed"
    api = client.get(reverse("api:partnership-detail", kwargs={"pk": partnership.pk})).json()
    assert set(payload["data"]) == set(api)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_webhook_secret()).verify(request.body, request.headers)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("delivered", 200)
    assert request.headers["webhook-id"] == delivery.message_id


def test_a_withheld_value_is_never_posted(followed, partnership):
    withhold(partnership, "objectives")
    with fake_endpoint(200) as receiver:
        webhooks.endpoint_create(alert=followed, url=receiver.url)
        start_cursor_now()
        change(partnership, objectives="SENTINEL-OBJECTIVES")
        alerts_match(now=timezone.now())
        webhooks.webhooks_deliver()
    assert b"SENTINEL" not in receiver.requests[0].body


def test_a_retry_keeps_its_webhook_id_and_body(followed, partnership):
    now = timezone.now()
    with fake_endpoint(503, 200) as receiver:
        webhooks.endpoint_create(alert=followed, url=receiver.url)
        queue_a_change(partnership, now)
        assert webhooks.webhooks_deliver(now=now)["failed"] == 1
        # Not before its back-off (5 s), then again.
        assert webhooks.webhooks_deliver(now=now + dt.timedelta(seconds=4)) == {
            "delivered": 0,
            "failed": 0,
        }
        assert webhooks.webhooks_deliver(now=now + dt.timedelta(seconds=5))["delivered"] == 1
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(WebhookDelivery.objects.get().last_response) <= 300


def test_a_failing_endpoint_is_retried_with_back_off_then_disabled_and_its_owner_told(
    followed, partnership
):
    now = timezone.now()
    with fake_endpoint(500) as receiver:
        endpoint = webhooks.endpoint_create(alert=followed, url=receiver.url)
        queue_a_change(partnership, now)
        at = now
        for delay in [dt.timedelta(0), *webhooks.RETRY_DELAYS]:
            at += delay
            assert webhooks.webhooks_deliver(now=at)["failed"] == 1
        assert len(receiver.requests) == webhooks.ATTEMPTS == 8
        endpoint.refresh_from_db()
        assert endpoint.disabled_at == at
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.last_status_code) == ("failed", 500)
        # Told once after 3 failures in a row, once when disabled.
        assert [m.subject for m in mail.outbox] == [
            "Your webhook endpoint is failing",
            "Your webhook endpoint is disabled",
        ]
        # A disabled endpoint gets nothing more.
        webhooks.endpoint_send_test(endpoint=endpoint, now=at)
        assert webhooks.webhooks_deliver(now=at + dt.timedelta(days=1))["failed"] == 0
        assert len(receiver.requests) == 8


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "ftp://example.org/hook",
    ],
)
def test_an_endpoint_on_a_private_loopback_or_link_local_address_is_refused(
    followed, settings, url
):
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    with pytest.raises(ValidationError):
        webhooks.endpoint_create(alert=followed, url=url)
    assert WebhookEndpoint.objects.count() == 0


def test_an_address_that_turned_private_is_refused_at_delivery(followed, partnership, settings):
    with fake_endpoint(200) as receiver:
        webhooks.endpoint_create(alert=followed, url=receiver.url)
        queue_a_change(partnership)
        settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
        assert webhooks.webhooks_deliver()["failed"] == 1
    assert receiver.requests == []
    assert "private" in WebhookDelivery.objects.get().last_response


def test_after_a_rotation_both_secrets_verify_for_24_hours(followed, public_dns):
    endpoint = webhooks.endpoint_create(alert=followed, url="https://example.org/hook")
    old = endpoint.secret
    now = timezone.now()
    new = webhooks.endpoint_rotate_secret(endpoint=endpoint, now=now)
    delivery = WebhookDelivery(endpoint=endpoint, message_id="msg_1", body='{"a": 1}')

    headers = webhooks.signed_headers(delivery, timezone.now())
    assert Webhook(old).verify(delivery.body, headers) == {"a": 1}
    assert Webhook(new).verify(delivery.body, headers) == {"a": 1}
    later = webhooks.signed_headers(delivery, now + dt.timedelta(hours=24))
    assert len(later["webhook-signature"].split(" ")) == 1


def test_the_test_event_button_and_send_again(client, followed):
    with fake_endpoint(200) as receiver:
        endpoint = webhooks.endpoint_create(alert=followed, url=receiver.url)
        client.force_login(followed.follower.user)
        page = reverse("alerts:webhook", kwargs={"pk": endpoint.pk})
        assert client.post(page, {"action": "test"}).status_code == 302
        webhooks.webhooks_deliver()
        delivery = WebhookDelivery.objects.get()
        assert client.post(page, {"action": "resend", "delivery": delivery.pk}).status_code == 302
        webhooks.webhooks_deliver()
        log = client.get(page).content.decode()
    first, second = receiver.requests
    assert json.loads(first.body)["type"] == "test"
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert "Delivered" in log and "200" in log


def test_another_followers_endpoint_is_a_404(client, followed, public_dns):
    endpoint = webhooks.endpoint_create(alert=followed, url="https://example.org/hook")
    client.force_login(make_follower("other@example.org").user)
    page = reverse("alerts:webhook", kwargs={"pk": endpoint.pk})
    assert client.get(page).status_code == 404
    assert client.post(page, {"action": "delete"}).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists() is True


def test_the_webhook_page_shows_the_secret_once(client, followed, public_dns):
    client.force_login(followed.follower.user)
    form = client.get(reverse("alerts:webhook_new", kwargs={"pk": followed.pk})).content.decode()
    assert "Posted as soon as it is matched" in form
    response = client.post(
        reverse("alerts:webhook_new", kwargs={"pk": followed.pk}),
        {"url": "https://example.org/hook"},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    page = client.get(reverse("alerts:webhook", kwargs={"pk": endpoint.pk}))
    assert endpoint.secret not in page.content.decode()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_delivers_a_webhook(ngo, police):
    partnership = factories.partnership_with_parties(ngo=ngo, police=police)
    alert = make_alert(make_follower(), f"partnership={partnership.slug}")
    queue = f"test-webhooks-{uuid.uuid4().hex}"
    with fake_endpoint(200) as receiver:
        endpoint = webhooks.endpoint_create(alert=alert, url=receiver.url)
        queue_a_change(partnership)
        with start_worker(
            celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10
        ):
            celery_app.send_task("alerts.tasks.deliver_webhooks", queue=queue)
            assert receiver.arrived.wait(60)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if WebhookDelivery.objects.filter(status="delivered").exists():
                    break
                time.sleep(0.1)
    [request] = receiver.requests
    assert Webhook(endpoint.secret).verify(request.body, request.headers)["data"]["id"] == (
        partnership.pk
    )
    assert WebhookDelivery.objects.get().status == "delivered"


def test_the_documented_receiver_verifies_a_delivery(followed, partnership, monkeypatch):
    """docs/examples/webhook_receiver.py, as the README shows it, against a real delivery."""
    endpoint = WebhookEndpoint(alert=followed, url="http://127.0.0.1/")
    monkeypatch.setenv("WEBHOOK_SECRET", endpoint.secret)
    example = runpy.run_path(str(Path(settings.BASE_DIR) / "docs/examples/webhook_receiver.py"))
    server = example["HTTPServer"](("127.0.0.1", 0), example["Receiver"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/"
        endpoint.save()
        queue_a_change(partnership)
        assert webhooks.webhooks_deliver() == {"delivered": 1, "failed": 0}
        assert WebhookDelivery.objects.get().last_status_code == 204
        # Signed with another secret: refused.
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=webhooks.new_webhook_secret())
        webhooks.endpoint_send_test(endpoint=endpoint, now=timezone.now())
        assert webhooks.webhooks_deliver()["failed"] == 1
        assert WebhookDelivery.objects.filter(event_type="test").get().last_status_code == 401
    finally:
        server.shutdown()
        server.server_close()


def test_the_readme_shows_the_receiver_example_as_it_is_run():
    example = (Path(settings.BASE_DIR) / "docs/examples/webhook_receiver.py").read_text()
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert f"```python\n{example}```" in readme


# What is checked is what is connected to (DNS rebinding) ----------------------------------


def _resolver(monkeypatch, host: str, answers: list[str]) -> list[str]:
    """``host`` resolves to each of ``answers`` in turn (the last one from then on): the
    resolver is mocked, not the network. Returns the addresses it answered."""
    resolve = socket.getaddrinfo
    answered: list[str] = []

    def getaddrinfo(name, port, *args, **kwargs):
        if name != host:
            return resolve(name, port, *args, **kwargs)
        address = answers[min(len(answered), len(answers) - 1)]
        answered.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answered


def test_a_host_resolving_to_a_private_address_the_second_time_is_never_connected_to_it(
    followed, partnership, settings, monkeypatch
):
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    # Registration and the delivery's check see a public address; any later lookup would
    # see the loopback.
    answered = _resolver(
        monkeypatch, "rebind.example", ["93.184.215.14", "93.184.215.14", "127.0.0.1"]
    )
    connected = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("no network in the tests")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    webhooks.endpoint_create(alert=followed, url="https://rebind.example/hook")
    queue_a_change(partnership)

    assert webhooks.webhooks_deliver()["failed"] == 1

    assert connected == [("93.184.215.14", 443)]
    assert answered == ["93.184.215.14", "93.184.215.14"]  # resolved once per delivery


def test_every_checked_address_is_tried_in_turn_and_no_other(
    followed, partnership, settings, monkeypatch
):
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    resolve = socket.getaddrinfo
    calls = []

    def getaddrinfo(name, port, *args, **kwargs):
        if name != "two.example":
            return resolve(name, port, *args, **kwargs)
        calls.append(name)
        if len(calls) > 2:  # a lookup after the delivery's check
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in ("93.184.215.14", "93.184.215.15")
        ]

    connected = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("no network in the tests")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    webhooks.endpoint_create(alert=followed, url="https://two.example/hook")
    queue_a_change(partnership)

    assert webhooks.webhooks_deliver()["failed"] == 1

    assert connected == [("93.184.215.14", 443), ("93.184.215.15", 443)]
    assert len(calls) == 2


def test_a_host_that_turned_private_by_the_delivery_is_refused_unconnected(
    followed, partnership, settings, monkeypatch
):
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    _resolver(monkeypatch, "rebind.example", ["93.184.215.14", "127.0.0.1"])
    connected = []
    monkeypatch.setattr(
        socket, "create_connection", lambda address, *a, **k: connected.append(address)
    )
    webhooks.endpoint_create(alert=followed, url="https://rebind.example/hook")
    queue_a_change(partnership)

    assert webhooks.webhooks_deliver()["failed"] == 1

    assert connected == []
    assert "private" in WebhookDelivery.objects.get().last_response


def _server_tls(hostname: str, tmp_path) -> tuple[ssl.SSLContext, bytes]:
    """A server's TLS context with a self-signed certificate for ``hostname``, and that
    certificate (PEM) for the client to trust."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(pem)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context, pem


@pytest.mark.parametrize("certified", ["hooks.example", "someone-else.example"])
def test_https_to_the_checked_address_keeps_sni_certificate_and_host_for_the_name(
    followed, partnership, monkeypatch, tmp_path, certified
):
    """The connection goes to the checked address (127.0.0.1, allowed in the tests), the
    TLS handshake names the host, and its certificate must be the host's."""
    server_tls, pem = _server_tls(certified, tmp_path)
    monkeypatch.setattr(
        webhooks, "tls_context", lambda: ssl.create_default_context(cadata=pem.decode())
    )
    _resolver(monkeypatch, "hooks.example", ["127.0.0.1"])
    with fake_endpoint(200, tls=server_tls) as receiver:
        endpoint = webhooks.endpoint_create(
            alert=followed, url=f"https://hooks.example:{receiver.port}/hook"
        )
        queue_a_change(partnership)
        counts = webhooks.webhooks_deliver()

    assert receiver.server_names == ["hooks.example"]
    delivery = WebhookDelivery.objects.get()
    if certified == "hooks.example":
        assert counts == {"delivered": 1, "failed": 0}
        [request] = receiver.requests
        assert request.headers["host"] == f"hooks.example:{receiver.port}"
        assert Webhook(endpoint.secret).verify(request.body, request.headers)["data"]["id"] == (
            partnership.pk
        )
    else:
        assert counts == {"delivered": 0, "failed": 1}
        assert receiver.requests == []
        assert "certificate" in delivery.last_response.lower()


def test_webhooks_are_posted_as_soon_as_matched_whatever_the_email_frequency(follower, partnership):
    alert = make_alert(follower, f"partnership={partnership.slug}", frequency="monthly")
    now = timezone.now()
    with fake_endpoint(200) as receiver:
        webhooks.endpoint_create(alert=alert, url=receiver.url)
        queue_a_change(partnership, now)
        assert alerts_send(now=now) == 1  # the first e-mail: never sent before
        webhooks.webhooks_deliver(now=now)
        change(partnership, title="Changed an hour later")
        alerts_match(now=now + dt.timedelta(hours=1))
        webhooks.webhooks_deliver(now=now + dt.timedelta(hours=1))
        # The e-mail waits for its month; the webhook did not.
        assert alerts_send(now=now + dt.timedelta(hours=1)) == 0

    assert len(receiver.requests) == 2
    assert json.loads(receiver.requests[1].body)["data"]["title"] == "Changed an hour later"
    assert len(mail.outbox) == 1
