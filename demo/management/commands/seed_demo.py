from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from agreements.derived import derived_facts_refresh
from audit.trail import audit_job
from demo.incidents import load_demo_incidents
from demo.loader import load_demo_registry, next_reviews_due


class Command(BaseCommand):
    help = (
        "Load the demo registry: the partnerships of the seed table with illustrative "
        "agreements, reviews and demo accounts. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo accounts new passwords (printed only when DEBUG is on).",
        )

    @audit_job("seed_demo")
    def handle(self, *args, reset_passwords=False, **options):
        today = timezone.localdate()
        report = load_demo_registry(today=today, reset_passwords=reset_passwords)
        load_demo_incidents(report=report, today=today)
        next_reviews_due()  # the incidents' agreements too
        derived_facts_refresh()  # the incidents' agreements too
        created = {label: n for label, n in report.created.items() if n}
        if created:
            for label, count in sorted(created.items()):
                self.stdout.write(f"created {count} {label}")
        else:
            self.stdout.write("demo registry already loaded: nothing to change")
        self.stdout.write("Demo accounts:")
        for username, organization, password in report.accounts:
            if password and settings.DEBUG:
                login_note = f"password {password}"
            elif password:
                login_note = "password set (shown only when DEBUG is on)"
            else:
                login_note = "password unchanged (--reset-passwords to set a new one)"
            self.stdout.write(f"  {username:<14} {organization:<40} {login_note}")
