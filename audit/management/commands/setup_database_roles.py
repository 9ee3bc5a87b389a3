from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from audit.roles import database_role_setup

MIGRATOR = "migrator"


class Command(BaseCommand):
    help = (
        "Create the app role that DATABASE_URL names (or bring it back into line) and grant "
        "it its privileges: the registry's tables, but only SELECT and INSERT on the audit "
        "tables. Connects as the owner of the tables (MIGRATE_DATABASE_URL, the 'migrator' "
        "database), which must be allowed to create roles. Idempotent: run it before "
        "every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database",
            default=MIGRATOR,
            help="The database alias of the owner's connection (default: migrator).",
        )

    def handle(self, *args, database, **options):
        if database not in settings.DATABASES:
            raise CommandError(
                f"no {database!r} database: set MIGRATE_DATABASE_URL to the owner's connection"
            )
        app = settings.DATABASES[DEFAULT_DB_ALIAS]
        if not app.get("USER"):
            raise CommandError("DATABASE_URL names no role for the app to connect as")
        try:
            database_role_setup(using=database, role=app["USER"], password=app.get("PASSWORD"))
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"app role {app['USER']}: SELECT and INSERT only on the audit tables, "
            "all rows of the others"
        )
