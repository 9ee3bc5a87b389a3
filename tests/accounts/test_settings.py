"""STAFF_MFA_REQUIRED: on by default in production, off in development and the tests; and
the lockout's deployment check."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def setting_in(tmp_path, module: str, name: str, **environ: str) -> subprocess.CompletedProcess:
    """``settings.<name>`` with ``config.settings.<module>``, in a fresh interpreter."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"STAFF_MFA_REQUIRED", "DJANGO_SETTINGS_MODULE", "CACHE_URL"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": f"config.settings.{module}",
        "SECRET_KEY": "a-production-key-for-this-test-only",
        "ALLOWED_HOSTS": "registry.example.org",
        # Setting Django up connects to no database.
        "DATABASE_URL": "postgres://registry@127.0.0.1:1/registry",
        "VAR_DIR": str(tmp_path / "var"),
        **environ,
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps(settings.{name}))"
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


def required(tmp_path, module: str, **environ: str) -> bool:
    result = setting_in(tmp_path, module, "STAFF_MFA_REQUIRED", **environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_requires_a_second_factor_unless_told_otherwise(tmp_path):
    assert required(tmp_path, "production") is True
    assert required(tmp_path, "production", STAFF_MFA_REQUIRED="false") is False


def test_development_and_the_tests_do_not_unless_told_to(tmp_path):
    assert required(tmp_path, "local") is False
    assert required(tmp_path, "test") is False
    assert required(tmp_path, "local", STAFF_MFA_REQUIRED="true") is True


def test_a_malformed_value_stops_the_start(tmp_path):
    result = setting_in(
        tmp_path, "production", "STAFF_MFA_REQUIRED", STAFF_MFA_REQUIRED="sometimes"
    )
    assert result.returncode != 0
    assert "STAFF_MFA_REQUIRED='sometimes' is not a boolean" in result.stderr


@pytest.mark.parametrize(
    ("backend", "warned"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", True),
        ("django.core.cache.backends.redis.RedisCache", False),
    ],
)
def test_the_deployment_check_warns_of_a_per_process_cache(settings, backend, warned):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:6379/1"}}
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert ("accounts.W001" in ids) is warned
