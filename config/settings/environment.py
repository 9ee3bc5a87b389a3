"""Reading settings from the environment, strictly.

django-environ reads every value; these helpers add what it lacks: a malformed
boolean is an error rather than a silent False, and a secret may come from a
file named by ``<NAME>_FILE`` (Docker and Kubernetes secrets).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of: {', '.join(sorted(_TRUE | _FALSE - {''}))}."
    )


def env_secret(name: str, default: str | None = None) -> str:
    """The value of ``name``, or the contents of the file named by ``name_FILE``.

    With no default, a missing secret stops the process with ImproperlyConfigured.
    """
    path = env.str(f"{name}_FILE", default=None)
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    if default is None:
        return env.str(name)
    return env.str(name, default=default)


POSTGRESQL_ENGINE = "django.db.backends.postgresql"


def env_postgresql(name: str, default: str | None = None) -> dict:
    """The database named by the URL in ``name``: PostgreSQL, the registry's one engine
    (its audit log, change histories and full-text search are PostgreSQL's). Any other
    engine stops the process with ImproperlyConfigured."""
    return postgresql_url(name, env.db(name, default=default))


def postgresql_url(name: str, database: dict) -> dict:
    """``database`` (a parsed URL, ``env.db_url_config``), refused unless PostgreSQL."""
    if database["ENGINE"] != POSTGRESQL_ENGINE:
        raise ImproperlyConfigured(
            f"{name} names a {database['ENGINE'].rsplit('.', 1)[-1]} database: the registry "
            "runs on PostgreSQL only (postgres://user:password@host:5432/name)."
        )
    return database


def crontab_from_line(name: str, line: str) -> crontab:
    """A Celery crontab from a crontab line such as ``"15 2 * * *"``."""
    fields = line.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(
            f"{name}={line!r} is not a crontab line: five fields, "
            '"minute hour day-of-month month day-of-week", e.g. "15 2 * * *".'
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={line!r} is not a valid crontab line: {exc}") from exc
