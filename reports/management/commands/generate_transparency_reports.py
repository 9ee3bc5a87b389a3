from django.core.management.base import BaseCommand

from reports.services import generate_yearly_reports


class Command(BaseCommand):
    help = (
        "Publish last year's transparency report of every public partnership that has none, "
        "once TRANSPARENCY_REPORT_DATE has come (what the daily job does)."
    )

    def handle(self, *args, **options):
        counts = generate_yearly_reports()
        self.stdout.write(
            f"{counts['year']}: {counts['published']} published, {counts['failed']} failed"
        )
