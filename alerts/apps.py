from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts for followers"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import remember_account_kind

        # Whether an account is a follower is asked once, when it logs in, and kept in its
        # session: no page pays a query for it.
        user_logged_in.connect(remember_account_kind, dispatch_uid="alerts.account_kind")
