"""The security headers: a Content-Security-Policy on every page under which a script runs
only from a static file or with the request's nonce, a Permissions-Policy on every answer,
HSTS configured by the environment in production, and Django's deployment check passing
with the production settings."""

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from partnerships.models import Membership
from tests import factories
from tests.public_registry import build_registry
from tests.test_deployment import OPERATOR_ENVIRONMENT, SERVICES, interpolate

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Every kind of HTML page: (name, who asks, how to find its address).
PAGES = {
    "home": ("anonymous", lambda registry: reverse("public:home")),
    "registry": ("anonymous", lambda registry: reverse("public:registry")),
    "partnership": ("anonymous", lambda registry: registry.safe_homes.get_absolute_url()),
    "agreement": ("anonymous", lambda registry: registry.safe_homes_mou.get_absolute_url()),
    "methodology": ("anonymous", lambda registry: reverse("public:methodology")),
    "login": ("anonymous", lambda registry: reverse("login")),
    "api docs": ("anonymous", lambda registry: reverse("api-docs")),
    "staff dashboard": ("editor", lambda registry: reverse("accounts:dashboard")),
    "staff partnership form": ("editor", lambda registry: reverse("partnerships:new")),
    "staff agreement form": (
        "editor",
        lambda registry: reverse("agreements:new", kwargs={"slug": registry.safe_homes.slug}),
    ),
}
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "interest-cohort")


def policy_of(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [source, ...]}."""
    policy = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        policy[name] = sources
    return policy


def nonces_in(sources: list[str]) -> list[str]:
    return [source[len("'nonce-") : -1] for source in sources if source.startswith("'nonce-")]


class InlineCode(HTMLParser):
    """What a page would run or style inline: its script elements (their attributes, and
    whether they have a body), its style elements and style attributes, and its event
    handler attributes (onclick=...)."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.style_elements = 0
        self.style_attributes: list[str] = []
        self.handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes | {"inline": False})
            self._in_script = True
        if tag == "style":
            self.style_elements += 1
        if "style" in attributes:
            self.style_attributes.append(tag)
        self.handlers += [f"{tag} {name}" for name in attributes if name.startswith("on")]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.scripts[-1]["inline"] = True


def inline_code_of(response) -> InlineCode:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser


def is_executable(script: dict) -> bool:
    """A data block (``json_script``) is never run, so it needs no nonce."""
    return script.get("type", "text/javascript") != "application/json"


