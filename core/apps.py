from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared building blocks"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .languages import account_language_at_login

        # The language an account signs in with is the one its e-mails are written in.
        user_logged_in.connect(account_language_at_login, dispatch_uid="core.account_language")
