"""``translations compile``: the .mo files from the .po files (make run, make test, the image).
``translations update``: the .po files brought to the messages the code marks (core.translations).
"""

from django.core.management.base import BaseCommand

from core import translations


class Command(BaseCommand):
    help = "Compile the interface's translations, or bring their .po files up to the code."
    # Reads and writes files only: it runs whatever state the URLs or the database are in.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["compile", "update"])

    def handle(self, *args, action, **options):
        if action == "compile":
            for path in translations.compile_all():
                self.stdout.write(f"Compiled {path}")
            return
        for language, lacking in translations.update().items():
            self.stdout.write(f"{language}: {lacking} message(s) to translate")
