from django.core.management.base import BaseCommand

from agreements.services import document_texts_extract


class Command(BaseCommand):
    help = (
        "Read the text of every document version that has none yet (versions uploaded "
        "before texts were read). A version whose file is missing is counted and left for a "
        "later run; running it twice reads nothing the second time."
    )

    def handle(self, *args, **options):
        counts = document_texts_extract()
        self.stdout.write(", ".join(f"{status}: {count}" for status, count in counts.items()))
