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
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.db import connection

from config.celery import app as celery_app
from core.beat import HeartbeatScheduler, heartbeat_path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "beat")
# Setting Django up connects to no database: a PostgreSQL URL nothing listens on will do.
UNCONNECTED_DATABASE_URL = "postgres://registry@127.0.0.1:1/registry"

# What an operator would export before `docker compose up`.
OPERATOR_ENVIRONMENT = {
    "SECRET_KEY": "operator-secret-key",
    "POSTGRES_PASSWORD": "operator-db-password",
    "POSTGRES_APP_PASSWORD": "operator-app-password",
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
    may have set, plus ``environ``; the database URL names a server that
    is never connected to. Prints the resulting settings as JSON.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "DEBUG"}
        and not name.startswith(
            ("DATABASE_", "MIGRATE_", "AUDIT_", "CELERY_", "SECURE_", "DJANGO_", "CACHE_")
        )
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": UNCONNECTED_DATABASE_URL,
        "VAR_DIR": str(tmp_path / "var"),
    }
    env |= environ
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "db = settings.DATABASES['default']; "
        "print(json.dumps({'SECRET_KEY': settings.SECRET_KEY, 'DEBUG': settings.DEBUG, "
        "'ALLOWED_HOSTS': settings.ALLOWED_HOSTS, 'ENGINE': db['ENGINE'], 'HOST': db['HOST'], "
        "'NAME': str(db['NAME']), 'USER': db.get('USER'), "
        "'MIGRATOR': settings.DATABASES.get('migrator', {}).get('USER'), "
        "'CELERY_BROKER_URL': settings.CELERY_BROKER_URL, "
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


# --- docker-compose.yml: worker and beat health ---------------------------------------


def health_check_shell(service: str) -> str:
    """A CMD-SHELL health check's command as the shell gets it (compose turns $$ into $)."""
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL", test
    return test[1].replace("$$", "$")


