"""The database roles: setup_database_roles creates the app role (or brings it back into line)
and every migrate as the owner grants it its privileges. Roles and grants are transactional
in PostgreSQL: each test's are rolled back with it."""

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection

from audit import roles
from audit.roles import app_role_of, database_privileges_after_migrate, database_role_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def role() -> str:
    return f"{connection.settings_dict['NAME']}_roles_test"[:63]


def query(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_setup_database_roles_needs_the_owners_connection():
    with pytest.raises(CommandError, match="MIGRATE_DATABASE_URL"):
        call_command("setup_database_roles")


def test_the_app_role_is_the_default_connections_when_migrating_as_another_role(monkeypatch):
    app = {"NAME": "registry", "HOST": "db", "PORT": 5432, "USER": "registry_app"}
    monkeypatch.setattr(
        settings,
        "DATABASES",
        {
            DEFAULT_DB_ALIAS: app,
            "migrator": {**app, "USER": "registry"},
            "elsewhere": {**app, "NAME": "other", "USER": "registry"},
            "same_role": {**app},
        },
    )
    assert app_role_of("migrator") == "registry_app"
    assert app_role_of(DEFAULT_DB_ALIAS) is None
    assert app_role_of("elsewhere") is None
    assert app_role_of("same_role") is None


def test_setting_up_creates_a_role_with_no_special_attribute(role):
    database_role_setup(using=DEFAULT_DB_ALIAS, role=role, password="a-password")
    assert query(
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, "
        "rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s",
        [role],
    ) == (True, False, False, False, False, True)
    assert query("SELECT has_table_privilege(%s, 'agreements_agreement', 'UPDATE')", [role]) == (
        True,
    )
    assert query(
        "SELECT has_table_privilege(%s, 'agreements_agreementevent', 'INSERT'), "
        "has_table_privilege(%s, 'agreements_agreementevent', 'UPDATE')",
        [role, role],
    ) == (True, False)


def test_setting_up_brings_an_existing_role_back_into_line(role):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN CREATEDB BYPASSRLS')
        cursor.execute(f'GRANT UPDATE, DELETE ON audit_auditcheckpoint TO "{role}"')
    database_role_setup(using=DEFAULT_DB_ALIAS, role=role)
    assert query(
        "SELECT rolcanlogin, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = %s", [role]
    ) == (True, False, False)
    assert query(
        "SELECT has_table_privilege(%s, 'audit_auditcheckpoint', 'UPDATE, DELETE')", [role]
    ) == (False,)


def test_an_app_role_in_another_role_is_refused(role):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
        cursor.execute(f'GRANT "{connection.settings_dict["USER"]}" TO "{role}"')
    with pytest.raises(ImproperlyConfigured, match="is a member of"):
        database_role_setup(using=DEFAULT_DB_ALIAS, role=role)


def test_the_owner_cannot_be_the_app_role():
    with pytest.raises(ImproperlyConfigured, match="is the owner of the tables"):
        database_role_setup(using=DEFAULT_DB_ALIAS, role=connection.settings_dict["USER"])


def test_a_table_created_outside_migrate_is_read_and_appended_to_until_the_next_migrate(
    role, monkeypatch
):
    database_role_setup(using=DEFAULT_DB_ALIAS, role=role)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE audit_roles_test_table (id integer)")
    privileges = (
        "SELECT has_table_privilege(%s, 'audit_roles_test_table', 'INSERT'), "
        "has_table_privilege(%s, 'audit_roles_test_table', 'UPDATE')"
    )
    assert query(privileges, [role, role]) == (True, False)

    # What a migrate as the owner ends with.
    monkeypatch.setattr(roles, "app_role_of", lambda using: role)
    database_privileges_after_migrate(sender=None, using=DEFAULT_DB_ALIAS)

    assert query(privileges, [role, role]) == (True, True)


def test_migrating_grants_nothing_when_the_app_role_is_missing(role, monkeypatch):
    monkeypatch.setattr(roles, "app_role_of", lambda using: role)
    with pytest.raises(ImproperlyConfigured, match="setup_database_roles"):
        database_privileges_after_migrate(sender=None, using=DEFAULT_DB_ALIAS)