@pytest.fixture
def registry(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_registry()


@pytest.fixture
def page_response(client, registry):
    """The answer to one of PAGES, asked for by its user."""

    def get(name: str):
        user, address = PAGES[name]
        if user == "editor":
            membership = factories.MembershipFactory(
                organization=registry.ngo, role=Membership.Role.EDITOR
            )
            client.force_login(membership.user)
        response = client.get(address(registry))
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("text/html"), name
        return response

    return get


# --- Content-Security-Policy ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_a_strict_policy_with_a_nonce(page_response, name):
    policy = policy_of(page_response(name))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert len(nonces_in(policy["script-src"])) == 1
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    for sources in policy.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources
        assert not any(source.startswith(("http:", "https:", "*")) for source in sources)


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_every_script_of_a_page_carries_the_nonce_of_its_policy(page_response, name):
    response = page_response(name)
    (nonce,) = nonces_in(policy_of(response)["script-src"])
    scripts = [script for script in inline_code_of(response).scripts if is_executable(script)]
    assert scripts, "the page runs no script (htmx at least is expected)"
    assert {script.get("nonce") for script in scripts} == {nonce}
    # Inline code runs only by the nonce; everything else is a static file of this site.
    for script in scripts:
        assert script["inline"] or script["src"].startswith("/static/"), script


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_no_page_has_inline_styles_or_event_handlers(page_response, name):
    code = inline_code_of(page_response(name))
    assert code.style_elements == 0
    assert code.style_attributes == []
    assert code.handlers == []


@pytest.mark.django_db
def test_each_answer_has_a_nonce_of_its_own(client):
    nonces = {nonces_in(policy_of(client.get("/"))["script-src"])[0] for _ in range(3)}
    assert len(nonces) == 3


@pytest.mark.django_db
def test_the_api_docs_start_swagger_ui_from_vendored_files_under_the_nonce(page_response):
    response = page_response("api docs")
    (nonce,) = nonces_in(policy_of(response)["script-src"])
    scripts = inline_code_of(response).scripts
    sources = [script["src"] for script in scripts if not script["inline"]]
    assert all("/static/drf_spectacular_sidecar/swagger-ui-dist/" in src for src in sources)
    (starter,) = [script for script in scripts if script["inline"] and is_executable(script)]
    assert starter["nonce"] == nonce
    assert '"validatorUrl": "none"' in response.content.decode()


@pytest.mark.django_db
def test_the_json_api_answers_as_before(client, registry):
    response = client.get("/api/v1/partnerships/", HTTP_ORIGIN="https://notebook.example.net")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert {row["slug"] for row in response.json()["results"]} >= {"safe-homes"}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "X-Data-Licence" in response
    # Nothing runs from JSON: its policy names no nonce.
    assert nonces_in(policy_of(response)["script-src"]) == []
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_a_document_download_keeps_its_sandbox_policy(client, registry):
    document = factories.AgreementDocumentFactory(agreement=registry.safe_homes_mou, is_public=True)
    response = client.get(
        reverse(
            "agreements:document_download",
            kwargs={"pk": document.agreement_id, "version": document.version},
        )
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "sandbox"


# --- Permissions-Policy -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_every_page_denies_the_browser_features_it_does_not_use(page_response, name):
    policy = dict(
        entry.strip().split("=", 1)
        for entry in page_response(name)["Permissions-Policy"].split(",")
    )
    for feature in DENIED_FEATURES:
        assert policy[feature] == "()", feature


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/robots.txt", "/feeds/flags/", "/no-such-page/"])
def test_every_other_answer_carries_the_permissions_policy(client, path):
    assert "geolocation=()" in client.get(path)["Permissions-Policy"]


def test_the_permissions_policy_comes_from_its_setting(client, settings):
    settings.PERMISSIONS_POLICY = {"camera": [], "fullscreen": ["self"]}
    assert client.get("/robots.txt")["Permissions-Policy"] == "camera=(), fullscreen=(self)"


# --- Production: HSTS and the deployment check ---------------------------------------------


def run_with_production_settings(*arguments: str, **environ: str) -> subprocess.CompletedProcess:
    """``python *arguments`` with the production settings and the environment docker compose
    gives the web service when the operator sets what the README asks for (with a long
    random SECRET_KEY), plus ``environ``. Nothing connects to the database or the broker."""
    operator = OPERATOR_ENVIRONMENT | {"SECRET_KEY": secrets.token_urlsafe(50)}
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "DEBUG"}
        and not name.startswith(("DATABASE_", "CELERY_", "SECURE_", "DJANGO_", "CACHE_"))
    }
    env |= {
        name: interpolate(value, operator) for name, value in SERVICES["web"]["environment"].items()
    }
    env |= environ
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *arguments],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def hsts_settings(**environ: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({name: getattr(settings, name) for name in ("
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', "
        "'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER')}))"
    )
    result = run_with_production_settings("-c", code, **environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_sends_hsts_for_a_year_with_subdomains_by_default():
    assert hsts_settings() == {
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_production_hsts_is_configured_by_the_environment():
    configured = hsts_settings(
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_HSTS_PRELOAD="true",
    )
    assert configured["SECURE_HSTS_SECONDS"] == 600
    assert configured["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert configured["SECURE_HSTS_PRELOAD"] is True


def test_the_deployment_check_passes_with_the_production_settings():
    result = run_with_production_settings(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deployment_check_fails_when_hsts_is_turned_off():
    result = run_with_production_settings(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_SECONDS="0"
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr
