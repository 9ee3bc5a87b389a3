"""The production deployment: Dockerfile, .dockerignore, docker-compose.yml, production settings.

There is no Docker engine where these tests run, so the files are parsed and
their content checked; the production settings are started for real in a
subprocess. None of these tests needs the database.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "beat")

# What an operator would export before `docker compose up`.
OPERATOR_ENVIRONMENT = {
    "SECRET_KEY": "operator-secret-key",
    "POSTGRES_PASSWORD": "operator-db-password",
    "ALLOWED_HOSTS": "registry.example.org",
}


# --- helpers -----------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<operator>:[-?])(?P<argument>[^}]*))?\}")
_REQUIRED_VARIABLE = re.compile(r"\$\{\w+:\?[^}]+\}")


class MissingVariable(Exception):
    pass


def interpolate(value: str, environ: dict[str, str]) -> str:
    """Substitute ${NAME}, ${NAME:-default} and ${NAME:?error} as docker compose does."""

    def substitute(match: re.Match) -> str:
        name, operator, argument = match["name"], match["operator"], match["argument"]
        if environ.get(name):
            return environ[name]
        if operator == ":?":
            raise MissingVariable(f"{name}: {argument}")
        return argument if operator == ":-" else ""

    return _VARIABLE.sub(substitute, str(value))


def command_of(service: str) -> str:
    """The service's command as one shell-like string."""
    command = SERVICES[service]["command"]
    return command if isinstance(command, str) else shlex.join(command)


def named_volume_mounts(service: str) -> dict[str, str]:
    """{volume name: mount path} of the service's named volumes."""
    mounts = {}
    for entry in SERVICES[service].get("volumes", []):
        source, target = entry.split(":")[:2]
        if not source.startswith((".", "/", "~")):
            mounts[source] = target
    return mounts


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each instruction, continuation lines joined."""
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(arguments.split())))
    return instructions


def instructions_named(keyword: str) -> list[str]:
    return [arguments for name, arguments in dockerfile_instructions() if name == keyword]


def index_of_instruction(keyword: str, containing: str) -> int:
    for index, (name, arguments) in enumerate(dockerfile_instructions()):
        if name == keyword and containing in arguments:
            return index
    raise AssertionError(f"no {keyword} instruction containing {containing!r}")


def start_django(tmp_path: Path, **environ: str) -> subprocess.CompletedProcess:
    """Set up Django with the production settings in a fresh interpreter.

    The environment is the parent's less every setting the test settings or CI
    may have set, plus ``environ``; the database is SQLite in tmp_path, so
    nothing connects to a server. Prints the resulting settings as JSON.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "DEBUG"}
        and not name.startswith(("DATABASE_", "CELERY_", "SECURE_", "DJANGO_", "CACHE_"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
    }
    env |= environ
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "db = settings.DATABASES['default']; "
        "print(json.dumps({'SECRET_KEY': settings.SECRET_KEY, 'DEBUG': settings.DEBUG, "
        "'ALLOWED_HOSTS': settings.ALLOWED_HOSTS, 'ENGINE': db['ENGINE'], 'HOST': db['HOST'], "
        "'NAME': str(db['NAME']), 'CELERY_BROKER_URL': settings.CELERY_BROKER_URL, "
        "'MEDIA_ROOT': str(settings.MEDIA_ROOT), 'CACHES': settings.CACHES}))"
    )
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- docker-compose.yml: services --------------------------------------------


def test_compose_defines_db_redis_web_worker_and_beat():
    assert set(SERVICES) == {"db", "redis", "web", "worker", "beat"}


def test_every_service_restarts_unless_stopped():
    for name, service in SERVICES.items():
        assert service.get("restart") == "unless-stopped", name


def test_db_is_postgres_15_with_a_pg_isready_health_check():
    db = SERVICES["db"]
    assert db["image"] == "postgres:15"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_redis_is_redis_7_with_a_ping_health_check():
    redis = SERVICES["redis"]
    assert redis["image"] == "redis:7"
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_db_data_is_on_a_named_volume_declared_at_top_level():
    mounts = named_volume_mounts("db")
    assert "/var/lib/postgresql/data" in mounts.values()
    for volume in mounts:
        assert volume in COMPOSE["volumes"]


def test_app_services_are_built_from_the_dockerfile():
    for name in APP_SERVICES:
        assert SERVICES[name]["build"] == ".", name
    assert len({SERVICES[name]["image"] for name in APP_SERVICES}) == 1


# --- docker-compose.yml: commands --------------------------------------------


def test_web_runs_migrations_before_gunicorn():
    command = command_of("web")
    assert "manage.py migrate --noinput" in command
    assert "gunicorn config.wsgi:application" in command
    assert command.index("migrate") < command.index("gunicorn")
    # gunicorn starts only if the migrations succeeded
    assert "&&" in command[command.index("migrate") : command.index("gunicorn")]


def test_web_gunicorn_binds_port_8000_and_publishes_it():
    assert "--bind 0.0.0.0:8000" in command_of("web")
    assert "8000:8000" in SERVICES["web"]["ports"]


def test_worker_runs_celery_worker_of_the_config_app():
    command = command_of("worker")
    assert command.startswith("celery -A config worker")
    assert "--loglevel=" in command
    assert "--concurrency=" in command


def test_beat_runs_celery_beat_with_its_schedule_file_on_a_named_volume():
    command = command_of("beat")
    assert command.startswith("celery -A config beat")
    schedule = re.search(r"--schedule[= ](\S+)", command).group(1)
    mounts = named_volume_mounts("beat")
    assert any(schedule.startswith(target + "/") for target in mounts.values())
    assert all(volume in COMPOSE["volumes"] for volume in mounts)


def test_uploaded_documents_volume_is_shared_by_web_and_worker():
    media_root = SERVICES["web"]["environment"]["MEDIA_ROOT"]
    web, worker = named_volume_mounts("web"), named_volume_mounts("worker")
    shared = {volume for volume, target in web.items() if target == media_root}
    assert shared, "web does not mount a named volume at MEDIA_ROOT"
    assert all(worker.get(volume) == media_root for volume in shared)
    assert shared <= set(COMPOSE["volumes"])


# --- docker-compose.yml: dependencies and health ------------------------------


def test_web_waits_for_healthy_db_and_redis():
    depends_on = SERVICES["web"]["depends_on"]
    assert depends_on["db"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_worker_and_beat_wait_for_healthy_redis():
    for name in ("worker", "beat"):
        assert SERVICES[name]["depends_on"]["redis"]["condition"] == "service_healthy", name


def test_web_health_check_requests_healthz_with_python_urllib():
    test = SERVICES["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "urllib" in test[3]
    assert "http://127.0.0.1:8000/healthz" in test[3]


class _HealthzStub(BaseHTTPRequestHandler):
    status = 200
    hosts: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        type(self).hosts.append(self.headers["Host"])
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


def run_web_health_check(status: int, allowed_hosts: str) -> tuple[int, list[str]]:
    """Run web's health check against a stub answering /healthz with ``status``.

    Returns the check's exit code and the Host headers the stub received.
    """
    handler = type("Handler", (_HealthzStub,), {"status": status, "hosts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code = SERVICES["web"]["healthcheck"]["test"][3].replace(
            "127.0.0.1:8000", f"127.0.0.1:{server.server_port}"
        )
        result = subprocess.run(  # noqa: S603 - our own interpreter, code from the compose file
            [sys.executable, "-c", code],
            env={**os.environ, "ALLOWED_HOSTS": allowed_hosts},
            capture_output=True,
            timeout=30,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    return result.returncode, handler.hosts


def test_web_health_check_passes_when_healthz_answers_200():
    returncode, _ = run_web_health_check(200, "registry.example.org")
    assert returncode == 0


def test_web_health_check_fails_when_healthz_answers_503():
    returncode, _ = run_web_health_check(503, "registry.example.org")
    assert returncode != 0


@pytest.mark.parametrize(
    ("allowed_hosts", "host_header"),
    [
        ("registry.example.org,www.example.org", "registry.example.org"),
        (".example.org", "example.org"),
        ("*", "localhost"),
    ],
)
def test_web_health_check_sends_a_host_that_allowed_hosts_accepts(allowed_hosts, host_header):
    returncode, hosts = run_web_health_check(200, allowed_hosts)
    assert returncode == 0
    assert hosts == [host_header]


# --- docker-compose.yml: environment -----------------------------------------


def test_web_worker_and_beat_share_the_same_environment():
    web_environment = SERVICES["web"]["environment"]
    for name in ("worker", "beat"):
        assert SERVICES[name]["environment"] == web_environment, name


def test_database_url_points_at_the_db_service_with_its_credentials():
    url = urlsplit(
        interpolate(SERVICES["web"]["environment"]["DATABASE_URL"], OPERATOR_ENVIRONMENT)
    )
    db_environment = SERVICES["db"]["environment"]
    assert url.scheme in {"postgres", "postgresql"}
    assert (url.hostname, url.port) == ("db", 5432)
    assert url.username == db_environment["POSTGRES_USER"]
    assert url.path == "/" + db_environment["POSTGRES_DB"]
    assert url.password == OPERATOR_ENVIRONMENT["POSTGRES_PASSWORD"]
    assert interpolate(db_environment["POSTGRES_PASSWORD"], OPERATOR_ENVIRONMENT) == url.password


def test_celery_broker_url_points_at_the_redis_service():
    url = urlsplit(SERVICES["web"]["environment"]["CELERY_BROKER_URL"])
    assert url.scheme == "redis"
    assert url.hostname == "redis"


def test_cache_url_points_at_redis_so_that_web_workers_share_the_api_throttle():
    url = urlsplit(interpolate(SERVICES["web"]["environment"]["CACHE_URL"], OPERATOR_ENVIRONMENT))
    broker = urlsplit(SERVICES["web"]["environment"]["CELERY_BROKER_URL"])
    assert (url.scheme, url.hostname, url.port) == ("redis", "redis", 6379)
    # Its own Redis database: flushing the cache never drops queued tasks.
    assert url.path != broker.path


@pytest.mark.parametrize("name", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_compose_requires_the_operator_to_set(name):
    value = SERVICES["web"]["environment"][name]
    assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", value)
    with pytest.raises(MissingVariable, match=name):
        interpolate(value, {})


def test_compose_requires_the_operator_to_set_postgres_password():
    without_password = {k: v for k, v in OPERATOR_ENVIRONMENT.items() if k != "POSTGRES_PASSWORD"}
    with pytest.raises(MissingVariable, match="POSTGRES_PASSWORD"):
        interpolate(SERVICES["db"]["environment"]["POSTGRES_PASSWORD"], without_password)
    with pytest.raises(MissingVariable, match="POSTGRES_PASSWORD"):
        interpolate(SERVICES["web"]["environment"]["DATABASE_URL"], without_password)


def test_compose_holds_no_literal_secret():
    for service_name, service in SERVICES.items():
        for name, value in service.get("environment", {}).items():
            if re.search(r"SECRET|PASSWORD|TOKEN", name):
                assert _REQUIRED_VARIABLE.fullmatch(value), f"{service_name}: {name}={value}"
            # a password inside a URL (user:password@host) must be a variable too
            password = re.search(r"://[^:/@]+:([^@]*)@", str(value))
            if password:
                assert _REQUIRED_VARIABLE.fullmatch(password.group(1)), f"{service_name}: {name}"


def test_compose_environment_configures_the_production_settings(tmp_path):
    """The shared environment, as compose would pass it, starts config.settings.production."""
    environment = {
        name: interpolate(value, OPERATOR_ENVIRONMENT)
        for name, value in SERVICES["web"]["environment"].items()
    }
    # django.setup() opens no connection, so the PostgreSQL URL is safe here.
    result = start_django(tmp_path, **environment)
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)
    assert settings["SECRET_KEY"] == OPERATOR_ENVIRONMENT["SECRET_KEY"]
    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["registry.example.org"]
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert (settings["HOST"], settings["NAME"]) == ("db", "registry")
    assert settings["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert settings["MEDIA_ROOT"] == "/app/var/media"
    assert settings["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://redis:6379/1",
    }


# --- Dockerfile and .dockerignore ----------------------------------------------


def test_dockerfile_is_based_on_python_3_11_slim():
    assert instructions_named("FROM") == ["python:3.11-slim"]


def test_dockerfile_installs_a_pinned_uv():
    assert any(re.search(r"\buv==\d+\.\d+\.\d+", run) for run in instructions_named("RUN"))


def test_dockerfile_installs_dependencies_with_uv_sync_locked():
    assert any("uv sync --locked" in run and "--no-dev" in run for run in instructions_named("RUN"))


def test_dockerfile_installs_dependencies_before_copying_the_project():
    copy_lock = index_of_instruction("COPY", "uv.lock")
    sync = index_of_instruction("RUN", "uv sync")
    copy_project = index_of_instruction("COPY", ". .")
    assert copy_lock < sync < copy_project


def test_dockerfile_collects_static_files_at_build_time():
    collectstatic = index_of_instruction("RUN", "manage.py collectstatic --noinput")
    assert index_of_instruction("COPY", ". .") < collectstatic


def test_dockerfile_does_not_bake_a_secret_key_into_the_image():
    for keyword in ("ENV", "ARG"):
        for arguments in instructions_named(keyword):
            assert "SECRET_KEY" not in arguments, f"{keyword} {arguments}"


def test_dockerfile_defaults_to_production_settings_and_the_virtualenv():
    env = " ".join(instructions_named("ENV"))
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in env
    assert re.search(r'PATH="?/app/\.venv/bin:', env)


def test_dockerfile_runs_as_a_non_root_user():
    users = instructions_named("USER")
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_exposes_port_8000():
    assert "8000" in " ".join(instructions_named("EXPOSE")).split()


def test_dockerfile_default_command_is_gunicorn_on_port_8000():
    command = json.loads(instructions_named("CMD")[-1])
    assert command[:2] == ["gunicorn", "config.wsgi:application"]
    assert "0.0.0.0:8000" in command


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_build():
    entries = {
        line.strip().strip("/")
        for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "var", ".git", "__pycache__", ".pytest_cache", ".env"} <= entries


# --- config.settings.production --------------------------------------------------


def test_production_settings_refuse_to_start_without_secret_key(tmp_path):
    result = start_django(tmp_path, ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_settings_refuse_to_start_without_allowed_hosts(tmp_path):
    result = start_django(tmp_path, SECRET_KEY="a-key")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_settings_start_with_secret_key(tmp_path):
    result = start_django(tmp_path, ALLOWED_HOSTS="example.org", SECRET_KEY="a-key")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["SECRET_KEY"] == "a-key"


def test_production_settings_read_secret_key_from_secret_key_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("key-from-a-file\n")
    result = start_django(tmp_path, ALLOWED_HOSTS="example.org", SECRET_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["SECRET_KEY"] == "key-from-a-file"


def test_production_settings_reject_a_malformed_debug_boolean(tmp_path):
    result = start_django(
        tmp_path, ALLOWED_HOSTS="example.org", SECRET_KEY="a-key", DEBUG="perhaps"
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG='perhaps'" in result.stderr
