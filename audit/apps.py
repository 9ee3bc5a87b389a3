from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit log")

    def ready(self):
        from . import signals  # noqa: F401 - connects the Celery task context
        from .chain import audit_chain_view_after_migrate
        from .guards import audit_guards_after_migrate
        from .roles import database_privileges_after_migrate

        # Once per migrate (or flush), in this order: the chain view follows the registered
        # event tables, the guards cover them, and the app role gets its privileges on them.
        post_migrate.connect(
            audit_chain_view_after_migrate, sender=self, dispatch_uid="audit_chain_view"
        )
        post_migrate.connect(audit_guards_after_migrate, sender=self, dispatch_uid="audit_guards")
        post_migrate.connect(
            database_privileges_after_migrate, sender=self, dispatch_uid="audit_privileges"
        )
