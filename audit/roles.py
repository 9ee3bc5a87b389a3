"""The two database roles: the owner, which migrates, and the app role, which cannot
rewrite the audit log.

- The **owner** (``MIGRATE_DATABASE_URL``, the ``migrator`` database alias) runs
  ``migrate`` and so owns every table, trigger and function.
- The **app role** (``DATABASE_URL``) is what the web, worker and beat processes connect as:
  it reads and writes the registry's tables, but may only SELECT and INSERT on the audit
  tables (``audit.guards.audit_tables``): no UPDATE, DELETE or TRUNCATE, and as it owns no
  table it can neither ALTER nor disable nor drop a trigger. The guards of
  ``audit.guards``, which no session setting switches off, refuse the same again.

``setup_database_roles`` creates (or brings back into line) the app role and grants it its
privileges; every ``migrate`` through the ``migrator`` alias grants them again, on the
tables it created too. Tables created otherwise get SELECT and INSERT only (default
privileges) until the next ``migrate``: a new table never starts out writable.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from .guards import audit_tables

# Granted on every table but the audit tables.
REGISTRY_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# Granted on the audit tables (and the chain view).
AUDIT_PRIVILEGES = "SELECT, INSERT"
AUDIT_REFUSED = "UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
CHAIN_VIEW = "audit_chain"
# The app role's attributes, in the order of pg_roles' columns read below.
APP_ROLE_ATTRIBUTES = (
    ("LOGIN", True),
    ("SUPERUSER", False),
    ("CREATEDB", False),
    ("CREATEROLE", False),
    ("REPLICATION", False),
    ("BYPASSRLS", False),
)


def app_role_of(using: str) -> str | None:
    """The role the app connects as, when the database alias ``using`` is another role's
    connection to the same database (the owner's); None otherwise."""
    if using == DEFAULT_DB_ALIAS:
        return None
    app, other = settings.DATABASES[DEFAULT_DB_ALIAS], settings.DATABASES[using]
    same_database = (app.get("HOST"), app.get("PORT"), app["NAME"]) == (
        other.get("HOST"),
        other.get("PORT"),
        other["NAME"],
    )
    if not same_database or not app.get("USER") or app.get("USER") == other.get("USER"):
        return None
    return app["USER"]


def database_role_setup(*, using: str, role: str, password: str | None = None) -> None:
    """Create the app role ``role`` (logging in with ``password``), or bring an existing
    one back to no special attribute (not a superuser, no role or database creation, no
    replication, no bypass of row security) and the given password; then grant its
    privileges. Connects through ``using``, which may create roles and owns the tables.
    Idempotent."""
    connection = connections[using]
    password = password or None
    if role == connection.settings_dict.get("USER"):
        raise ImproperlyConfigured(
            f"the app role {role!r} is the owner of the tables: DATABASE_URL must name "
            "another role than MIGRATE_DATABASE_URL"
        )
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
            "rolbypassrls, (SELECT string_agg(g.rolname, ', ') FROM pg_auth_members m "
            "JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid) "
            "FROM pg_roles r WHERE rolname = %s",
            [role],
        )
        found = cursor.fetchone()
        if found is None:
            verb, clauses = "CREATE", ["LOGIN"]
        else:
            *attributes, memberships = found
            if memberships:
                # A member holds the privileges (and the ownership) of the roles it is in.
                raise ImproperlyConfigured(
                    f"the app role {role!r} is a member of {memberships}: revoke that first"
                )
            # Only what differs: changing some attributes at all takes a superuser.
            verb = "ALTER"
            clauses = [
                name if wanted else f"NO{name}"
                for (name, wanted), present in zip(APP_ROLE_ATTRIBUTES, attributes, strict=True)
                if present != wanted
            ]
        if clauses or password or verb == "CREATE":
            # format() quotes the name and the password: utility statements take no
            # parameters.
            cursor.execute(
                "SELECT format('%%s ROLE %%I %%s', %s::text, %s::text, %s::text) "
                "|| CASE WHEN %s::text IS NULL THEN '' "
                "ELSE format(' PASSWORD %%L', %s::text) END",
                [verb, role, " ".join(clauses), password, password],
            )
            cursor.execute(cursor.fetchone()[0])
    database_privileges_grant(using=using, role=role)


def database_privileges_grant(*, using: str, role: str) -> None:
    """Grant ``role`` what the app needs, through ``using`` (the tables' owner): all rows
    of the registry's tables, but only SELECT and INSERT on the audit tables."""
    connection = connections[using]
    quote = connection.ops.quote_name
    role_name = quote(role)
    existing = set(connection.introspection.table_names(include_views=True))
    audit = [quote(t) for t in [*audit_tables(), CHAIN_VIEW] if t in existing]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise ImproperlyConfigured(
                f"the app role {role!r} does not exist: run `manage.py setup_database_roles "
                f"--database {using}` first"
            )
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = (quote(name) for name in cursor.fetchone())
        statements = [
            f"GRANT CONNECT ON DATABASE {database} TO {role_name}",
            f"GRANT USAGE ON SCHEMA {schema} TO {role_name}",
            f"GRANT {REGISTRY_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {role_name}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role_name}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"GRANT {AUDIT_PRIVILEGES} ON TABLES TO {role_name}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {role_name}",
        ]
        if audit:
            statements.append(f"REVOKE {AUDIT_REFUSED} ON {', '.join(audit)} FROM {role_name}")
        for statement in statements:
            cursor.execute(statement)


def database_privileges_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """``post_migrate``: a migration as the owner grants the app role its privileges on
    every table, those it has just created included."""
    role = app_role_of(using)
    if role is not None:
        database_privileges_grant(using=using, role=role)