def beat_health_check_code() -> str:
    test = SERVICES["beat"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


def seconds(duration: str) -> float:
    """A compose duration such as "30s" or "1m30s" in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert "".join(number + unit for number, unit in parts) == duration, duration
    return sum(float(number) * units[unit] for number, unit in parts)


def test_worker_health_check_pings_this_containers_worker_with_a_timeout():
    command = health_check_shell("worker")
    assert command.startswith("celery -A config inspect ping ")
    # Celery's default node name is celery@<host name>, which is $HOSTNAME in a container.
    assert "--destination celery@$HOSTNAME " in command
    timeout = float(re.search(r"--timeout (\d+(?:\.\d+)?)", command).group(1))
    assert timeout + 10 <= seconds(SERVICES["worker"]["healthcheck"]["timeout"])


def test_worker_keeps_celerys_default_node_name_and_does_not_embed_beat():
    command = command_of("worker").split()
    assert not any(part.startswith(("-n", "--hostname")) for part in command)
    assert not any(part in {"-B", "--beat"} for part in command)


def start_worker_health_check(hostname: str, timeout: int | None = None) -> subprocess.Popen:
    """The worker's health check as it runs in a container whose host name is ``hostname``
    (with the ping's timeout set to ``timeout``, if given)."""
    command = health_check_shell("worker")
    if timeout is not None:
        command = re.sub(r"--timeout \S+", f"--timeout {timeout}", command)
    return subprocess.Popen(  # noqa: S603 - the compose file's command, our own interpreter's celery
        ["/bin/sh", "-c", command],  # noqa: S607
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "HOSTNAME": hostname,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.redis
def test_worker_health_check_passes_for_the_worker_on_this_host_only(tmp_path):
    hostname = f"worker-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                f"--queues={hostname}",  # a queue of its own: it takes no other test's task
                f"--hostname=celery@{hostname}",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 40
        while " ready." not in log_path.read_text():
            assert worker.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)

        this_host = start_worker_health_check(hostname)
        other_host = start_worker_health_check(f"other-{hostname}", timeout=1)

        assert this_host.wait(timeout=60) == 0
        assert other_host.wait(timeout=60) != 0
    finally:
        worker.kill()
        worker.wait(timeout=10)


def test_compose_runs_exactly_one_beat():
    beat = SERVICES["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert "scale" not in beat


def test_beat_health_check_reads_the_heartbeat_beside_the_schedule_file():
    schedule = re.search(r"--schedule[= ](\S+)", command_of("beat")).group(1)
    assert f'Path("{heartbeat_path(schedule)}")' in beat_health_check_code()


def beat_health_check_threshold() -> int:
    return int(re.search(r"st_mtime > (\d+)", beat_health_check_code()).group(1))


def test_beat_ticks_several_times_within_the_health_checks_threshold(settings):
    assert settings.CELERY_BEAT_SCHEDULER == "core.beat:HeartbeatScheduler"
    # A stuck beat is noticed after three ticks it missed, not after one late tick.
    assert beat_health_check_threshold() >= 3 * settings.CELERY_BEAT_MAX_LOOP_INTERVAL


def run_beat_health_check(heartbeat: Path) -> int:
    code = beat_health_check_code().replace("/app/var/beat/celerybeat-schedule", str(heartbeat))
    code = code.replace(f"{heartbeat}.heartbeat", str(heartbeat))
    result = subprocess.run(  # noqa: S603 - our own interpreter, code from the compose file
        [sys.executable, "-c", code], capture_output=True, timeout=30, check=False
    )
    return result.returncode


def test_beat_health_check_passes_while_the_heartbeat_is_recent(tmp_path):
    heartbeat = tmp_path / "celerybeat-schedule.heartbeat"
    heartbeat.touch()
    assert run_beat_health_check(heartbeat) == 0
    just_inside = time.time() - beat_health_check_threshold() + 30
    os.utime(heartbeat, (just_inside, just_inside))
    assert run_beat_health_check(heartbeat) == 0


def test_beat_health_check_fails_when_the_heartbeat_is_old_or_missing(tmp_path):
    heartbeat = tmp_path / "celerybeat-schedule.heartbeat"
    assert run_beat_health_check(heartbeat) != 0
    heartbeat.touch()
    too_old = time.time() - beat_health_check_threshold() - 1
    os.utime(heartbeat, (too_old, too_old))
    assert run_beat_health_check(heartbeat) != 0


def test_beat_touches_its_heartbeat_on_every_tick(tmp_path, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "beat_schedule", {})  # nothing is sent
    schedule = tmp_path / "celerybeat-schedule"
    scheduler = HeartbeatScheduler(app=celery_app, schedule_filename=str(schedule), lazy=False)
    heartbeat = heartbeat_path(str(schedule))
    try:
        interval = scheduler.tick()
        assert heartbeat.exists() is True
        os.utime(heartbeat, (0, 0))
        scheduler.tick()
    finally:
        scheduler.close()

    assert 0 < interval <= celery_app.conf.beat_max_loop_interval
    assert time.time() - heartbeat.stat().st_mtime < 10


def test_celery_beat_started_as_in_compose_writes_its_heartbeat(tmp_path):
    schedule = tmp_path / "celerybeat-schedule"
    with (tmp_path / "beat.log").open("w") as log:
        beat = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "celery", "-A", "config", "beat", f"--schedule={schedule}"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 40
        while not heartbeat_path(str(schedule)).exists():
            log_text = (tmp_path / "beat.log").read_text()
            assert beat.poll() is None and time.monotonic() < deadline, log_text
            time.sleep(0.2)
        assert run_beat_health_check(heartbeat_path(str(schedule))) == 0
    finally:
        beat.kill()
        beat.wait(timeout=10)


# --- docker-compose.yml: environment -----------------------------------------


# What web alone holds: the owner's connection, for its migrations, and the file keeping the
# audit log's last checkpoint, on a volume of its own.
WEB_ONLY_ENVIRONMENT = {"MIGRATE_DATABASE_URL", "AUDIT_HEAD_FILE"}


def test_web_worker_and_beat_share_the_same_environment_but_the_owners_connection():
    web_environment = SERVICES["web"]["environment"]
    shared = {k: v for k, v in web_environment.items() if k not in WEB_ONLY_ENVIRONMENT}
    assert set(web_environment) >= WEB_ONLY_ENVIRONMENT
    for name in ("worker", "beat"):
        assert SERVICES[name]["environment"] == shared, name


def test_database_url_names_the_app_role_and_migrate_database_url_the_owner():
    db_environment = SERVICES["db"]["environment"]
    urls = {
        name: urlsplit(interpolate(SERVICES["web"]["environment"][name], OPERATOR_ENVIRONMENT))
        for name in ("DATABASE_URL", "MIGRATE_DATABASE_URL")
    }
    for url in urls.values():
        assert url.scheme in {"postgres", "postgresql"}
        assert (url.hostname, url.port) == ("db", 5432)
        assert url.path == "/" + db_environment["POSTGRES_DB"]
    owner, app = urls["MIGRATE_DATABASE_URL"], urls["DATABASE_URL"]
    assert owner.username == db_environment["POSTGRES_USER"]
    assert owner.password == OPERATOR_ENVIRONMENT["POSTGRES_PASSWORD"]
    assert interpolate(db_environment["POSTGRES_PASSWORD"], OPERATOR_ENVIRONMENT) == owner.password
    assert app.username not in {owner.username, "postgres"}
    assert app.password == OPERATOR_ENVIRONMENT["POSTGRES_APP_PASSWORD"]


def test_web_sets_up_the_app_role_and_migrates_as_the_owner_then_serves_as_the_app_role():
    command = command_of("web")
    setup = command.index("manage.py setup_database_roles")
    migrate = command.index("manage.py migrate --noinput --database=migrator")
    gunicorn = command.index("exec env -u MIGRATE_DATABASE_URL gunicorn config.wsgi:application")
    assert setup < migrate < gunicorn
    assert "&&" in command[setup:migrate]
    assert "&&" in command[migrate:gunicorn]


def test_the_audit_head_file_is_on_a_named_volume_of_web():
    head_file = SERVICES["web"]["environment"]["AUDIT_HEAD_FILE"]
    mounts = named_volume_mounts("web")
    volume = next(v for v, target in mounts.items() if head_file.startswith(target + "/"))
    assert volume in COMPOSE["volumes"]
    assert volume not in named_volume_mounts("db")


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
        interpolate(SERVICES["web"]["environment"]["MIGRATE_DATABASE_URL"], without_password)


def test_compose_requires_the_operator_to_set_the_app_roles_password():
    without_password = {
        k: v for k, v in OPERATOR_ENVIRONMENT.items() if k != "POSTGRES_APP_PASSWORD"
    }
    for name in APP_SERVICES:
        with pytest.raises(MissingVariable, match="POSTGRES_APP_PASSWORD"):
            interpolate(SERVICES[name]["environment"]["DATABASE_URL"], without_password)


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
    assert (settings["USER"], settings["MIGRATOR"]) == ("registry_app", "registry")
    assert settings["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert settings["MEDIA_ROOT"] == "/app/var/media"
    assert settings["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://redis:6379/1",
    }


@pytest.mark.parametrize("name", ["DATABASE_URL", "MIGRATE_DATABASE_URL"])
def test_a_database_other_than_postgresql_is_refused_at_start(tmp_path, name):
    """One engine everywhere: the audit log, histories and search are PostgreSQL's, so a
    SQLite URL stops the process with a message rather than half working."""
    result = start_django(
        tmp_path,
        SECRET_KEY="a-production-key-for-this-test-only",
        ALLOWED_HOSTS="registry.example.org",
        **{name: f"sqlite:///{tmp_path / 'db.sqlite3'}"},
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} names a sqlite3 database" in result.stderr
    assert "PostgreSQL only" in result.stderr


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


@pytest.mark.django_db
def test_the_apps_connections_run_without_jit_or_parallel_workers():
    # Measured at a million agreements (benchmarks/RESULTS.md): both cost the public read
    # path more than they saved.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
        cursor.execute("SHOW max_parallel_workers_per_gather")
        workers = cursor.fetchone()[0]
    assert (jit, workers) == ("off", "0")
